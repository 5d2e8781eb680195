"""The demo city: a synthetic street grid on downtown Hartford and cameras that look down its streets.

Everything here is derived from constants, so the site is the same on every machine and every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.geo import EARTH_RADIUS_M
from c4desk.domain.radar import PolicyBand, RadarSite

CENTER_LAT = 41.7650
CENTER_LON = -72.6730
BLOCK_M = 150.0
# West -> east avenues (x index 0..4) and south -> north streets (y index 0..4).
AVENUES = ("Ann Uccello St", "High St", "Trumbull St", "Main St", "Prospect St")
STREETS = ("Capitol Ave", "Elm St", "Pearl St", "Asylum St", "Church St")
GRID = 5


@dataclass(frozen=True)
class Node:
    """An intersection of avenue ``x`` and street ``y``."""

    x: int
    y: int

    @property
    def offset_m(self) -> tuple[float, float]:
        half = (GRID - 1) / 2
        return ((self.x - half) * BLOCK_M, (self.y - half) * BLOCK_M)

    @property
    def latlon(self) -> tuple[float, float]:
        return offset_to_latlon(*self.offset_m)

    @property
    def label(self) -> str:
        return f"{AVENUES[self.x]} & {STREETS[self.y]}"


def offset_to_latlon(east_m: float, north_m: float) -> tuple[float, float]:
    """Local east/north metres from the centre to lat/lon (equirectangular; exact enough over 1 km)."""
    lat = CENTER_LAT + math.degrees(north_m / EARTH_RADIUS_M)
    lon = CENTER_LON + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(CENTER_LAT))))
    return lat, lon


def latlon_to_offset(lat: float, lon: float) -> tuple[float, float]:
    north = math.radians(lat - CENTER_LAT) * EARTH_RADIUS_M
    east = math.radians(lon - CENTER_LON) * EARTH_RADIUS_M * math.cos(math.radians(CENTER_LAT))
    return east, north


def streets_geojson() -> dict[str, object]:
    """The street grid as a GeoJSON FeatureCollection of named LineStrings (the map's offline basemap)."""
    features: list[dict[str, object]] = []
    ext = (GRID - 1) / 2 * BLOCK_M + BLOCK_M / 2
    for y, name in enumerate(STREETS):
        north = Node(0, y).offset_m[1]
        a, b = offset_to_latlon(-ext, north), offset_to_latlon(ext, north)
        features.append(_line(name, a, b))
    for x, name in enumerate(AVENUES):
        east = Node(x, 0).offset_m[0]
        a, b = offset_to_latlon(east, -ext), offset_to_latlon(east, ext)
        features.append(_line(name, a, b))
    return {"type": "FeatureCollection", "features": features}


def _line(name: str, a: tuple[float, float], b: tuple[float, float]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"name": name, "highway": "secondary"},
        "geometry": {"type": "LineString", "coordinates": [[a[1], a[0]], [b[1], b[0]]]},
    }


@dataclass(frozen=True)
class CameraPlacement:
    id: str
    name: str
    node: Node
    heading_deg: float
    kind: CameraKind
    fov_deg: float
    range_m: float
    # Mounted a little back from the corner so that the intersection itself is in view.
    setback_m: float = 8.0


E, N, W, S = 90.0, 0.0, 270.0, 180.0

