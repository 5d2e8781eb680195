"""Pre-rendered H.264 clips for the demo city's cameras.

Live-encoding 17 cameras would cost a third of a core each (DESIGN.md), so every camera gets one clip of exactly
one scenario period that the RTSP server loops without re-encoding. A clip is a static street scene drawn once
per camera, plus what moves: background traffic (periodic in the loop, so the loop seam is invisible), the
scripted suspect vehicle exactly where ``script.sighting`` says it is, and burned-in overlays:

- a solid identity band across the top whose colour is unique per camera (``camera_colour``), so tests and
  humans can tell which camera a player shows;
- the camera name, street label and a running clock (loop time and frame number);
- a row of black/white blocks encoding the frame index (``decode_frame_marker``), so tests can tell which
  frame a player shows, after compression and scaling.

Rendering is cached on disk by a hash of everything that changes the pixels (``clip_path``) and written under
a temporary name first, so an interrupted render never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from c4desk.demo import script
from c4desk.demo.city import PLACEMENTS, CameraPlacement
from c4desk.domain.camera import CameraKind
from c4desk.domain.geo import angle_diff_deg

# Bump whenever the drawing or encoding changes: it invalidates every cached clip.
RENDER_VERSION = 2
DEFAULT_SIZE = (640, 360)

Size = tuple[int, int]
RGB = tuple[int, int, int]
FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont

# --- identity colours ---------------------------------------------------------------------------------------------
# Levels 0/128/255 per channel keep any two palette colours at least 127 apart in some channel, far beyond
# what H.264 + 4:2:0 moves a flat area (a few units), so a +-30 match can never confuse two cameras. Fully
# saturated colours (one channel 0, another 255) come first; no greys.
_LEVELS = (0, 128, 255)
_PALETTE: tuple[RGB, ...] = tuple(sorted(
    ((r, g, b) for r in _LEVELS for g in _LEVELS for b in _LEVELS if not r == g == b),
    key=lambda c: (-(max(c) - min(c)), -sum(x == 255 for x in c), c),
))


def camera_colour(camera_id: str) -> RGB:
    """The identity-band colour of a camera: the demo cameras get distinct palette entries, others a hash."""
    ids = [p.id for p in PLACEMENTS]
    index = ids.index(camera_id) if camera_id in ids else len(ids) + zlib.crc32(camera_id.encode()) % 7
    return _PALETTE[index % len(_PALETTE)]


def identity_band(size: Size) -> tuple[int, int, int, int]:
    """The (x0, y0, x1, y1) box of the identity band at a rendered size."""
    w, h = size
    return 0, 0, w, max(6, round(24 * h / 360))


def identity_colour(rgb: np.ndarray) -> RGB:
    """The identity colour found in a decoded frame (median of the band's inner part, any frame size)."""
    h, w = rgb.shape[:2]
    band_h = identity_band((w, h))[3]
    inner = rgb[band_h // 4: max(band_h // 4 + 1, band_h * 3 // 4), w // 8: w * 7 // 8]
    med = np.median(inner.reshape(-1, 3), axis=0)
    return int(med[0]), int(med[1]), int(med[2])


def identify_camera(rgb: np.ndarray, tolerance: int = 30) -> str | None:
    """Which demo camera a decoded frame comes from, by its identity band; None if no colour matches."""
    seen = identity_colour(rgb)
    for p in PLACEMENTS:
        if all(abs(a - b) <= tolerance for a, b in zip(seen, camera_colour(p.id), strict=True)):
            return p.id
    return None


# --- frame marker -------------------------------------------------------------------------------------------------
# 16 blocks: white and black guards (they give the decoder its threshold), 13 data bits MSB first (8192 frames,
# over 9 minutes at 15 fps; larger indices wrap) and an even-parity bit. Blocks are aligned to the block grid,
# which at 640x360 is the H.264 macroblock grid, so each block codes as one flat macroblock.
MARKER_BLOCKS = 16
MARKER_DATA_BITS = 13


def marker_layout(size: Size) -> tuple[int, int, int]:
    """(x0, y0, block) of the frame marker at a rendered size: bottom-left, one block in from the edge."""
    w, h = size
    block = max(4, round(w / 40))
    return block, ((h - 2 * block) // block) * block, block


def _marker_bits(index: int) -> list[int]:
    value = index % (1 << MARKER_DATA_BITS)
    data = [(value >> (MARKER_DATA_BITS - 1 - i)) & 1 for i in range(MARKER_DATA_BITS)]
    return [1, 0, *data, sum(data) % 2]


def decode_frame_marker(rgb: np.ndarray, size: Size | None = None) -> int | None:
    """The frame index burned into a decoded frame, or None if the marker is unreadable.

    ``rgb`` is an HxWx3 array. ``size`` is the size the clip was rendered at; when the array has another size
    (a player scaled it) the layout is scaled to match. Only the centre half of each block is sampled and the
    threshold comes from the guard blocks, so compression ringing and level shifts do not matter.
    """
    h, w = rgb.shape[:2]
    rw, rh = size or (w, h)
    x0, y0, block = marker_layout((rw, rh))
    sx, sy = w / rw, h / rh
    means = []
    for i in range(MARKER_BLOCKS):
        bx0 = (x0 + i * block + block / 4) * sx
        by0 = (y0 + block / 4) * sy
        xa, xb = int(bx0), max(int(bx0) + 1, int(bx0 + block / 2 * sx))
        ya, yb = int(by0), max(int(by0) + 1, int(by0 + block / 2 * sy))
        patch = rgb[ya:yb, xa:xb, :3].astype(np.float32)
        if patch.size == 0:
            return None
        means.append(float((patch @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).mean()))
    white, black = means[0], means[1]
    if white - black < 60:
        return None
    threshold = (white + black) / 2
    bits = [1 if m > threshold else 0 for m in means]
    data = bits[2:2 + MARKER_DATA_BITS]
    if sum(data) % 2 != bits[-1]:
        return None
    return int("".join(map(str, data)), 2)


# --- fonts --------------------------------------------------------------------------------------------------------
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _font(size: int, face: str = "DejaVuSans-Bold.ttf") -> FontType:
    """A DejaVu font (fonts-dejavu-core) at ``size`` px, or Pillow's built-in font when it is missing."""
    try:
        return ImageFont.truetype(str(_FONT_DIR / face), max(6, size))
    except OSError:
        return ImageFont.load_default(max(6, size))


# --- the camera's view --------------------------------------------------------------------------------------------
_HEIGHT_M = {CameraKind.FIXED: 6.0, CameraKind.PTZ: 9.0, CameraKind.LPR: 2.5, CameraKind.PRIVATE: 3.5}
ROAD_HALF_M = 7.0
SIDEWALK_M = 4.0
CAR_WIDTH_M = 1.8
TRAFFIC_SPAN_M = 170.0
SUSPECT_BODY: RGB = (22, 40, 120)
_CAR_COLOURS: tuple[RGB, ...] = (
    (235, 235, 230), (180, 182, 186), (30, 30, 32), (170, 25, 30), (110, 30, 35), (205, 190, 150),
    (120, 120, 118), (230, 190, 30), (40, 95, 55), (215, 110, 30),
)
_PLATE_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class View:
    """A pinhole camera over a flat street: maps ground distances and offsets to pixels."""

    w: int
    h: int
    focal: float
    horizon: float
    height_m: float

    @classmethod
    def of(cls, p: CameraPlacement, size: Size) -> View:
        w, h = size
        return cls(w, h, (w / 2) / math.tan(math.radians(p.fov_deg / 2)), h * 0.40, _HEIGHT_M[p.kind])

    def x(self, lateral_m: float, d: float) -> float:
        return self.w / 2 + self.focal * lateral_m / d

    def y(self, d: float, z: float = 0.0) -> float:
        return self.horizon + self.focal * (self.height_m - z) / d

    def quad(self, lat0: float, lat1: float, d0: float, d1: float) -> list[tuple[float, float]]:
        """A ground rectangle (lateral lat0..lat1, distance d0..d1) projected to a polygon."""
        return [(self.x(lat0, d0), self.y(d0)), (self.x(lat1, d0), self.y(d0)),
                (self.x(lat1, d1), self.y(d1)), (self.x(lat0, d1), self.y(d1))]


def _caption_height(size: Size) -> int:
    return round(40 * size[1] / 360)


@cache
def _background(p: CameraPlacement, size: Size) -> Image.Image:
    """The static scene of one camera, drawn once: sky, buildings, street, markings, band and captions."""
    img = scene_image(p, View.of(p, size))
    draw_static_overlays(ImageDraw.Draw(img), p, size)
    return img


def scene_image(p: CameraPlacement, v: View) -> Image.Image:
    """The street scene alone (no band, captions or marker) as camera ``p`` sees it through ``v``.

    Separate from the overlays so that a PTZ camera's panorama (``ptz_scene``) can be built from several such
    views; the pixels of the fixed cameras' clips are the same as before the split.
    """
    w, h = v.w, v.h
    size = (w, h)
    rng = random.Random(f"{script.SEED}:{p.id}:scene")
    img = Image.new("RGB", size)
    sky = np.linspace((128, 165, 205), (196, 212, 228), max(1, int(v.horizon) + 1)).astype(np.uint8)
    arr = np.zeros((h, w, 3), np.uint8)
    arr[: len(sky)] = sky[:, None, :]
    arr[len(sky):] = (112, 112, 108)
    img.paste(Image.fromarray(arr))
    d = ImageDraw.Draw(img)
    near, far = 0.8, 400.0
    edge = ROAD_HALF_M + SIDEWALK_M
    # Cross streets at the intersection in view and the next one down the block.
    cross = [(p.setback_m - ROAD_HALF_M, p.setback_m + ROAD_HALF_M)]
    cross.append((cross[0][0] + 150.0, cross[0][1] + 150.0))
    # Ground: sidewalks, road, cross streets, kerbs, markings.
    d.polygon(v.quad(-edge, edge, near, far), fill=(150, 148, 142))
    d.polygon(v.quad(-ROAD_HALF_M, ROAD_HALF_M, near, far), fill=(68, 68, 70))
    for a, b in cross:
        d.polygon(v.quad(-200, 200, max(near, a), b), fill=(68, 68, 70))
        for i in range(-6, 7):  # zebra crossing at the near side of each cross street
            lat = i * 1.1
            d.polygon(v.quad(lat - 0.3, lat + 0.3, max(near, a - 3.5), max(near, a - 0.5)), fill=(215, 215, 210))
    for side in (-1, 1):
        d.polygon(v.quad(side * ROAD_HALF_M - 0.15, side * ROAD_HALF_M + 0.15, near, far), fill=(200, 198, 190))
    dash = near
    while dash < far:
        if not any(a < dash + 3 and dash < b for a, b in cross):
            d.polygon(v.quad(-0.25, -0.05, dash, dash + 3), fill=(225, 180, 40))
            d.polygon(v.quad(0.05, 0.25, dash, dash + 3), fill=(225, 180, 40))
            for lat in (-ROAD_HALF_M / 2, ROAD_HALF_M / 2):
                d.polygon(v.quad(lat - 0.08, lat + 0.08, dash, dash + 3), fill=(210, 210, 205))
        dash += 9.0
    # Building facades along both sides over the ground, far first, with gaps at the cross streets.
    for side in (-1, 1):
        dist = max(near, cross[0][1] + 1.5)
        facades = []
        while dist < far:
            length = rng.uniform(18, 45)
            blocked = [b for a, b in cross if a - 1 < dist + length and dist < b + 1]
            if blocked:  # leave the cross street open
                dist = max(blocked) + 1.5
                continue
            facades.append((dist, dist + length, rng.uniform(9, 34), rng.choice(
                ((150, 80, 60), (170, 160, 140), (120, 118, 115), (190, 175, 150), (95, 70, 60), (160, 150, 160)))))
            dist += length + rng.uniform(0, 2)
        for d0, d1, height, colour in reversed(facades):
            lat = side * edge
            poly = [(v.x(lat, d0), v.y(d0)), (v.x(lat, d1), v.y(d1)),
                    (v.x(lat, d1), v.y(d1, height)), (v.x(lat, d0), v.y(d0, height))]
            d.polygon(poly, fill=colour, outline=tuple(max(0, c - 35) for c in colour))
            floors = int(height // 3.5)
            bays = max(1, int((d1 - d0) // 4))
            for f in range(1, floors):
                for b in range(bays):
                    wd0, wd1 = d0 + (b + 0.3) * (d1 - d0) / bays, d0 + (b + 0.7) * (d1 - d0) / bays
                    z0, z1 = f * 3.5, f * 3.5 + 1.6
                    lit = rng.random() < 0.25
                    d.polygon([(v.x(lat, wd0), v.y(wd0, z0)), (v.x(lat, wd1), v.y(wd1, z0)),
                               (v.x(lat, wd1), v.y(wd1, z1)), (v.x(lat, wd0), v.y(wd0, z1))],
                              fill=(222, 205, 140) if lit else (58, 62, 66))
    return img


def draw_static_overlays(d: ImageDraw.ImageDraw, p: CameraPlacement, size: Size) -> None:
    """What does not move on a camera's picture: identity band, caption block, the frame marker's plate."""
    w, h = size
    band = identity_band(size)
    d.rectangle((band[0], band[1], band[2] - 1, band[3] - 1), fill=camera_colour(p.id))
    cap_h = _caption_height(size)
    d.rectangle((0, band[3], w - 1, band[3] + cap_h - 1), fill=(24, 24, 26))
    scale = h / 360
    pad = round(6 * scale)
    d.text((pad, band[3] + round(3 * scale)), f"{p.id.upper()}  {p.name}", fill=(245, 245, 245),
           font=_font(round(15 * scale)))
    d.text((pad, band[3] + round(21 * scale)), p.node.label, fill=(200, 200, 200),
           font=_font(round(13 * scale), "DejaVuSans.ttf"))
    # A neutral plate behind the frame marker so it reads well whatever the scene is.
    x0, y0, block = marker_layout(size)
    d.rectangle((x0 - block // 2, y0 - block // 2, x0 + MARKER_BLOCKS * block + block // 2 - 1,
                 y0 + block + block // 2 - 1), fill=(128, 128, 128))


@dataclass(frozen=True)
class _Car:
    lateral_m: float
    loops: int
    phase: float
    colour: RGB
    plate: str

    def distance(self, t: float) -> float:
        frac = (self.phase + self.loops * t / script.PERIOD_S) % 1.0
        if self.lateral_m < 0:  # left lanes come towards the camera
            frac = 1.0 - frac
        return 2.0 + frac * TRAFFIC_SPAN_M


@cache
def _traffic(camera_id: str) -> tuple[_Car, ...]:
    """A few background cars per camera, seeded by the camera id. Each makes a whole number of trips per
    scenario period, so the traffic is identical at t and t + PERIOD_S and the loop seam does not show."""
    rng = random.Random(f"{script.SEED}:{camera_id}:traffic")
    cars = []
    for _ in range(rng.randint(4, 7)):
        plate = "".join(rng.choice(_PLATE_CHARS) for _ in range(3)) + str(rng.randrange(1000, 9999))
        lane = rng.choice((-5.25, -1.75, 1.75, 5.25))
        cars.append(_Car(lane + rng.uniform(-0.3, 0.3), rng.randint(3, 8), rng.random(), rng.choice(_CAR_COLOURS),
                         plate))
    return tuple(cars)


def _draw_car(d: ImageDraw.ImageDraw, cx: float, bottom: float, width: float, body: RGB, plate: str,
              rear: bool) -> None:
    """A car seen from behind or in front: body, cabin, wheels, lights, and its plate, readable when near."""
    w = width
    dark = tuple(max(0, c - 45) for c in body)
    d.rectangle((cx - w * 0.46, bottom - w * 0.14, cx - w * 0.30, bottom), fill=(15, 15, 15))
    d.rectangle((cx + w * 0.30, bottom - w * 0.14, cx + w * 0.46, bottom), fill=(15, 15, 15))
    d.polygon([(cx - w * 0.40, bottom - w * 0.46), (cx + w * 0.40, bottom - w * 0.46),
               (cx + w * 0.32, bottom - w * 0.74), (cx - w * 0.32, bottom - w * 0.74)], fill=dark)
    glass = (70, 78, 84) if rear else (95, 105, 110)
    d.polygon([(cx - w * 0.35, bottom - w * 0.48), (cx + w * 0.35, bottom - w * 0.48),
               (cx + w * 0.29, bottom - w * 0.70), (cx - w * 0.29, bottom - w * 0.70)], fill=glass)
    d.rectangle((cx - w * 0.5, bottom - w * 0.46, cx + w * 0.5, bottom - w * 0.08), fill=body)
    light = (200, 20, 20) if rear else (250, 245, 215)
    d.rectangle((cx - w * 0.47, bottom - w * 0.40, cx - w * 0.33, bottom - w * 0.32), fill=light)
    d.rectangle((cx + w * 0.33, bottom - w * 0.40, cx + w * 0.47, bottom - w * 0.32), fill=light)
    pw, ph = w * 0.50, w * 0.17
    px0, py0 = cx - pw / 2, bottom - w * 0.30
    if ph >= 2:
        d.rectangle((px0, py0, px0 + pw, py0 + ph), fill=(240, 240, 236), outline=(40, 40, 40))
    if ph >= 9:
        font = _font(int(ph * 0.78))
        length = font.getlength(plate)
        if length > pw * 0.94:
            font = _font(int(ph * 0.78 * pw * 0.94 / length))
        d.text((cx, py0 + ph / 2), plate, fill=(15, 15, 20), font=font, anchor="mm")


def _car_geometry(v: View, lateral_px: float, d_fwd: float) -> tuple[float, float, float]:
    """(centre x, bottom y, width) of a car at forward distance d_fwd: nearer is larger and lower."""
    width = min(v.w * 0.45, max(3.0, v.focal * CAR_WIDTH_M / d_fwd))
    bottom = min(v.h - v.h * 0.02, v.y(d_fwd))
    return lateral_px, bottom, width


def suspect_box(p: CameraPlacement, t: float, size: Size = DEFAULT_SIZE) -> tuple[int, int, int, int] | None:
    """The (x0, y0, x1, y1) pixel box the suspect vehicle occupies in camera ``p`` at loop time t, or None.

    Horizontal position is the sighting's angle as a fraction of the half field of view; size and height in the
    frame follow the distance. The drawing uses the same box, so tests can look exactly there.
    """
    s = script.sighting(p, t)
    if s is None:
        return None
    v = View.of(p, size)
    x = v.w / 2 + max(-1.0, min(1.0, s.rel_angle_deg / (p.fov_deg / 2))) * v.w / 2
    d_fwd = max(1.0, s.distance_m * math.cos(math.radians(s.rel_angle_deg)))
    cx, bottom, width = _car_geometry(v, x, d_fwd)
    return round(cx - width / 2), round(bottom - width * 0.74), round(cx + width / 2), round(bottom)


def render_frame(p: CameraPlacement, t: float, index: int, size: Size = DEFAULT_SIZE) -> Image.Image:
    """One frame of camera ``p`` at loop time t (frame number ``index``) as an RGB image."""
    img = _background(p, size).copy()
    d = ImageDraw.Draw(img)
    v = View.of(p, size)
    cars = [(car.distance(t), car) for car in _traffic(p.id)]
    for dist, car in sorted(cars, key=lambda c: -c[0]):
        if dist < 3.0:
            continue
        cx, bottom, width = _car_geometry(v, v.x(car.lateral_m, dist), dist)
        _draw_car(d, cx, bottom, width, car.colour, car.plate, rear=car.lateral_m > 0)
    box = suspect_box(p, t, size)
    if box is not None:  # drawn over traffic so the scenario's vehicle is never hidden
        heading = script.vehicle_heading(t)
        rear = heading is None or angle_diff_deg(heading, p.heading_deg) < 90
        x0, _, x1, bottom = box
        _draw_car(d, (x0 + x1) / 2, bottom, x1 - x0, SUSPECT_BODY, script.SUSPECT_PLATE, rear)
    draw_overlays(d, t, index, size)
    return img


def draw_overlays(d: ImageDraw.ImageDraw, t: float, index: int, size: Size) -> None:
    """What changes on every picture: the loop clock, the frame number and the frame marker."""
    w, h = size
    scale = h / 360
    top = identity_band(size)[3]
    minutes, seconds = divmod(t, 60.0)
    clock = f"T+{int(minutes):02d}:{seconds:04.1f}"
    font = _font(round(14 * scale), "DejaVuSansMono-Bold.ttf")
    d.text((w - round(6 * scale), top + round(3 * scale)), clock, fill=(255, 255, 255), font=font, anchor="ra")
    d.text((w - round(6 * scale), top + round(21 * scale)), f"#{index:05d}", fill=(200, 200, 200),
           font=_font(round(12 * scale), "DejaVuSansMono.ttf"), anchor="ra")
    x0, y0, block = marker_layout(size)
    for i, bit in enumerate(_marker_bits(index)):
        d.rectangle((x0 + i * block, y0, x0 + (i + 1) * block - 1, y0 + block - 1),
                    fill=(255, 255, 255) if bit else (0, 0, 0))


# --- encoding and caching -----------------------------------------------------------------------------------------
def keyframe_interval(fps: int) -> int:
    """Frames from one keyframe to the next in the demo's clips (about half a second)."""
    return max(1, fps // 2)


def _x264_options(fps: int) -> dict[str, str]:
    # GOP of half a second so a client joining mid-stream waits at most 0.5 s for a picture (the alert bench's
    # first-frame target is 1 s including RTSP set-up; a 1 s GOP missed it at p95), and so stream-copy clip cuts
    # land within half a second of the marked in-point; no B-frames and
    # zerolatency so the RTP stream's decode order is its display order; SPS/PPS repeated on every keyframe
    # for the same reason; BT.601 flagged so every player converts colours the same way. The encoder runs
    # single-threaded (render_all parallelises across clips instead): x264's sliced threads cut each picture
    # into several slices, and such streams came out of gst-rtsp-server -> FFmpeg's RTSP client corrupted.
    gop = keyframe_interval(fps)
    return {
        "preset": "veryfast", "tune": "zerolatency", "crf": "23", "maxrate": "900k", "bufsize": "900k",
        "x264-params": (f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:repeat-headers=1"
                        ":colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m"),
    }


def render_clip(placement: CameraPlacement, out_path: str | os.PathLike[str], *, seconds: float = script.PERIOD_S,
                fps: int = script.FPS, size: Size = DEFAULT_SIZE, start_s: float = 0.0) -> Path:
    """Encode ``seconds`` of camera ``placement`` to an H.264 MP4 at ``out_path`` and return the path.

    Frame n shows loop time ``start_s + n / fps`` and carries frame index ``round(start_s * fps) + n`` in its
    marker. The file is written directly; ``render_all`` adds the cache and the temporary-name protocol.
    """
    out = Path(out_path)
    first = round(start_s * fps)
    frames = round(seconds * fps)
    with av.open(str(out), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options=_x264_options(fps))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = fps
        stream.codec_context.max_b_frames = 0
        stream.codec_context.thread_count = 1  # one slice per picture (see _x264_options)
        for n in range(frames):
            index = first + n
            img = render_frame(placement, index / fps, index, size)
            # swscale has a fast unscaled BGR24 -> YUV420P path (faster than the RGB24 one); PIL emits BGR for free.
            bgr = np.frombuffer(img.tobytes("raw", "BGR"), np.uint8).reshape(size[1], size[0], 3)
            frame = av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")
            frame.pts = n
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def _source_digest() -> str:
    """Digest of the modules whose logic decides the pixels beyond the constants (route, sightings, city)."""
    h = hashlib.sha256()
    for mod in ("city.py", "script.py"):
        try:
            h.update((Path(__file__).with_name(mod)).read_bytes())
        except OSError:  # frozen builds ship no sources; the constants in clip_key still count
            h.update(mod.encode())
    return h.hexdigest()


def clip_key(placement: CameraPlacement, *, seconds: float, fps: int, size: Size, start_s: float = 0.0) -> str:
    """A short hash of everything that determines a clip's content."""
    blob = json.dumps({
        "version": RENDER_VERSION, "placement": repr(placement), "seconds": seconds, "fps": fps,
        "size": list(size), "start": start_s, "period": script.PERIOD_S, "seed": script.SEED,
        "plate": script.SUSPECT_PLATE, "route": repr(script.ROUTE), "route_start": script.ROUTE_START_S,
        "speed": script.SPEED_MPS, "lead_in": script.LEAD_IN_M, "sources": _source_digest(),
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def clip_path(out_dir: str | os.PathLike[str], placement: CameraPlacement, *, seconds: float = script.PERIOD_S,
              fps: int = script.FPS, size: Size = DEFAULT_SIZE, start_s: float = 0.0) -> Path:
    key = clip_key(placement, seconds=seconds, fps=fps, size=size, start_s=start_s)
    return Path(out_dir) / f"{placement.id}-{size[0]}x{size[1]}-{fps}fps-{seconds:g}s-{key}.mp4"


def is_complete(path: Path, frames: int) -> bool:
    """True when ``path`` is a finished clip: it opens and its index holds the expected number of frames."""
    if not path.is_file() or path.stat().st_size < 1024:
        return False
    try:
        with av.open(str(path)) as container:
            return container.streams.video[0].frames == frames
    except (av.FFmpegError, IndexError, OSError):
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_temps(final: Path) -> None:
    """Remove temporary files of this clip left by renders whose process no longer exists."""
    for tmp in final.parent.glob(f".{final.name}.*.tmp"):
        try:
            pid = int(tmp.name.rsplit(".", 2)[-2])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            tmp.unlink(missing_ok=True)


def render_cached(placement: CameraPlacement, out_dir: str | os.PathLike[str], *,
                  seconds: float = script.PERIOD_S, fps: int = script.FPS, size: Size = DEFAULT_SIZE,
                  start_s: float = 0.0) -> Path:
    """The clip for ``placement`` in ``out_dir``: reused when complete, else rendered to a temporary name and
    renamed into place (atomic on one file system, so a killed render leaves only a temporary file)."""
    final = clip_path(out_dir, placement, seconds=seconds, fps=fps, size=size, start_s=start_s)
    if is_complete(final, round(seconds * fps)):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_temps(final)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        render_clip(placement, tmp, seconds=seconds, fps=fps, size=size, start_s=start_s)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def render_all(out_dir: str | os.PathLike[str], *, placements: Iterable[CameraPlacement] = PLACEMENTS,
               seconds: float = script.PERIOD_S, fps: int = script.FPS, size: Size = DEFAULT_SIZE,
               workers: int = 2, progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Clips for every placement, rendered in ``workers`` processes where not cached; {camera_id: path}.

    Workers are spawned, not forked, so calling this from a process with threads (the Qt app) is safe; as with
    any spawning multiprocessing code, a calling script needs the ``if __name__ == "__main__":`` guard.
    ``progress(done, total)`` is called in this process after each clip, cached ones included.
    """
    todo = list(placements)
    total = len(todo)
    result: dict[str, Path] = {}
    missing = []
    for p in todo:
        path = clip_path(out_dir, p, seconds=seconds, fps=fps, size=size)
        if is_complete(path, round(seconds * fps)):
            result[p.id] = path
        else:
            missing.append(p)
    if progress:
        progress(len(result), total)
    if not missing:
        return result
    if workers <= 1 or len(missing) == 1:
        for p in missing:
            result[p.id] = render_cached(p, out_dir, seconds=seconds, fps=fps, size=size)
            if progress:
                progress(len(result), total)
        return result
    with ProcessPoolExecutor(max_workers=min(workers, len(missing)), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(render_cached, p, out_dir, seconds=seconds, fps=fps, size=size): p
                   for p in missing}
        for fut in as_completed(futures):
            result[futures[fut].id] = fut.result()
            if progress:
                progress(len(result), total)
    return result


def plate_crop_jpeg(plate: str, size: Size = (240, 64)) -> bytes:
    """A licence-plate crop as an LPR camera sends it (JPEG): dark text on a light plate, a thin border."""
    w, h = size
    img = Image.new("RGB", (w, h), (236, 236, 228))
    d = ImageDraw.Draw(img)
    d.rectangle((1, 1, w - 2, h - 2), outline=(30, 30, 60), width=3)
    d.text((w // 2, 10), "CONNECTICUT", fill=(30, 50, 120), font=_font(10), anchor="mt")
    d.text((w // 2, h // 2 + 6), plate, fill=(20, 20, 30), font=_font(30), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()
