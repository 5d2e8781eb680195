"""A demo PTZ camera's world: one wide panorama clip that the RTSP server crops and scales live.

A fixed camera's clip is what it sees; a PTZ camera can look anywhere, so its clip is everything it could see:
a 360-degree cylindrical panorama around its mount (plus ``MARGIN_DEG`` repeated at each end, so that any view
centred between -180 and +180 degrees is one rectangle of it, never two). The RTSP server decodes it and cuts
out the rectangle the camera's pan, tilt and zoom select (``view_rect``), scales that to the output size and
encodes it live (see ``gst_rtsp_server.py``); the position comes from the VAPIX simulator (``ptz_video``).

How a panorama is made. The street renderer draws pinhole views (``render.scene_image``); four of them, 90
degrees wide, look down the four streets from the mount. Each is resampled to cylindrical coordinates (column
= bearing, linear in angle; row = tan(elevation)) and the four are joined: in that projection every direction
has one place, so the joins line up and a pan of n degrees moves the picture by exactly n * PX_PER_DEG. What
moves is drawn straight into the panorama per frame: each street's background traffic and the scenario's
suspect vehicle, at their true bearing and distance from the mount, so the PTZ sees the getaway car exactly
where ``script`` says it is. A magenta mast stands at the far end of the street due east (``LANDMARK_*``):
a fixed point tests use to check where the picture looks.

The camera's captions (identity band, name, clock, frame marker) must not move with the scene. They are drawn
once per frame at output size and stored in a strip under the scene; the server lays the strip's header and
marker boxes over the scaled view (``PanoramaLayout.overlays``).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

from c4desk.demo import render, script
from c4desk.demo.city import CameraPlacement, camera_position
from c4desk.domain.camera import CameraKind
from c4desk.domain.geo import angle_diff_deg

PANORAMA_VERSION = 1  # bump when the drawing changes: it is part of every panorama's cache key
PX_PER_DEG = 6
MARGIN_DEG = 30.0
SCENE_HEIGHT = 360
HORIZON_Y = 144  # 22.7 degrees of sky above the horizon, 32 degrees of street below it
FOCAL_PX = PX_PER_DEG * 180.0 / math.pi  # pixels per radian, across and (as tan) down
OUTPUT_SIZE = (640, 360)
WIDE_HFOV_DEG = 60.0  # the view at zoom 1 (the VAPIX simulator's optics)
MIN_HFOV_DEG = 13.5  # 81 panorama pixels across: scaled ~8x already, so the picture stops zooming here
SECTOR_SIZE = (540, 400)  # each 90-degree pinhole view; tall enough to fill the rows at its +-45 degree edges
SECTOR_HORIZON = 160
LANDMARK_BEARING_DEG = 90.0
LANDMARK_RGB = (255, 0, 255)
LANDMARK_WIDTH_DEG = 2.5
LANDMARK_DISTANCE_M = 420.0
LANDMARK_HEIGHT_M = 60.0
_MOUNT_HEIGHT_M = 9.0  # render.View's height for PTZ cameras
_CAR_WIDTH_M = 1.8


@dataclass(frozen=True)
class PanoramaLayout:
    """Where things are in a panorama frame; everything the RTSP server needs to know about it."""

    width: int = round((360.0 + 2 * MARGIN_DEG) * PX_PER_DEG)
    scene_height: int = SCENE_HEIGHT
    strip_height: int = 64
    px_per_deg: int = PX_PER_DEG
    left_bearing_deg: float = -180.0 - MARGIN_DEG
    horizon_y: int = HORIZON_Y
    output: tuple[int, int] = OUTPUT_SIZE
    # (x, y, w, h) of output-sized overlay pieces: the identity band with the captions, and the frame marker's
    # grey plate with its blocks.
    header: tuple[int, int, int, int] = (0, 0, 640, 64)
    marker: tuple[int, int, int, int] = (8, 312, 272, 32)

    @property
    def height(self) -> int:
        return self.scene_height + self.strip_height

    def overlays(self) -> list[dict[str, int]]:
        """Each overlay piece: where it is stored in the strip (sx, sy) and where it goes on the output."""
        pieces = []
        sx = 0
        for x, y, w, h in (self.header, self.marker):
            pieces.append({"sx": sx, "sy": self.scene_height, "w": w, "h": h, "dx": x, "dy": y})
            sx += w
        return pieces

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "scene_height": self.scene_height,
                "output": list(self.output), "overlays": self.overlays()}


LAYOUT = PanoramaLayout()


def hfov_for_zoom(zoom: float, max_zoom: float = 9999.0, optical: float = 30.0) -> float:
    """The horizontal field of view at a VAPIX zoom value (1 wide .. max_zoom, ``optical`` x)."""
    magnification = 1.0 + (optical - 1.0) * (max(1.0, min(max_zoom, zoom)) - 1.0) / (max_zoom - 1.0)
    return WIDE_HFOV_DEG / magnification


def view_rect(bearing_deg: float, tilt_deg: float, hfov_deg: float,
              layout: PanoramaLayout = LAYOUT) -> tuple[int, int, int, int]:
    """The (left, top, width, height) of the panorama the camera sees, in whole pixels, 16:9 like the output.

    The view is centred on the bearing (wrapped into -180..180, so the margin is always enough) and on the
    row of the tilt; it is moved back inside the scene at the top and bottom (a camera tilted far down sees
    the foot of the panorama, not past it). Zoom narrows it down to ``MIN_HFOV_DEG``.
    """
    hfov = max(MIN_HFOV_DEG, min(WIDE_HFOV_DEG, hfov_deg))
    ow, oh = layout.output
    width = round(hfov * layout.px_per_deg)
    height = min(layout.scene_height, round(width * oh / ow))
    bearing = (bearing_deg + 180.0) % 360.0 - 180.0
    centre_x = (bearing - layout.left_bearing_deg) * layout.px_per_deg
    tilt = max(-80.0, min(80.0, tilt_deg))
    centre_y = layout.horizon_y - FOCAL_PX * math.tan(math.radians(tilt))
    left = min(layout.width - width, max(0, round(centre_x - width / 2)))
    top = min(layout.scene_height - height, max(0, round(centre_y - height / 2)))
    return left, top, width, height


def landmark_box(layout: PanoramaLayout = LAYOUT) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the east mast in the panorama (its one copy; the margins do not reach 90 degrees)."""
    centre = (LANDMARK_BEARING_DEG - layout.left_bearing_deg) * layout.px_per_deg
    half = LANDMARK_WIDTH_DEG / 2 * layout.px_per_deg
    top = layout.horizon_y - FOCAL_PX * (LANDMARK_HEIGHT_M - _MOUNT_HEIGHT_M) / LANDMARK_DISTANCE_M
    bottom = layout.horizon_y + FOCAL_PX * _MOUNT_HEIGHT_M / LANDMARK_DISTANCE_M
    return round(centre - half), round(top), round(centre + half), round(bottom)


