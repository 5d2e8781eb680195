"""Cut one camera's time span out of its recorded segments by stream copy: no decoding, no re-encoding.

The recorder's segments are MPEG-TS files; a packet with timestamp ``p`` in a segment maps to the UTC instant
``start_at + (p - first_video_pts_in_file) * time_base`` (see c4desk.store.recordings). The cut copies, in
decode order, every packet from the last video keyframe at or before the requested start up to the last packet
that starts before the requested end, so the copy always begins with a picture a player can show. It therefore
usually starts a little before the requested start: ``CutResult.actual_start/actual_end`` say exactly what the
file covers, and evidence manifests record both spans.

Packets keep their bytes; only their timestamps are rebased to one continuous clock (the output's zero is the
actual start, each segment placed by its UTC start), so a cut across several segment files plays as one file.
Holes in the recording (between segments, or before/after the recorded part) are reported in ``gaps`` and kept
as holes in the timestamps rather than closed up, so times in the copy stay true.

The native copy is written in the segments' own container (.ts); an MP4 beside it (``-c copy -movflags
+faststart`` equivalent) is remuxed from that copy. PyAV (FFmpeg inside the ``av`` wheel) does the muxing, so the
same code runs on every platform the workstation ships for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av
import av.error

__all__ = ["CutCancelled", "CutError", "CutResult", "SegmentFile", "cut_clip", "remux_to_mp4"]

# Formats by the recorder's ``container`` column / file suffix.
_FORMATS = {"ts": "mpegts", "mkv": "matroska", "mp4": "mp4"}
# Two segments closer than this are continuous (the recorder rolls files at a keyframe; see store.recordings).
GAP_TOLERANCE = timedelta(seconds=1.5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ProgressFn = Callable[[float], None]


class SegmentFile(Protocol):
    """What the cutter needs of a recorded segment (c4desk.store.recordings.Segment fits)."""

    @property
    def path(self) -> Path: ...

    @property
    def start_at(self) -> datetime: ...

    @property
    def end_at(self) -> datetime: ...


class Cancelled(Protocol):
    def is_set(self) -> bool: ...


class CutError(RuntimeError):
    """The span could not be cut (no recording, unreadable segment); nothing is left at the output paths."""


class CutCancelled(CutError):
    """The caller cancelled; nothing is left at the output paths."""


@dataclass(frozen=True)
class CutResult:
    requested_start: datetime
    requested_end: datetime
    actual_start: datetime  # UTC of the first (key)frame in the copy
    actual_end: datetime  # UTC of the end of the last frame in the copy
    native: Path
    mp4: Path | None
    video_packets: int
    keyframes: int
    codec: dict[str, Any]  # name, profile, width, height, pix_fmt, time_base, frame_rate (what the copy holds)
    segments: tuple[Path, ...]  # the segment files the copy was taken from, in order
    gaps: tuple[tuple[datetime, datetime], ...] = ()  # parts of the requested span with no recorded video
    adjustments: tuple[str, ...] = field(default=())  # timestamp fixes at file boundaries (clock jitter)

    @property
    def covers_request(self) -> bool:
        return not self.gaps and self.actual_start <= self.requested_start and self.actual_end >= self.requested_end


def _seconds(at: datetime) -> Fraction:
    """``at`` as exact seconds since the epoch (microsecond resolution, as datetimes have)."""
    delta = at.astimezone(UTC) - _EPOCH
    return Fraction(delta.days * 86_400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _instant(seconds: Fraction) -> datetime:
    return _EPOCH + timedelta(microseconds=round(seconds * 1_000_000))


@dataclass
class _Pending:
    packet: Any  # av.Packet
    out_index: int
    t_pts: Fraction  # UTC seconds of the packet's presentation and decoding times
    t_dts: Fraction
    video: bool
    source: Path


class _Writer:
    """The output container, and the rebasing of timestamps onto one clock whose zero is the actual start."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.container = av.open(str(path), "w", format=fmt)
        self.streams: list[Any] = []
        self.origin: Fraction | None = None
        self.last_dts: dict[int, int] = {}
        self.video_packets = 0
        self.keyframes = 0
        self.end = Fraction(0)
        self.used: list[Path] = []
        self.holes: list[tuple[Fraction, Fraction]] = []
        self._last_source: Path | None = None  # segment file of the last picture written

    def add(self, template: Any) -> int:
        self.streams.append(self.container.add_stream_from_template(template))
        return len(self.streams) - 1

    def write(self, item: _Pending, shift: Fraction, frame: Fraction) -> None:
        assert self.origin is not None
        pkt = item.packet
        if item.source not in self.used:
            self.used.append(item.source)
        if item.video and item.source != self._last_source:  # the first picture from the next segment file
            if self._last_source is not None \
                    and item.t_pts + shift - self.end > Fraction(GAP_TOLERANCE.total_seconds()):
                self.holes.append((self.end, item.t_pts + shift))
            self._last_source = item.source
        # Timestamps are given in the packet's own time base; PyAV rescales them to the output stream's.
        tb = Fraction(pkt.time_base)
        dts = round((item.t_dts + shift - self.origin) / tb)
        pts = round((item.t_pts + shift - self.origin) / tb)
        last = self.last_dts.get(item.out_index)
        if last is not None and dts <= last:  # rounding at a file boundary: never hand the muxer a step back
            pts += last + 1 - dts
            dts = last + 1
        self.last_dts[item.out_index] = dts
        pkt.pts, pkt.dts = pts, dts
        pkt.stream = self.streams[item.out_index]
        if item.video:
            self.video_packets += 1
            self.keyframes += bool(pkt.is_keyframe)
            duration = Fraction(pkt.duration) * tb if pkt.duration else frame
            self.end = max(self.end, item.t_pts + shift + duration)
        self.container.mux(pkt)

    def close(self) -> None:
        self.container.close()


