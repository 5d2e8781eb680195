"""The recorder against a real RTSP server (the demo's gst-rtsp-server looping the synthetic clip, phase-locked to
the wall clock), a real SQLite index and real files: rolling, decodable TS, the time mapping checked against the
frames' bar codes, outages (server killed, server frozen) recorded as gaps, recording resuming, retention."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from sqlalchemy import event

from c4desk.demo.servers import RtspServer
from c4desk.media.packet_timeline import PacketTimeline, WallClockEstimate, continuation, nal_units
from c4desk.media.player import Frame
from c4desk.media.recorder import ProgressWriter, Recorder, RecorderOptions, RecorderState
from c4desk.media.retention import apply_retention
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade
from c4desk.store.recordings import RecordingRepository, Segment, SegmentExtent
from tests.media import clip
from tests.media.conftest import _gst_rtsp_available, wait_for
from tests.media.servers import closed_port

FAST = RecorderOptions(segment_seconds=2, read_timeout_s=1.5, open_timeout_s=3, backoff_initial_s=0.2,
                       backoff_max_s=0.5, extend_every_s=0.5)
LONG_AGO = timedelta(hours=1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = sqlite_url(tmp_path / "c4desk.sqlite")
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def repo(db: Database, tmp_path: Path) -> RecordingRepository:
    return RecordingRepository(db, tmp_path / "recordings")


@pytest.fixture
def looped(clip_mp4: Path) -> Iterator[RtspServer]:
    """The 4 s clip looped gaplessly: at wall time T the stream shows clip time (T - epoch) % 4."""
    if not _gst_rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed")
    server = RtspServer({"cam": clip_mp4}, period=float(clip.SECONDS)).start()
    yield server
    server.stop()


@pytest.fixture
def recorders() -> Iterator[list[Recorder]]:
    made: list[Recorder] = []
    yield made
    for r in made:
        r.stop()


def all_segments(repo: RecordingRepository, camera: str = "cam1") -> list[Segment]:
    now = datetime.now(UTC)
    return repo.segments(camera, now - LONG_AGO, now + LONG_AGO)


def decode(segment: Segment) -> list[tuple[float, int, bool]]:
    """(UTC seconds by the time mapping, clip frame index from the bar code, keyframe) for every frame."""
    out = []
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        first: int | None = None
        for frame in container.decode(stream):
            assert frame.pts is not None
            first = frame.pts if first is None else first
            at = segment.start_at + timedelta(seconds=float((frame.pts - first) * stream.time_base))
            pixels = frame.to_ndarray(format="bgra")
            shown = Frame(frame.width, frame.height, frame.width * 4, pixels.tobytes(), 1, None, 0.0)
            out.append((at.timestamp(), clip.read_frame(shown).index, frame.key_frame))
    return out


def test_records_rolling_decodable_segments_mapped_to_the_wall_clock(looped: RtspServer, repo: RecordingRepository,
                                                                      recorders: list[Recorder]) -> None:
    recorder = Recorder(repo, "cam1", looped.url("cam"), FAST).start()
    recorders.append(recorder)
    assert wait_for(lambda: len(all_segments(repo)) >= 4, timeout=15)
    # While recording: the open segment is indexed with its growing end and size (playback near "now"). Half a
    # second of it, so the stop below does not fall just after a roll: a TS file of one or two pictures (a few TS
    # packets) is too short for FFmpeg to probe, and decode() below would fail on it.
    assert wait_for(lambda: all_segments(repo)[-1].bytes > 0 and all_segments(repo)[-1].duration_s >= 0.5,
                    timeout=3)
    open_now = all_segments(repo)[-1]
    assert open_now.status == "recording" and open_now.end_at > open_now.start_at
    assert recorder.status().state is RecorderState.RECORDING
    assert recorder.stop()

    segments = all_segments(repo)
    assert all(s.status == "complete" and s.codec == "h264" and s.container == "ts" for s in segments)
    assert all(s.bytes == s.path.stat().st_size > 0 for s in segments)
    for before, after in itertools.pairwise(segments):
        assert abs((after.start_at - before.end_at).total_seconds()) < 0.06  # one continuous recording
    frame_s = 1 / clip.FPS
    for segment in segments:
        frames = decode(segment)
        assert frames[0][2], f"{segment.path.name} does not start with a keyframe"
        # The file's own timestamps span exactly what the index says (the last frame lasts one frame).
        span = frames[-1][0] + frame_s - frames[0][0]
        assert span == pytest.approx(segment.duration_s, abs=0.002)
        # The time mapping: the picture shown at UTC t is the clip frame the server sent at t.
        for at, index, _key in frames:
            expected = (at - looped.epoch) % clip.SECONDS * clip.FPS
            off = (index - expected + 30) % 60 - 30
            assert abs(off) < 1.5, f"{segment.path.name}: frame {index} mapped {off:+.2f} frames off"
    for segment in segments[:-1]:  # rolled at the first keyframe after 2 s: the clip has one every second
        assert segment.duration_s == pytest.approx(2.0, abs=frame_s / 2)
    assert [s.path.parent.name for s in segments] == [s.start_at.strftime("%Y-%m-%d") for s in segments]


def test_a_dead_server_is_a_gap_and_recording_resumes_when_it_returns(clip_mp4: Path, looped: RtspServer,
                                                                      repo: RecordingRepository,
                                                                      recorders: list[Recorder]) -> None:
    port = looped.port
    assert port is not None
    recorder = Recorder(repo, "cam1", looped.url("cam"), FAST).start()
    recorders.append(recorder)
    assert wait_for(lambda: recorder.status().state is RecorderState.RECORDING and recorder.status().packets > 30,
                    timeout=15)
    looped.stop()
    assert wait_for(lambda: repo.open_gap_of("cam1") is not None, timeout=10)
    before = all_segments(repo)
    gap = repo.open_gap_of("cam1")
    assert gap is not None and before[-1].status == "complete"
    assert gap.start_at == before[-1].end_at  # the outage starts where the video ends
    assert gap.reason in ("stream ended", "stream lost: connection lost") or gap.reason.startswith("stream lost")
    time.sleep(1.0)  # refused reconnects meanwhile keep the one open gap
    assert recorder.status().state in (RecorderState.RETRYING, RecorderState.CONNECTING)

    server = RtspServer({"cam": clip_mp4}, port=port, period=float(clip.SECONDS), epoch=looped.epoch).start()
    try:
        assert wait_for(lambda: len(all_segments(repo)) > len(before) and repo.open_gap_of("cam1") is None,
                        timeout=15)
        assert wait_for(lambda: all_segments(repo)[-1].bytes > 0, timeout=5)
    finally:
        recorder.stop()
        server.stop()
    after = all_segments(repo)[len(before)]
    now = datetime.now(UTC)
    gaps = repo.gaps("cam1", now - LONG_AGO, now)
    assert len(gaps) == 1 and gaps[0].start_at == gap.start_at and gaps[0].end_at == after.start_at
    assert after.start_at > gap.start_at + timedelta(seconds=1)
    assert decode(after)[0][2]  # the new recording is whole: it starts on a keyframe and decodes


def test_a_frozen_server_is_a_stall(looped: RtspServer, repo: RecordingRepository,
                                    recorders: list[Recorder]) -> None:
    pid = looped.pid
    assert pid is not None
    recorder = Recorder(repo, "cam1", looped.url("cam"), FAST).start()
    recorders.append(recorder)
    assert wait_for(lambda: recorder.status().state is RecorderState.RECORDING, timeout=15)
    os.killpg(pid, signal.SIGSTOP)  # connection open, nothing more: a hung camera
    try:
        assert wait_for(lambda: repo.open_gap_of("cam1") is not None, timeout=FAST.read_timeout_s + 5)
        gap = repo.open_gap_of("cam1")
        assert gap is not None and gap.reason == "stalled: no packets for 1.5 s"
    finally:
        os.killpg(pid, signal.SIGCONT)
    assert wait_for(lambda: repo.open_gap_of("cam1") is None, timeout=20)  # back, and the gap is closed
    assert recorder.stop()


def test_an_unreachable_camera_is_a_gap_from_the_first_attempt(repo: RecordingRepository,
                                                              recorders: list[Recorder]) -> None:
    started = datetime.now(UTC)
    recorder = Recorder(repo, "cam9", f"rtsp://127.0.0.1:{closed_port()}/cam", FAST).start()
    recorders.append(recorder)
    assert wait_for(lambda: repo.open_gap_of("cam9") is not None, timeout=10)
    gap = repo.open_gap_of("cam9")
    assert gap is not None and gap.reason == "cannot connect: connection refused"
    assert started <= gap.start_at <= datetime.now(UTC)
    assert recorder.stop(timeout=3)
    assert recorder.status().state is RecorderState.STOPPED and all_segments(repo, "cam9") == []


def test_stop_returns_at_once_even_while_connecting(repo: RecordingRepository, recorders: list[Recorder]) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers: a hung RTSP handshake
        recorder = Recorder(repo, "cam1", f"rtsp://127.0.0.1:{silent.getsockname()[1]}/cam",
                            RecorderOptions(open_timeout_s=30, read_timeout_s=30)).start()
        recorders.append(recorder)
        time.sleep(0.5)
        t0 = time.monotonic()
        assert recorder.stop(timeout=5)
        assert time.monotonic() - t0 < 2.0


class UnreadableRecorder(Recorder):
    """Failure injection: a recorder whose progress cannot be read (the index writer must carry on without it)."""

    def progress(self) -> SegmentExtent | None:
        raise OSError("progress unavailable")


def test_one_index_writer_updates_every_camera_in_one_transaction(looped: RtspServer, db: Database,
                                                                  repo: RecordingRepository,
                                                                  recorders: list[Recorder],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    writer = ProgressWriter(repo, every_s=3600)  # its own rounds never come during the test: flush() by hand
    options = RecorderOptions(segment_seconds=60, read_timeout_s=1.5, open_timeout_s=3)
    cams = [Recorder(repo, cam, looped.url("cam"), options, progress_writer=writer).start() for cam in ("c1", "c2")]
    recorders.extend(cams)
    assert wait_for(lambda: all(r.status().packets > 2 * clip.FPS and r.progress() is not None for r in cams),
                    timeout=15)
    assert writer.running
    broken = UnreadableRecorder(repo, "c3", looped.url("cam"), options, progress_writer=writer)  # never started
    writer.add(broken)
    for cam in ("c1", "c2"):  # not indexed beyond its start yet: only the writer moves an open segment
        [seg] = all_segments(repo, cam)
        assert seg.status == "recording" and seg.end_at == seg.start_at and seg.bytes == 0
    commits: list[int] = []
    engine = db.engine
    count_commit = lambda _conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", count_commit)
    try:
        written = {r.camera_id: r.progress() for r in cams}
        assert writer.flush() == 2
    finally:
        event.remove(engine, "commit", count_commit)
    assert commits == [1] and writer.rounds == 1  # both cameras in one transaction
    for cam in ("c1", "c2"):
        [seg] = all_segments(repo, cam)
        before = written[cam]
        assert before is not None and seg.id == before.segment_id and seg.status == "recording"
        assert seg.end_at >= before.end_at > seg.start_at + timedelta(seconds=1)
        assert seg.path.stat().st_size >= seg.bytes >= before.bytes > 0
    assert "c3: cannot tell how far its segment has got" in caplog.text  # said, and the others written anyway
    writer.remove(broken)
    for r in cams:
        assert r.stop()
    assert not writer.running  # the last recorder out stopped the writer's thread
    assert all(s.status == "complete" for cam in ("c1", "c2") for s in all_segments(repo, cam))


# ---- retention over real files ------------------------------------------------------------------------------


def fake_segment(repo: RecordingRepository, camera: str, start: datetime, seconds: float, size: int) -> Segment:
    seg = repo.open_segment(camera, start, "h264")
    seg.path.parent.mkdir(parents=True, exist_ok=True)
    seg.path.write_bytes(b"\x47" * size)
    closed = repo.close_segment(seg.id, start + timedelta(seconds=seconds), size)
    assert closed is not None
    return closed


def test_retention_by_age_and_budget_deletes_files_and_rows_but_never_held_ones(repo: RecordingRepository) -> None:
    now = datetime(2026, 7, 4, 12, tzinfo=UTC)
    old = fake_segment(repo, "cam1", now - timedelta(days=40), 60, 1000)
    held = fake_segment(repo, "cam1", now - timedelta(days=39), 60, 1000)
    repo.add_hold(held.id, "sup", "case 2026-000123")
    recent = [fake_segment(repo, "cam2", now - timedelta(hours=3 - i), 60, 1000) for i in range(3)]

    dry = apply_retention(repo, retention_days=30, disk_budget_gb=2500 / 1e9, now=now, dry_run=True)
    assert [s.id for s in dry.deleted] == [old.id, recent[0].id, recent[1].id] and old.path.exists()

    report = apply_retention(repo, retention_days=30, disk_budget_gb=2500 / 1e9, now=now)
    assert [s.id for s in report.deleted] == [old.id, recent[0].id, recent[1].id]
    assert report.bytes_freed == 3000 and report.errors == [] and report.missing_files == 0
    assert not old.path.exists() and not old.path.parent.exists()  # the emptied day directory goes too
    assert held.path.exists() and repo.segment(held.id) is not None  # under a hold: kept at any age
    assert recent[2].path.exists() and repo.usage().bytes == 2000
    assert repo.root.exists()

    # A file someone already removed: the row still goes.
    recent[2].path.unlink()
    again = apply_retention(repo, retention_days=30, disk_budget_gb=0, now=now)
    assert [s.id for s in again.deleted] == [recent[2].id] and again.missing_files == 1
    assert [s.id for s in all_segments_between(repo)] == [held.id]


def all_segments_between(repo: RecordingRepository) -> list[Segment]:
    far = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return [s for cam in repo.camera_ids() for s in repo.segments(cam, *far)]


# ---- the packet timeline, on packets made by hand ----------------------------------------------------------------

TB = Fraction(1, 90000)
SPS_PPS = b"\x00\x00\x00\x01\x67\x42\x00\x1e" + b"\x00\x00\x00\x01\x68\xce\x3c\x80"


def packet(data: bytes, pts: int | None, dts: int | None = None, key: bool = False) -> av.Packet[Any]:
    p = av.Packet(data)
    p.pts, p.dts, p.time_base, p.is_keyframe = pts, dts, TB, key
    return p


def test_split_keyframes_are_joined_into_one_picture() -> None:
    timeline = PacketTimeline(TB, "h264")
    idr_a = SPS_PPS + b"\x00\x00\x00\x01\x65\x88\x80"
    idr_b = SPS_PPS + b"\x00\x00\x00\x01\x65\x00\x90"
    out = timeline.feed(packet(idr_a, None, None, key=True), 0.0)  # an RTSP session's untimed first packet
    out += timeline.feed(packet(idr_b, 90000, key=True), 0.0)
    out += timeline.feed(packet(b"\x00\x00\x00\x01\x41\x9a", 96000), 0.066)
    out += timeline.feed(packet(SPS_PPS + b"\x00\x00\x00\x01\x65\x11", 102000, key=True), 0.133)
    out += timeline.feed(packet(SPS_PPS + b"\x00\x00\x00\x01\x65\x22", 102000, key=True), 0.2)
    out += timeline.feed(packet(b"\x00\x00\x00\x01\x41\x9b", 108000), 0.266)
    out += timeline.flush()
    assert [(t.pts, t.dts, t.keyframe) for t in out] == [(0, 0, True), (6000, 6000, False), (12000, 12000, True),
                                                         (18000, 18000, False)]
    # The second slice keeps its slice NAL but not the repeated parameter sets.
    assert bytes(out[2].packet) == SPS_PPS + b"\x00\x00\x00\x01\x65\x11" + b"\x00\x00\x00\x01\x65\x22"
    assert [u[4] & 0x1F for u in nal_units(bytes(out[0].packet))] == [7, 8, 5, 5]
    assert timeline.joined == 2


def test_continuation_keeps_non_annex_b_data_unchanged() -> None:
    avcc = b"\x00\x00\x00\x05\x65\x88\x80\x00\x10"
    assert continuation(avcc, "h264") == avcc
    assert continuation(SPS_PPS + b"\x00\x00\x01\x65\x01", "h264") == b"\x00\x00\x01\x65\x01"


def test_discontinuities_are_bridged_by_wall_clock_time() -> None:
    timeline = PacketTimeline(TB, "h264")
    got = []
    # 15 fps, then the camera's clock jumps back (a reboot), then forward by an hour, 0.2 s of wall time later.
    for i, (pts, at) in enumerate([(1000, 0.0), (7000, 0.066), (13000, 0.133), (500, 0.2), (6500, 0.266),
                                   (6500 + 90000 * 3600, 0.466), (6500 + 90000 * 3600 + 6000, 0.533)]):
        got += timeline.feed(packet(b"\x00\x00\x01\x41" + bytes([i]), pts), at)
    got += timeline.flush()
    dts = [t.dts for t in got]
    assert dts[:3] == [0, 6000, 12000]
    assert all(b > a for a, b in itertools.pairwise(dts))
    assert dts[3] - dts[2] == pytest.approx(6000, abs=100)  # back-jump: carried on by the wall time that passed
    assert dts[5] - dts[4] == pytest.approx(18000, abs=100)  # a jump of an hour: carried on by 0.2 s
    assert timeline.discontinuities == 2


def test_wall_clock_estimate_takes_the_least_delayed_packets() -> None:
    clock = WallClockEstimate(TB, window_s=5)
    # A burst (probing) delivers the first second of video at once, then packets arrive on time with some jitter.
    for i in range(15):
        clock.observe(i * 6000, 1001.0)
    for i in range(15, 60):
        clock.observe(i * 6000, 1000.0 + i / 15 + (0.03 if i % 2 else 0.0))
    assert clock.offset() == pytest.approx(1000.0)
    assert clock.wall(90000) == pytest.approx(1001.0)