# --- the static panorama ------------------------------------------------------------------------------------------
def _sector(p: CameraPlacement, heading: float) -> CameraPlacement:
    return replace(p, id=f"{p.id}-h{int(heading):03d}", heading_deg=heading, fov_deg=90.0, setback_m=0.0,
                   kind=CameraKind.PTZ)


def _sector_view() -> render.View:
    w, h = SECTOR_SIZE
    return render.View(w, h, w / 2, SECTOR_HORIZON, _MOUNT_HEIGHT_M)


@cache
def _static_panorama(p: CameraPlacement, layout: PanoramaLayout = LAYOUT) -> np.ndarray:
    """The scene without anything that moves: four street views resampled to one cylinder (H x W x 3)."""
    view = _sector_view()
    sectors = np.stack([np.asarray(render.scene_image(_sector(p, h), view), np.float32)
                        for h in (0.0, 90.0, 180.0, 270.0)])
    xs = np.arange(layout.width, dtype=np.float64)
    bearing = layout.left_bearing_deg + (xs + 0.5) / layout.px_per_deg
    nearest = np.round(bearing / 90.0)
    sector = (nearest.astype(int) % 4)
    rel = np.radians(bearing - 90.0 * nearest)  # -45..45 degrees off that street
    ys = np.arange(layout.scene_height, dtype=np.float64) + 0.5 - layout.horizon_y
    u = view.w / 2 + view.focal * np.tan(rel)[None, :] - 0.5
    v = view.horizon + view.focal * (ys[:, None] / FOCAL_PX) / np.cos(rel)[None, :] - 0.5
    u = np.clip(u, 0, view.w - 1.001)
    v = np.clip(v, 0, view.h - 1.001)
    u0, v0 = np.floor(u).astype(int), np.floor(v).astype(int)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    k = np.broadcast_to(sector[None, :], u0.shape)
    u0 = np.broadcast_to(u0, v0.shape)
    fu = np.broadcast_to(fu, fv.shape)
    top = sectors[k, v0, u0] * (1 - fu) + sectors[k, v0, u0 + 1] * fu
    bottom = sectors[k, v0 + 1, u0] * (1 - fu) + sectors[k, v0 + 1, u0 + 1] * fu
    pano = (top * (1 - fv) + bottom * fv).round().astype(np.uint8)
    x0, y0, x1, y1 = landmark_box(layout)
    pano[max(0, y0):y1, x0:x1] = LANDMARK_RGB
    pano[max(0, y0) - 3:max(0, y0), x0 + 2:x1 - 2] = (40, 40, 44)  # a dark cap, so the mast reads as a thing
    return np.asarray(pano, np.uint8)


