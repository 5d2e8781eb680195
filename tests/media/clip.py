"""A synthetic test clip whose every frame says what it is, and the pixel checks that read it back.

Each second of the clip has its own background colour and a white square in its own quadrant, and a bar
code along the bottom carries the frame index (8 bits, LSB first, white = 1). A decoded frame at any target
size can therefore be checked for the right colour, the right pattern and the right moment in the clip,
within the tolerance H.264 and scaling leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from c4desk.media.player import Frame

FPS = 15
SECONDS = 4
# RGB, kept away from the extremes so that YUV 4:2:0 round trips stay inside the tolerance.
COLOURS: tuple[tuple[int, int, int], ...] = ((210, 40, 40), (40, 190, 40), (40, 40, 210), (210, 210, 40))
WHITE = (235, 235, 235)
BLACK = (16, 16, 16)
BITS = 8
TOLERANCE = 48  # per channel, after H.264 at CRF 18 and bilinear down-scaling

# Normalised geometry (fractions of width / height), shared by the renderer and the checks.
SQUARE_CENTRES = ((0.25, 0.22), (0.75, 0.22), (0.75, 0.62), (0.25, 0.62))  # per second: TL, TR, BR, BL
SQUARE_HALF = (0.10, 0.12)
BACKGROUND_PROBE = (0.5, 0.42)
BARCODE_TOP = 0.86


def render_rgb(index: int, width: int, height: int) -> np.ndarray:
    """The RGB picture of frame `index` (an HxWx3 uint8 array)."""
    second = (index // FPS) % len(COLOURS)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = COLOURS[second]
    cx, cy = SQUARE_CENTRES[second]
    hx, hy = SQUARE_HALF
    img[int((cy - hy) * height) : int((cy + hy) * height), int((cx - hx) * width) : int((cx + hx) * width)] = WHITE
    top = int(BARCODE_TOP * height)
    for bit in range(BITS):
        x0, x1 = bit * width // BITS, (bit + 1) * width // BITS
        img[top:, x0:x1] = WHITE if (index >> bit) & 1 else BLACK
    return img


def write_clip(path: Path, width: int = 320, height: int = 240, seconds: int = SECONDS) -> Path:
    """Encode the clip as H.264 into `path` (MP4 or TS): no B-frames, a keyframe a second, like a camera."""
    tmp = path.with_name(path.name + ".part")
    fmt = "mpegts" if path.suffix == ".ts" else "mp4"
    with av.open(str(tmp), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = FPS
        stream.codec_context.max_b_frames = 0
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.options = {"crf": "18", "preset": "veryfast", "tune": "zerolatency"}
        for i in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(render_rgb(i, width, height), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    tmp.replace(path)
    return path


def remux_to_ts(src: Path, dst: Path) -> Path:
    """Copy the H.264 stream of `src` into MPEG-TS (what an HTTP camera or gateway serves)."""
    tmp = dst.with_name(dst.name + ".part")
    with av.open(str(src)) as inp, av.open(str(tmp), "w", format="mpegts") as out:
        in_stream = inp.streams.video[0]
        out_stream = out.add_stream_from_template(in_stream)
        for packet in inp.demux(in_stream):
            if packet.dts is None:
                continue
            packet.stream = out_stream
            out.mux(packet)
    tmp.replace(dst)
    return dst


# ---------------------------------------------------------------------------------------------- checks


def bgra_array(frame: Frame) -> np.ndarray:
    """The frame's pixels as an HxWx4 (B, G, R, A) view, honouring the stride."""
    buf = np.frombuffer(frame.data, np.uint8)
    rows = buf[: frame.stride * frame.height].reshape(frame.height, frame.stride)
    return rows[:, : frame.width * 4].reshape(frame.height, frame.width, 4)


def _rgb_at(img: np.ndarray, fx: float, fy: float, radius: float = 0.02) -> np.ndarray:
    h, w = img.shape[:2]
    x, y = int(fx * w), int(fy * h)
    rx, ry = max(1, int(radius * w)), max(1, int(radius * h))
    patch = img[y - ry : y + ry + 1, x - rx : x + rx + 1, :3].reshape(-1, 3).astype(np.int32)
    b, g, r = patch.mean(axis=0)
    return np.array([r, g, b])


def _close(rgb: np.ndarray, want: Sequence[int]) -> bool:
    return bool(np.all(np.abs(rgb - np.array(want)) <= TOLERANCE))


@dataclass(frozen=True)
class Reading:
    index: int  # frame index from the bar code
    second: int  # which second's colour and pattern the frame shows


def read_frame(frame: Frame) -> Reading:
    """Check colour, pattern and bar code of a decoded frame; raise AssertionError when any disagree."""
    img = bgra_array(frame)
    bg = _rgb_at(img, *BACKGROUND_PROBE)
    matches = [s for s, colour in enumerate(COLOURS) if _close(bg, colour)]
    assert len(matches) == 1, f"background {bg.round()} matches no clip colour"
    second = matches[0]
    for q, (cx, cy) in enumerate(SQUARE_CENTRES):
        rgb = _rgb_at(img, cx, cy)
        want = WHITE if q == second else COLOURS[second]
        assert _close(rgb, want), f"quadrant {q} is {rgb.round()}, expected {want} (second {second})"
    index = 0
    bar_y = (BARCODE_TOP + 1.0) / 2
    for bit in range(BITS):
        rgb = _rgb_at(img, (bit + 0.5) / BITS, bar_y, radius=0.01)
        if _close(rgb, WHITE):
            index |= 1 << bit
        else:
            assert _close(rgb, BLACK), f"bar code bit {bit} is {rgb.round()}"
    assert (index // FPS) % len(COLOURS) == second, f"bar code says frame {index}, colour says second {second}"
    return Reading(index, second)
