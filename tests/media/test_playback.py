"""Playback of recorded segments: frame-accurate seeks, speeds both ways, segment boundaries, gaps, growing files.

The segments are real MPEG-TS stream copies (no re-encode) of demo clips, whose frames carry their index in a
burned-in marker (c4desk.demo.render), so every check reads the picture itself. Their timestamps start at
1.4 s (as FFmpeg's TS muxer starts them), so the recorder's time mapping - UTC = start_at + (pts - first pts) *
time base - is exercised, not assumed.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from c4desk.demo import city, render
from c4desk.media.playback import (
    MediaClock,
    PlaybackPlayer,
    RecordedSegment,
    SegmentList,
    check_speed,
    index_segment,
)
from c4desk.media.player import Frame, PlayerState

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

FPS = 15
CLIP_S = 4.0
SIZE = (320, 180)
BASE = datetime(2026, 7, 4, 12, 0, 0, tzinfo=UTC)
TS_TB = Fraction(1, 90000)
FIRST_PTS = 126_000  # 1.4 s


# ------------------------------------------------------------------------------ helpers (the UI tests use them)


def demo_clips(media_cache: Path, ids: tuple[str, ...] = ("cam01", "cam02")) -> dict[str, Path]:
    """4 s 320x180 demo clips (the wall tests' clips: shared in the media cache)."""
    return render.render_all(media_cache, placements=[p for p in city.PLACEMENTS if p.id in ids], seconds=CLIP_S,
                             size=SIZE)


def write_ts_segment(clip: Path, out: Path, first_pts: int = FIRST_PTS) -> Path:
    """Stream-copy ``clip`` into an MPEG-TS file whose timestamps start at ``first_pts`` (90 kHz), as the
    recorder writes segments: H.264 untouched, a keyframe first."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with av.open(str(clip)) as src, av.open(str(tmp), "w", format="mpegts") as dst:
        ist = src.streams.video[0]
        ost = dst.add_stream_from_template(ist)
        for packet in src.demux(ist):
            if packet.dts is None or packet.pts is None:
                continue
            pts, dts = (round(v * ist.time_base / TS_TB) + first_pts for v in (packet.pts, packet.dts))
            packet.time_base = TS_TB
            packet.pts, packet.dts = pts, dts
            packet.stream = ost
            dst.mux(packet)
    tmp.replace(out)
    return out


def record(clip: Path, directory: Path, camera_id: str, start: datetime, count: int,
           gap_after: dict[int, float] | None = None) -> list[RecordedSegment]:
    """``count`` back-to-back 4 s segments of ``clip`` from ``start`` (extra seconds of gap after some of them)."""
    template = write_ts_segment(clip, directory / f"{camera_id}-template.ts")
    out = []
    at = start
    for k in range(count):
        path = directory / camera_id / f"{camera_id}-{k:03d}.ts"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
        end = at + timedelta(seconds=CLIP_S - 1 / FPS)  # the last frame's time (its end is a frame later)
        out.append(RecordedSegment(at, end + timedelta(seconds=1 / FPS), path))
        at += timedelta(seconds=CLIP_S + (gap_after or {}).get(k, 0.0))
    return out


def frame_rgb(frame: Frame) -> np.ndarray:
    raw = np.frombuffer(frame.data, np.uint8)[: frame.stride * frame.height]
    return raw.reshape(frame.height, frame.stride // 4, 4)[:, : frame.width, [2, 1, 0]]


def marker(frame: Frame) -> int | None:
    return render.decode_frame_marker(frame_rgb(frame), SIZE)


def expected_marker(segments: list[RecordedSegment], at: datetime) -> int | None:
    """The clip frame recorded at ``at`` (the last frame at or before it), None in a gap."""
    for seg in segments:
        offset = (at - seg.start_at).total_seconds()
        if 0 <= offset < CLIP_S:
            return int(offset * FPS + 1e-6)
    return None


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.003)


def shown_at(player: PlaybackPlayer, at: datetime, timeout: float = 5.0) -> Frame:
    """Wait for the frame recorded at ``at`` (paused clock) and return it."""
    want = None

    def ready() -> bool:
        nonlocal want
        frame = player.latest_frame()
        shown = player.shown_at
        want = frame
        return frame is not None and shown is not None and shown <= at < shown + timedelta(seconds=1 / FPS)

    wait_for(ready, timeout)
    assert want is not None
    return want


# ---------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def clips(media_cache: Path) -> dict[str, Path]:
    return demo_clips(media_cache)


@pytest.fixture
def players() -> Iterator[list[PlaybackPlayer]]:
    made: list[PlaybackPlayer] = []
    yield made
    for p in made:
        p.stop()


@pytest.fixture
def make_player(players: list[PlaybackPlayer]) -> Callable[..., PlaybackPlayer]:
    def make(source: SegmentList, clock: MediaClock, camera_id: str = "cam01", **kw: object) -> PlaybackPlayer:
        player = PlaybackPlayer(camera_id, source, clock, **kw)  # type: ignore[arg-type]
        players.append(player)
        player.start()
        return player
    return make


# ------------------------------------------------------------------------------------------------------- tests


def test_clock_moves_at_its_speed_and_refuses_bad_speeds() -> None:
    clock = MediaClock(BASE)
    assert clock.position() == BASE and not clock.playing
    clock.play(4.0)
    time.sleep(0.2)
    moved = (clock.position() - BASE).total_seconds()
    assert 0.7 < moved < 1.2
    clock.pause()
    held = clock.position()
    time.sleep(0.05)
    assert clock.position() == held
    clock.set_speed(-2.0)
    clock.play()
    time.sleep(0.1)
    assert clock.position() < held
    twin = clock.copy()
    assert twin.playing and twin.speed == -2.0 and abs((twin.position() - clock.position()).total_seconds()) < 0.05
    for bad in (0, 9, -8.5, float("nan"), 0.05):
        with pytest.raises(ValueError, match="speed must be between"):
            check_speed(bad)
    with pytest.raises(ValueError, match="aware UTC"):
        clock.seek(datetime(2026, 1, 1))


def test_index_maps_packets_to_utc_from_the_first_pts(clips: dict[str, Path], tmp_path: Path) -> None:
    path = write_ts_segment(clips["cam01"], tmp_path / "a.ts")
    index = index_segment(str(path), BASE.timestamp())
    assert index.first_pts == FIRST_PTS and len(index.times) == CLIP_S * FPS
    assert len(index.keys) == math.ceil(CLIP_S * FPS / render.keyframe_interval(FPS))  # the demo's GOP
    assert index.utcs[0] == BASE.timestamp() and abs(index.utcs[-1] - BASE.timestamp() - 59 / FPS) < 1e-6
    assert abs(index.frame_s - 1 / FPS) < 1e-6


def test_seek_shows_the_exact_frame_recorded_at_that_time(clips: dict[str, Path], tmp_path: Path,
                                                          make_player: Callable[..., PlaybackPlayer]) -> None:
    segments = record(clips["cam01"], tmp_path, "cam01", BASE, 3)
    source = SegmentList({"cam01": list(segments)})
    clock = MediaClock(BASE)
    player = make_player(source, clock, target_size=SIZE)
    # Keyframes, the frames either side of one, mid-GOP, a segment's last and the next one's first, backwards.
    for seconds in (0.0, 1.5, 0.9999, 1.0, 1.0667, 3.99, 4.0, 4.07, 7.5, 11.95, 2.2, 0.5, 9.0):
        at = BASE + timedelta(seconds=seconds)
        clock.seek(at)
        frame = shown_at(player, at)
        assert marker(frame) == expected_marker(segments, at), seconds
        assert frame.pts_s is not None and datetime.fromtimestamp(frame.pts_s, UTC) <= at
    assert player.notice == "" and player.state is PlayerState.LIVE
    # Frame steps come from the index: exact neighbours, across the segment boundary too.
    clock.seek(BASE + timedelta(seconds=3.99))
    assert player.frame_time(1) == segments[1].start_at
    assert player.frame_time(-1) == BASE + timedelta(seconds=58 / FPS)
    assert player.frame_time(0, segments[1].start_at + timedelta(seconds=0.01)) == segments[1].start_at
    assert player.frame_time(-1, segments[1].start_at) == BASE + timedelta(seconds=59 / FPS)


def test_forward_play_keeps_to_the_clock_across_segments(clips: dict[str, Path], tmp_path: Path,
                                                         make_player: Callable[..., PlaybackPlayer]) -> None:
    segments = record(clips["cam01"], tmp_path, "cam01", BASE, 4)
    clock = MediaClock(BASE + timedelta(seconds=2.0))
    player = make_player(SegmentList({"cam01": segments}), clock, target_size=SIZE)
    shown_at(player, clock.position())
    clock.play(4.0)
    lags, markers, last = [], [], None
    t_end = time.monotonic() + 1.6  # 6.4 s of recording: two segment boundaries
    while time.monotonic() < t_end:
        frame = player.latest_frame()
        if frame is not None and frame is not last and frame.pts_s is not None:
            last = frame
            lags.append((clock.position_ts() - frame.pts_s) * FPS)  # frames the picture is behind the clock
            m = marker(frame)
            assert m == expected_marker(segments, datetime.fromtimestamp(frame.pts_s + 1e-4, UTC))
            markers.append(m)
        time.sleep(0.002)
    clock.pause()
    assert len(markers) > 60  # 4x of 15 fps = 60 pictures a second
    assert markers.count(0) >= 2  # crossed into two new segments
    assert max(lags) < 1.5 and min(lags) > -0.01, (min(lags), max(lags))


def test_reverse_play_shows_every_frame_backwards_across_a_boundary(
        clips: dict[str, Path], tmp_path: Path, make_player: Callable[..., PlaybackPlayer]) -> None:
    segments = record(clips["cam01"], tmp_path, "cam01", BASE, 2)
    clock = MediaClock(BASE + timedelta(seconds=4.5))
    player = make_player(SegmentList({"cam01": segments}), clock, target_size=SIZE)
    shown_at(player, clock.position())
    clock.play(-1.0)
    seen: list[float] = []
    last = None
    t_end = time.monotonic() + 1.2
    while time.monotonic() < t_end:
        frame = player.latest_frame()
        if frame is not None and frame is not last and frame.pts_s is not None:
            last = frame
            seen.append(round((frame.pts_s - BASE.timestamp()) * FPS))
            assert marker(frame) == seen[-1] % 60
        time.sleep(0.002)
    clock.pause()
    # Backwards through the GOP of 4.0 s, over the boundary into the previous segment's last GOP, no frame skipped.
    assert seen[0] == 67 and seen[-1] < 55
    assert seen == list(range(seen[0], seen[-1] - 1, -1))


def test_gaps_say_no_recording_and_playback_resumes_after_them(
        clips: dict[str, Path], tmp_path: Path, make_player: Callable[..., PlaybackPlayer]) -> None:
    segments = record(clips["cam01"], tmp_path, "cam01", BASE, 2, gap_after={0: 3.0})
    clock = MediaClock(BASE + timedelta(seconds=5.5))  # the gap is 4.0 .. 7.0 s
    player = make_player(SegmentList({"cam01": segments}), clock, target_size=SIZE)
    wait_for(lambda: player.notice == "no recording")
    assert player.gap_until == segments[1].start_at and player.shown_at is None
    clock.seek(BASE + timedelta(seconds=3.98))  # the last frame before the gap
    assert marker(shown_at(player, clock.position())) == 59
    clock.play(2.0)  # through the gap and into the next segment
    wait_for(lambda: player.notice == "no recording", 2.0)
    wait_for(lambda: player.notice == "" and player.shown_at is not None and player.shown_at >= segments[1].start_at,
             4.0)
    clock.pause()
    clock.seek(BASE - timedelta(seconds=10))
    wait_for(lambda: player.notice == "no recording" and player.gap_until == BASE)


def test_missing_file_is_said_and_a_growing_segment_is_followed(
        clips: dict[str, Path], tmp_path: Path, make_player: Callable[..., PlaybackPlayer]) -> None:
    full = write_ts_segment(clips["cam01"], tmp_path / "full.ts")
    data = full.read_bytes()
    growing = tmp_path / "growing.ts"
    growing.write_bytes(data[: (len(data) // 2 // 188) * 188])  # the recorder has written about half so far
    missing = RecordedSegment(BASE - timedelta(seconds=10), BASE - timedelta(seconds=6), tmp_path / "gone.ts")
    live = RecordedSegment(BASE, BASE + timedelta(seconds=2), growing, status="recording")
    source = SegmentList({"cam01": [missing, live]})
    clock = MediaClock(BASE - timedelta(seconds=8))
    player = make_player(source, clock, target_size=SIZE)
    wait_for(lambda: player.notice == "recording file missing")
    at = BASE + timedelta(seconds=3.5)  # not written yet
    clock.seek(at)
    wait_for(lambda: player.shown_at is not None and player.shown_at < at - timedelta(seconds=1))
    growing.write_bytes(data)  # the recorder caught up
    source.by_camera["cam01"][1] = RecordedSegment(BASE, BASE + timedelta(seconds=4), growing, status="recording")
    assert marker(shown_at(player, at)) == 52