@cache
def _static_overlays(p: CameraPlacement) -> Image.Image:
    img = Image.new("RGB", OUTPUT_SIZE, (0, 0, 0))
    render.draw_static_overlays(ImageDraw.Draw(img), p, OUTPUT_SIZE)
    return img


# --- what moves ---------------------------------------------------------------------------------------------------
def _columns(bearing: float, layout: PanoramaLayout) -> list[float]:
    """Every x at which a bearing appears (twice in the repeated margins)."""
    base = ((bearing + 180.0) % 360.0 - 180.0 - layout.left_bearing_deg) * layout.px_per_deg
    return [x for x in (base - 360 * layout.px_per_deg, base, base + 360 * layout.px_per_deg)
            if -60 <= x <= layout.width + 60]


def _draw_at(d: ImageDraw.ImageDraw, bearing: float, distance_m: float, body: render.RGB, plate: str, rear: bool,
             layout: PanoramaLayout) -> None:
    if distance_m < 12.0:  # under the mount: below the panorama's foot
        return
    width = FOCAL_PX * _CAR_WIDTH_M / distance_m
    bottom = layout.horizon_y + FOCAL_PX * _MOUNT_HEIGHT_M / distance_m
    for x in _columns(bearing, layout):
        render._draw_car(d, x, bottom, width, body, plate, rear)


def _vehicles(p: CameraPlacement, t: float) -> list[tuple[float, float, render.RGB, str, bool]]:
    """(bearing, distance, colour, plate, seen from behind) of every vehicle at t, the far ones first."""
    out = []
    for heading in (0.0, 90.0, 180.0, 270.0):
        for car in render._traffic(_sector(p, heading).id):
            ahead = car.distance(t)
            bearing = heading + math.degrees(math.atan2(car.lateral_m, ahead))
            out.append((bearing, math.hypot(car.lateral_m, ahead), car.colour, car.plate, car.lateral_m > 0))
    out.sort(key=lambda v: -v[1])
    pos = script.vehicle_position(t)
    if pos is not None:  # drawn last: the scenario's vehicle is never hidden by traffic
        cx, cy = camera_position(p)
        dx, dy = pos[0] - cx, pos[1] - cy
        towards = math.degrees(math.atan2(dx, dy)) % 360.0
        course = script.vehicle_heading(t)
        rear = course is None or angle_diff_deg(course, towards) < 90
        out.append((towards, math.hypot(dx, dy), render.SUSPECT_BODY, script.SUSPECT_PLATE, rear))
    return out


def suspect_bearing(p: CameraPlacement, t: float) -> tuple[float, float] | None:
    """(bearing, distance) of the scenario's vehicle from the PTZ mount at loop time t, or None."""
    pos = script.vehicle_position(t)
    if pos is None:
        return None
    cx, cy = camera_position(p)
    return math.degrees(math.atan2(pos[0] - cx, pos[1] - cy)) % 360.0, math.hypot(pos[0] - cx, pos[1] - cy)