def _first_video_pts(path: Path) -> tuple[int, Fraction]:
    """The smallest video PTS of a segment file (its first video packet) and the video time base."""
    with av.open(str(path)) as probe:
        stream = probe.streams.video[0]
        for packet in probe.demux(stream):
            if packet.pts is not None:
                return packet.pts, _time_base(stream)
    raise CutError(f"{path}: no video packets")


def _time_base(stream: Any) -> Fraction:
    if stream.time_base is None:
        raise CutError(f"stream {stream.index} has no time base")
    return Fraction(stream.time_base)


def _codec(stream: Any) -> dict[str, Any]:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    return {"name": ctx.name, "profile": ctx.profile, "width": ctx.width, "height": ctx.height,
            "pix_fmt": ctx.pix_fmt, "time_base": str(stream.time_base),
            "frame_rate": None if rate is None else str(rate),
            "extradata_sha256": _sha256(bytes(ctx.extradata or b""))}


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _format_for(segment: SegmentFile) -> str:
    suffix = segment.path.suffix.lstrip(".").lower()
    return _FORMATS.get(suffix, "mpegts")


@contextlib.contextmanager
def _cleanup_on_error(*paths: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


def cut_clip(segments: Sequence[SegmentFile], start: datetime, end: datetime, native: Path, *,
             mp4: Path | None = None, progress: ProgressFn | None = None,
             cancel: Cancelled | None = None) -> CutResult:
    """Copy [start, end] of the segments (one camera's, any order) into ``native`` (and ``mp4`` if given).

    ``progress(fraction)`` is called as work proceeds (0..1); ``cancel.is_set()`` is polled between packets and
    stops the cut with CutCancelled. On any failure the output files are removed.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise CutError("start and end must carry a time zone (UTC)")
    if end <= start:
        raise CutError(f"end {end.isoformat()} is not after start {start.isoformat()}")
    ordered = sorted({s.path: s for s in segments}.values(), key=lambda s: (s.start_at, str(s.path)))
    if not ordered:
        raise CutError(f"no recording between {start.isoformat()} and {end.isoformat()}")
    for segment in ordered:
        if not segment.path.is_file():
            raise CutError(f"segment file missing: {segment.path}")
    native_part = native.with_name(native.name + ".part")
    report = progress or (lambda _f: None)
    split = 0.8 if mp4 is not None else 1.0
    with _cleanup_on_error(native_part, native):
        result = _cut_native(ordered, start, end, native_part, lambda f: report(f * split), cancel)
        os.replace(native_part, native)
        result_mp4 = None
        if mp4 is not None:
            with _cleanup_on_error(mp4):
                remux_to_mp4(native, mp4, progress=lambda f: report(split + f * (1 - split)), cancel=cancel)
            result_mp4 = mp4
    report(1.0)
    return CutResult(**{**result, "native": native, "mp4": result_mp4})


def _cut_native(ordered: Sequence[SegmentFile], start: datetime, end: datetime, out_path: Path,
                report: ProgressFn, cancel: Cancelled | None) -> dict[str, Any]:
    want_start, want_end = _seconds(start), _seconds(end)
    total_bytes = sum(max(1, s.path.stat().st_size) for s in ordered)
    done_bytes = 0
    seen = 0
    writer = _Writer(out_path, _format_for(ordered[0]))
    # Before the start is reached: the packets since the last keyframe at or before it (the "anchor").
    pending: list[_Pending] = []
    started = finished = False
    adjustments: list[str] = []
    codec: dict[str, Any] = {}
    slots: dict[tuple[str, int], int] = {}  # (stream type, n-th of that type) -> output stream
    frame = Fraction(1, 15)
    try:
        for segment in ordered:
            if finished:
                break
            try:
                first_pts, video_tb = _first_video_pts(segment.path)
            except (av.error.FFmpegError, OSError) as exc:
                raise CutError(f"{segment.path}: unreadable ({exc})") from exc
            origin = _seconds(segment.start_at) - first_pts * video_tb
            shift = Fraction(0)
            first_in_file = True
            with av.open(str(segment.path)) as source:
                wanted = [s for s in source.streams if s.type in ("video", "audio")]
                video = source.streams.video[0]
                if not writer.streams:
                    codec = _codec(video)
                    rate = video.average_rate or video.guessed_rate
                    frame = 1 / Fraction(rate) if rate else frame
                    for key, s in _typed(wanted):
                        slots[key] = writer.add(s)
                local = {s.index: slots[key] for key, s in _typed(wanted) if key in slots}
                for packet in source.demux(wanted):
                    if cancel is not None and cancel.is_set():
                        raise CutCancelled("cancelled")
                    out_index = local.get(packet.stream.index)
                    pts = packet.pts if packet.pts is not None else packet.dts
                    dts = packet.dts if packet.dts is not None else packet.pts
                    if out_index is None or pts is None or dts is None:
                        continue  # a stream we do not copy, or the demuxer's empty flush packet
                    tb = _time_base(packet.stream)
                    t_pts, t_dts = origin + pts * tb, origin + dts * tb
                    is_video = packet.stream.index == video.index
                    if is_video and first_in_file:
                        first_in_file = False
                        if started and t_pts < writer.end:
                            # This file's clock starts a touch before the last one ended: keep the order.
                            shift = writer.end - t_pts
                            adjustments.append(f"{segment.path.name}: placed {float(shift) * 1000:.1f} ms later "
                                               "to follow the previous segment")
                    item = _Pending(packet, out_index, t_pts, t_dts, is_video, segment.path)
                    seen += 1
                    if seen % 50 == 0 and packet.pos is not None and packet.pos > 0:
                        report(min(1.0, (done_bytes + packet.pos) / total_bytes))
                    if not started:
                        if is_video and packet.is_keyframe and t_pts <= want_start:
                            pending = [item]  # a later anchor replaces an earlier one
                        elif is_video and t_pts >= want_start:
                            if not pending and not packet.is_keyframe:
                                continue  # recording began after the start: wait for its first keyframe
                            pending.append(item)
                            started = True
                            writer.origin = pending[0].t_pts
                            for held in pending:
                                writer.write(held, Fraction(0), frame)
                            pending = []
                        elif pending:
                            pending.append(item)
                        continue
                    if t_dts + shift >= want_end if is_video else t_pts + shift >= want_end:
                        if is_video:
                            finished = True
                            break
                        continue
                    writer.write(item, shift, frame)
            done_bytes += max(1, segment.path.stat().st_size)
            report(min(1.0, done_bytes / total_bytes))
        if not started and pending:
            # Everything recorded ends before the start; only a last frame still on screen at the start counts.
            last = max((p for p in pending if p.video), key=lambda p: p.t_pts)
            if last.t_pts + frame > want_start:
                started = True
                writer.origin = pending[0].t_pts
                for held in pending:
                    writer.write(held, Fraction(0), frame)
        if not started or writer.origin is None:
            raise CutError(f"no recorded video between {start.isoformat()} and {end.isoformat()}")
    except av.error.FFmpegError as exc:
        raise CutError(f"stream copy failed: {exc}") from exc
    finally:
        writer.close()
    actual_start, actual_end = writer.origin, writer.end
    gaps = [(max(a, want_start), min(b, want_end)) for a, b in writer.holes]
    if actual_start > want_start:
        gaps.insert(0, (want_start, min(actual_start, want_end)))
    if actual_end < want_end:
        gaps.append((max(actual_end, want_start), want_end))
    return {"requested_start": start.astimezone(UTC), "requested_end": end.astimezone(UTC),
            "actual_start": _instant(actual_start), "actual_end": _instant(actual_end),
            "video_packets": writer.video_packets, "keyframes": writer.keyframes, "codec": codec,
            "segments": tuple(writer.used), "gaps": tuple((_instant(a), _instant(b)) for a, b in gaps if b > a),
            "adjustments": tuple(adjustments)}


def _typed(streams: Sequence[Any]) -> Iterator[tuple[tuple[str, int], Any]]:
    """Each stream keyed by (type, n-th stream of that type): how streams of successive segments are matched."""
    counts: dict[str, int] = {}
    for s in streams:
        n = counts.get(s.type, 0)
        counts[s.type] = n + 1
        yield (s.type, n), s


def remux_to_mp4(source: Path, mp4: Path, *, progress: ProgressFn | None = None,
                 cancel: Cancelled | None = None) -> Path:
    """Copy every audio/video packet of ``source`` into an MP4 with its index at the front (faststart)."""
    part = mp4.with_name(mp4.name + ".part")
    total = max(1, source.stat().st_size)
    with _cleanup_on_error(part):
        try:
            with av.open(str(source)) as inp, av.open(str(part), "w", format="mp4",
                                                        options={"movflags": "+faststart"}) as out:
                wanted = [s for s in inp.streams if s.type in ("video", "audio")]
                mapping = {s.index: out.add_stream_from_template(s) for s in wanted}
                for n, packet in enumerate(inp.demux(wanted)):
                    if cancel is not None and cancel.is_set():
                        raise CutCancelled("cancelled")
                    if packet.dts is None:
                        continue
                    if progress is not None and n % 50 == 0 and packet.pos is not None and packet.pos > 0:
                        progress(min(1.0, packet.pos / total))
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)
        except av.error.FFmpegError as exc:
            raise CutError(f"MP4 copy failed: {exc}") from exc
        os.replace(part, mp4)
    if progress is not None:
        progress(1.0)
    return mp4
