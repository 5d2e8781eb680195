"""Cutting a span out of real recorded TS segments by stream copy: the span covered, the packets untouched.

The segments are real H.264/MPEG-TS files made by ffmpeg (see tests/evidence/segments.py): a keyframe every second,
four-second files, timestamps continuing from file to file as a stream-copy recorder writes them.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import pytest

from c4desk.media.clip_cut import CutCancelled, CutError, cut_clip
from tests.evidence.segments import FPS, RecordedFile, describe, render_segments

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
FRAME = timedelta(seconds=1 / FPS)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedFile]:
    return describe(render_segments(tmp_path_factory.mktemp("segments"), 12, 4), T0)


def source_packets(recorded: list[RecordedFile]) -> list[tuple[datetime, bytes, bool]]:
    """Every video packet of the recording: (UTC by the recorder's mapping, bytes, keyframe)."""
    out = []
    for item in recorded:
        with av.open(str(item.path)) as container:
            stream = container.streams.video[0]
            tb = Fraction(stream.time_base)
            for p in container.demux(stream):
                if p.pts is not None:
                    utc = item.start_at + timedelta(seconds=float((p.pts - item.first_pts) * tb))
                    out.append((utc, bytes(p), p.is_keyframe))
    return out


def output_packets(path: Path) -> list[tuple[float, bytes, bool]]:
    """Video packets of a cut: (seconds after its first packet, bytes, keyframe)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = Fraction(stream.time_base)
        packets = [(p.pts, bytes(p), p.is_keyframe) for p in container.demux(stream) if p.pts is not None]
    first = packets[0][0]
    return [(float((pts - first) * tb), data, key) for pts, data, key in packets]


def frame_hashes(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [hashlib.sha256(frame.to_ndarray(format="yuv420p").tobytes()).hexdigest()
                for frame in container.decode(video=0)]


def stream_params(path: Path) -> tuple[object, ...]:
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return ctx.name, ctx.profile, ctx.width, ctx.height, ctx.pix_fmt


def test_a_cut_across_segments_covers_the_span_and_copies_every_packet_unchanged(
        recorded: list[RecordedFile], tmp_path: Path) -> None:
    start, end = at(3.5), at(9.2)
    result = cut_clip(recorded, start, end, tmp_path / "clip.ts")

    # A stream copy starts at the keyframe at or before the start (one a second here) and covers the end.
    assert result.actual_start == at(3.0)
    assert result.actual_end >= end and result.actual_end - end < FRAME
    assert result.covers_request and result.gaps == ()
    assert result.segments == tuple(r.path for r in recorded)

    expected = [(utc, data, key) for utc, data, key in source_packets(recorded)
                if result.actual_start <= utc < end]
    got = output_packets(tmp_path / "clip.ts")
    assert len(got) == len(expected) == result.video_packets == round((9.2 - 3.0) * FPS)
    assert [data for _, data, _ in got] == [data for _, data, _ in expected]  # byte for byte: no re-encode
    assert got[0][2] and result.keyframes == sum(1 for _, _, key in got if key) == 7
    for (offset, _, _), (utc, _, _) in zip(got, expected, strict=True):  # one continuous clock, times kept
        assert abs(offset - (utc - result.actual_start).total_seconds()) < 1e-4
    assert stream_params(tmp_path / "clip.ts") == stream_params(recorded[0].path)
    with av.open(str(recorded[0].path)) as src:
        extradata = bytes(src.streams.video[0].codec_context.extradata or b"")
    assert result.codec["extradata_sha256"] == hashlib.sha256(extradata).hexdigest()
    assert len(frame_hashes(tmp_path / "clip.ts")) == len(expected)  # and it decodes, every frame


def test_the_mp4_holds_the_same_pictures_with_its_index_first(recorded: list[RecordedFile], tmp_path: Path) -> None:
    result = cut_clip(recorded, at(1.2), at(6.0), tmp_path / "clip.ts", mp4=tmp_path / "clip.mp4")
    assert result.mp4 == tmp_path / "clip.mp4"
    native, mp4 = frame_hashes(tmp_path / "clip.ts"), frame_hashes(tmp_path / "clip.mp4")
    assert len(native) == round((6.0 - 1.0) * FPS) and mp4 == native  # identical decoded pictures
    assert stream_params(tmp_path / "clip.mp4") == stream_params(tmp_path / "clip.ts")
    data = (tmp_path / "clip.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart
    assert not list(tmp_path.glob("*.part"))


def test_a_start_on_a_keyframe_starts_exactly_there(recorded: list[RecordedFile], tmp_path: Path) -> None:
    result = cut_clip(recorded, at(4.0), at(5.0), tmp_path / "clip.ts")
    assert (result.actual_start, result.actual_end) == (at(4.0), at(5.0))
    assert result.segments == (recorded[1].path,) and result.video_packets == FPS


def test_a_hole_in_the_recording_is_reported_and_kept_in_the_timestamps(
        recorded: list[RecordedFile], tmp_path: Path) -> None:
    result = cut_clip([recorded[0], recorded[2]], at(2.0), at(10.0), tmp_path / "clip.ts")
    assert not result.covers_request
    assert len(result.gaps) == 1
    gap_start, gap_end = result.gaps[0]
    assert abs((gap_start - at(4.0)).total_seconds()) < 0.01 and gap_end == at(8.0)
    got = output_packets(tmp_path / "clip.ts")
    assert len(got) == 2 * 2 * FPS
    assert got[2 * FPS][0] == pytest.approx(6.0, abs=1e-4)  # the first picture after the hole, 6 s in


def test_camera_audio_is_copied_alongside_into_both_files(tmp_path: Path) -> None:
    recorded = describe(render_segments(tmp_path / "segments", 8, 4, audio=True), T0)
    cut_clip(recorded, at(1.5), at(6.2), tmp_path / "clip.ts", mp4=tmp_path / "clip.mp4")
    for name in ("clip.ts", "clip.mp4"):
        with av.open(str(tmp_path / name)) as container:
            assert [(s.type, s.codec_context.name) for s in container.streams] == [("video", "h264"), ("audio", "aac")]
            audio = container.streams.audio[0]
            seconds = sum(f.samples for f in container.decode(audio)) / audio.codec_context.sample_rate
        assert 5.0 < seconds < 5.3  # the audio of the copied span (from the keyframe at 1 s to 6.2 s)


def test_a_span_past_the_end_of_the_recording_says_how_much_is_missing(
        recorded: list[RecordedFile], tmp_path: Path) -> None:
    result = cut_clip(recorded, at(10.5), at(15.0), tmp_path / "clip.ts")
    assert result.actual_start == at(10.0) and result.actual_end == at(12.0)
    assert result.gaps == ((at(12.0), at(15.0)),) and not result.covers_request


def test_a_span_with_no_recording_is_refused_and_leaves_no_file(recorded: list[RecordedFile], tmp_path: Path) -> None:
    with pytest.raises(CutError, match="no recorded video"):
        cut_clip(recorded, at(20), at(25), tmp_path / "clip.ts")
    with pytest.raises(CutError, match="missing"):
        cut_clip([replace(recorded[0], path=tmp_path / "gone.ts")], at(0), at(1), tmp_path / "clip.ts")
    with pytest.raises(CutError, match="not after"):
        cut_clip(recorded, at(5), at(5), tmp_path / "clip.ts")
    garbage = tmp_path.parent / f"{tmp_path.name}-garbage.ts"
    garbage.write_bytes(bytes(5000))
    with pytest.raises(CutError, match="unreadable"):
        cut_clip([replace(recorded[0], path=garbage)], at(0), at(1), tmp_path / "clip.ts")
    assert list(tmp_path.iterdir()) == []


def test_progress_rises_to_one_and_cancel_stops_the_cut_leaving_nothing(
        recorded: list[RecordedFile], tmp_path: Path) -> None:
    seen: list[float] = []
    cut_clip(recorded, at(0), at(12), tmp_path / "whole.ts", mp4=tmp_path / "whole.mp4", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3

    cancel = threading.Event()

    def cancel_half_way(fraction: float) -> None:
        if fraction > 0.3:
            cancel.set()

    with pytest.raises(CutCancelled):
        cut_clip(recorded, at(0), at(12), tmp_path / "c.ts", mp4=tmp_path / "c.mp4", progress=cancel_half_way,
                 cancel=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whole.mp4", "whole.ts"]