def render_panorama_frame(p: CameraPlacement, t: float, index: int, layout: PanoramaLayout = LAYOUT) -> Image.Image:
    """One panorama frame of PTZ camera ``p`` at loop time t (frame number ``index``)."""
    scene = Image.fromarray(_static_panorama(p, layout))
    d = ImageDraw.Draw(scene)
    for bearing, distance, colour, plate, rear in _vehicles(p, t):
        _draw_at(d, bearing, distance, colour, plate, rear, layout)
    overlay = _static_overlays(p).copy()
    render.draw_overlays(ImageDraw.Draw(overlay), t, index, OUTPUT_SIZE)
    frame = Image.new("RGB", (layout.width, layout.height), (0, 0, 0))
    frame.paste(scene, (0, 0))
    for piece in layout.overlays():
        box = (piece["dx"], piece["dy"], piece["dx"] + piece["w"], piece["dy"] + piece["h"])
        frame.paste(overlay.crop(box), (piece["sx"], piece["sy"]))
    return frame


# --- encoding and caching -----------------------------------------------------------------------------------------
def panorama_key(p: CameraPlacement, *, seconds: float, fps: int, layout: PanoramaLayout = LAYOUT) -> str:
    """The street clips' cache key (placement, script, city, ...) plus the panorama's own version and layout."""
    base = render.clip_key(p, seconds=seconds, fps=fps, size=(layout.width, layout.height))
    return hashlib.sha256(f"{base}:{PANORAMA_VERSION}:{layout!r}".encode()).hexdigest()[:12]


def panorama_path(out_dir: str | os.PathLike[str], p: CameraPlacement, *, seconds: float = script.PERIOD_S,
                  fps: int = script.FPS, layout: PanoramaLayout = LAYOUT) -> Path:
    key = panorama_key(p, seconds=seconds, fps=fps, layout=layout)
    return Path(out_dir) / f"{p.id}-panorama-{layout.width}x{layout.height}-{fps}fps-{seconds:g}s-{key}.mp4"


def render_panorama(p: CameraPlacement, out_path: str | os.PathLike[str], *, seconds: float = script.PERIOD_S,
                    fps: int = script.FPS, layout: PanoramaLayout = LAYOUT) -> Path:
    """Encode ``seconds`` of the panorama to an H.264 MP4 (same GOP and colour rules as the street clips)."""
    out = Path(out_path)
    options = render._x264_options(fps)
    options.update({"maxrate": "3000k", "bufsize": "3000k"})  # ~4x the pixels of a street clip
    with av.open(str(out), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.width, stream.height = layout.width, layout.height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = fps
        stream.codec_context.max_b_frames = 0
        stream.codec_context.thread_count = 1  # one slice per picture, as the street clips
        for n in range(round(seconds * fps)):
            img = render_panorama_frame(p, n / fps, n, layout)
            bgr = np.frombuffer(img.tobytes("raw", "BGR"), np.uint8).reshape(layout.height, layout.width, 3)
            frame = av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")
            frame.pts = n
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def render_panorama_cached(p: CameraPlacement, out_dir: str | os.PathLike[str], *,
                           seconds: float = script.PERIOD_S, fps: int = script.FPS) -> Path:
    """The panorama of PTZ camera ``p`` in ``out_dir``: reused when complete, else rendered to a temporary name
    and renamed into place (the street clips' protocol)."""
    if p.kind is not CameraKind.PTZ:
        raise ValueError(f"{p.id} is not a PTZ camera")
    final = panorama_path(out_dir, p, seconds=seconds, fps=fps)
    if render.is_complete(final, round(seconds * fps)):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        render_panorama(p, tmp, seconds=seconds, fps=fps)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def render_panoramas(out_dir: str | os.PathLike[str], placements: Iterable[CameraPlacement], *,
                     seconds: float = script.PERIOD_S, fps: int = script.FPS, workers: int = 2) -> dict[str, Path]:
    """The panorama of every PTZ camera among ``placements`` ({camera_id: path}), missing ones rendered in
    ``workers`` spawned processes (about 16 ms a frame: half a minute for a 120 s loop, first run only)."""
    ptz = [p for p in placements if p.kind is CameraKind.PTZ]
    todo = [p for p in ptz if not render.is_complete(panorama_path(out_dir, p, seconds=seconds, fps=fps),
                                                      round(seconds * fps))]
    if len(todo) > 1 and workers > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=get_context("spawn")) as pool:
            for future in [pool.submit(render_panorama_cached, p, out_dir, seconds=seconds, fps=fps) for p in todo]:
                future.result()
    return {p.id: render_panorama_cached(p, out_dir, seconds=seconds, fps=fps) for p in ptz}