# Sixteen public cameras plus one private one. Fixed cameras look down one block; PTZ cameras cover
# a wider radius because they can turn; LPR cameras read plates over a short distance at a lane.
PLACEMENTS: tuple[CameraPlacement, ...] = (
    CameraPlacement("cam01", "Ann Uccello & Elm EB", Node(0, 1), E, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam02", "High & Elm EB", Node(1, 1), E, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam03", "Trumbull & Elm NB", Node(2, 1), N, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam04", "Trumbull & Pearl NB", Node(2, 2), N, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam05", "Trumbull & Asylum EB", Node(2, 3), E, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam06", "Main & Asylum EB", Node(3, 3), E, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam07", "Main & Capitol WB", Node(3, 0), W, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam08", "High & Church SB", Node(1, 4), S, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam09", "Prospect & Pearl WB", Node(4, 2), W, CameraKind.FIXED, 60, 170),
    CameraPlacement("cam10", "Ann Uccello & Church EB", Node(0, 4), E, CameraKind.FIXED, 60, 170),
    CameraPlacement("ptz01", "PTZ High & Pearl", Node(1, 2), 135.0, CameraKind.PTZ, 55, 260, 0.0),
    CameraPlacement("ptz02", "PTZ Main & Elm", Node(3, 1), 315.0, CameraKind.PTZ, 55, 260, 0.0),
    CameraPlacement("lpr01", "LPR Elm at Trumbull EB", Node(2, 1), W, CameraKind.LPR, 30, 45, 30.0),
    CameraPlacement("lpr02", "LPR Trumbull at Pearl NB", Node(2, 2), S, CameraKind.LPR, 30, 45, 30.0),
    CameraPlacement("lpr03", "LPR Asylum at Main EB", Node(3, 3), W, CameraKind.LPR, 30, 45, 30.0),
    CameraPlacement("lpr04", "LPR Capitol at Prospect", Node(4, 0), W, CameraKind.LPR, 30, 45, 30.0),
    CameraPlacement("prv01", "Corner Market (private)", Node(4, 4), 225.0, CameraKind.PRIVATE, 70, 90, 5.0),
)


def camera_position(p: CameraPlacement) -> tuple[float, float]:
    """Local east/north metres of a camera: ``setback_m`` behind its node, opposite to where it looks."""
    east, north = p.node.offset_m
    back = math.radians(p.heading_deg + 180.0)
    return east + p.setback_m * math.sin(back), north + p.setback_m * math.cos(back)


PTZ_MOUNT_HEIGHT_M = 9.0


def demo_cameras(rtsp_base: str = "rtsp://127.0.0.1:8554", vapix_base: str = "http://127.0.0.1:8580",
                 ptz_urls: dict[str, str] | None = None) -> list[Camera]:
    """The demo site's cameras, with stream URLs on the local demo servers.

    ``ptz_urls`` gives each PTZ camera's ptz.cgi URL (the demo runs one VAPIX simulator per PTZ camera);
    the demo PTZ cameras are calibrated with pan 0 pointing north, turning clockwise.
    """
    cameras = []
    for index, p in enumerate(PLACEMENTS):
        lat, lon = offset_to_latlon(*camera_position(p))
        is_ptz = p.kind is CameraKind.PTZ
        cameras.append(Camera(
            id=p.id, name=p.name, lat=round(lat, 7), lon=round(lon, 7), heading_deg=p.heading_deg,
            fov_deg=p.fov_deg, range_m=p.range_m, kind=p.kind, serial=f"DEMO{index + 1:04d}",
            stream_main=f"{rtsp_base}/{p.id}", stream_sub=f"{rtsp_base}/{p.id}",
            ptz_protocol=PtzProtocol.VAPIX if is_ptz else PtzProtocol.NONE,
            ptz_url=(ptz_urls or {}).get(p.id, f"{vapix_base}/{p.id}/axis-cgi/com/ptz.cgi") if is_ptz else "",
            credential_ref=f"demo-{p.id}" if is_ptz else "",
            owner="Corner Market LLC" if p.kind is CameraKind.PRIVATE else "",
            contact="860-555-0142" if p.kind is CameraKind.PRIVATE else "",
            extra={"pan_zero_deg": "0", "pan_sign": "1", "mount_height_m": str(PTZ_MOUNT_HEIGHT_M)} if is_ptz else {},
        ))
    return cameras


# The speed-deterrence pilot: one radar on Capitol Ave between Main and Prospect, strobes by speed band.
# 40 km/h is the 25 mph downtown limit; the lights show amber from 48 km/h (30 mph) and red from 64 (40 mph).
RADAR_SITE_ID = "radar01"
RADAR_SENSOR_ID = "demo-radar-01"


def demo_radar_sites() -> list[RadarSite]:
    lat, lon = offset_to_latlon(2.5 * BLOCK_M - BLOCK_M, -2 * BLOCK_M)
    return [RadarSite(id=RADAR_SITE_ID, name="Capitol Ave EB between Main and Prospect (speed pilot)",
                      speed_limit_kmh=40.0, sensor_ids=(RADAR_SENSOR_ID,),
                      policy=(PolicyBand(48.0, "amber"), PolicyBand(64.0, "red")), lat=round(lat, 7),
                      lon=round(lon, 7))]
