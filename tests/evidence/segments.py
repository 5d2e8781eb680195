"""Real recorded segments for the clip-cut and export tests: H.264 in MPEG-TS, as the recorder writes them.

ffmpeg renders a test pattern with the frame number burned in (``lavfi testsrc`` + ``drawtext``), encodes it like
a camera (keyframe every second, no B-frames) and splits it by stream copy into segment files, so each file's
timestamps continue from the previous one, exactly as a stream-copy recorder's files do. Each file's UTC start
is derived by the recorder's own rule (start_at + (pts - first_pts) * time_base), with the first file at ``t0``.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av

from c4desk.store.recordings import RecordingRepository, segment_relpath

FFMPEG = "/usr/bin/ffmpeg"
FPS = 15


@dataclass(frozen=True)
class RecordedFile:
    path: Path
    start_at: datetime
    end_at: datetime
    first_pts: int
    packets: int


def render_segments(workdir: Path, seconds: int, segment_seconds: int, *, width: int = 320,
                    height: int = 240, audio: bool = False) -> list[Path]:
    """Encode ``seconds`` of numbered test pattern (and a 440 Hz AAC tone with ``audio``) and split it into TS
    segments of ``segment_seconds``."""
    workdir.mkdir(parents=True, exist_ok=True)
    pattern = workdir / "seg%03d.ts"
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-b:a", "64k"] \
        if audio else []
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size={width}x{height}:rate={FPS}:duration={seconds}", *sound,
         "-vf", "drawtext=text='%{n}':fontsize=36:x=8:y=8:fontcolor=white:box=1:boxcolor=black",
         "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
         "-bf", "0", "-pix_fmt", "yuv420p", "-f", "segment", "-segment_time", str(segment_seconds),
         "-segment_format", "mpegts", str(pattern)],
        check=True, timeout=120)
    return sorted(workdir.glob("seg*.ts"))


def describe(files: list[Path], t0: datetime) -> list[RecordedFile]:
    """Each file's UTC span by the recorder's time mapping, the first file's first packet at ``t0``."""
    out: list[RecordedFile] = []
    origin: int | None = None
    for path in files:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            tb = Fraction(stream.time_base)
            packets = [p for p in container.demux(stream) if p.pts is not None]
        first = packets[0].pts
        last = max(p.pts + (p.duration or 0) for p in packets)
        origin = first if origin is None else origin
        start = t0 + timedelta(seconds=float((first - origin) * tb))
        end = t0 + timedelta(seconds=float((last - origin) * tb))
        out.append(RecordedFile(path, start, end, first, len(packets)))
    return out


def record_into(repo: RecordingRepository, camera_id: str, recorded: list[RecordedFile]) -> list[int]:
    """Put the files where the recorder keeps them and index them (complete segments). Returns segment ids."""
    ids = []
    for item in recorded:
        segment = repo.open_segment(camera_id, item.start_at, "h264")
        target = repo.root / segment_relpath(camera_id, item.start_at)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, target)
        closed = repo.close_segment(segment.id, item.end_at, target.stat().st_size)
        assert closed is not None
        ids.append(closed.id)
    return ids
