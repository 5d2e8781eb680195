"""The demo's one seeded description: the vehicle's route and timing, what each camera sees, the events.

Tests ask it "where is the vehicle at t" and "when is it in camera X's view"; the clip renderer draws
from it; the scenario player posts its events. Times are seconds into the loop (0 <= t < PERIOD_S).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from itertools import pairwise

from c4desk.demo.city import PLACEMENTS, CameraPlacement, Node, camera_position, offset_to_latlon
from c4desk.domain.camera import CameraKind
from c4desk.domain.geo import angle_diff_deg

PERIOD_S = 120.0
FPS = 15
SEED = 20260704
SUSPECT_PLATE = "6PZ193"
SUSPECT_REGION = "CT"
SUSPECT_VEHICLE = "dark blue sedan"
ROUTE = (Node(0, 1), Node(1, 1), Node(2, 1), Node(2, 2), Node(2, 3), Node(3, 3), Node(4, 3))
ROUTE_START_S = 12.0
SPEED_MPS = 11.0
# The shooting happens as the vehicle crosses this route node; the sensor reports it a little later.
SHOT_NODE_INDEX = 1
ALERT_DELAY_S = 9.0
# Before the first node the vehicle comes in from off-grid, so that the first camera sees it arrive.
LEAD_IN_M = 60.0


@dataclass(frozen=True)
class Sighting:
    """The vehicle as one camera sees it: angle off the camera's heading (+ right) and distance."""

    t: float
    rel_angle_deg: float
    distance_m: float


@dataclass(frozen=True)
class Pass:
    """One continuous interval in which a camera has the vehicle in view."""

    camera_id: str
    t_in: float
    t_out: float


@dataclass(frozen=True)
class ScenarioEvent:
    t: float
    kind: str  # "gunshot" | "lpr_read"
    payload: dict[str, object] = field(default_factory=dict)


def _route_points() -> list[tuple[float, float]]:
    pts = [n.offset_m for n in ROUTE]
    (x0, y0), (x1, y1) = pts[0], pts[1]
    length = math.hypot(x1 - x0, y1 - y0)
    lead = (x0 - (x1 - x0) / length * LEAD_IN_M, y0 - (y1 - y0) / length * LEAD_IN_M)
    return [lead, *pts]


_POINTS = _route_points()
_SEG_LEN = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(_POINTS)]
ROUTE_LENGTH_M = sum(_SEG_LEN)
ROUTE_END_S = ROUTE_START_S + ROUTE_LENGTH_M / SPEED_MPS


def vehicle_position(t: float) -> tuple[float, float] | None:
    """Local east/north metres of the vehicle at loop time t, or None when it is not in the city."""
    if not ROUTE_START_S <= t <= ROUTE_END_S:
        return None
    d = (t - ROUTE_START_S) * SPEED_MPS
    for (a, b), seg in zip(pairwise(_POINTS), _SEG_LEN, strict=True):
        if d <= seg:
            f = d / seg
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
        d -= seg
    return _POINTS[-1]


def vehicle_heading(t: float) -> float | None:
    p, q = vehicle_position(t), vehicle_position(min(t + 0.2, ROUTE_END_S))
    if p is None or q is None or p == q:
        return None
    return math.degrees(math.atan2(q[0] - p[0], q[1] - p[1])) % 360.0


def vehicle_latlon(t: float) -> tuple[float, float] | None:
    pos = vehicle_position(t)
    return None if pos is None else offset_to_latlon(*pos)


def node_time(index: int) -> float:
    """Loop time at which the vehicle crosses route node ``index``."""
    return ROUTE_START_S + (LEAD_IN_M + index * 150.0) / SPEED_MPS


def sighting(p: CameraPlacement, t: float) -> Sighting | None:
    """What camera ``p`` sees of the vehicle at t: None unless it is within range and the field of view."""
    pos = vehicle_position(t)
    if pos is None:
        return None
    cx, cy = camera_position(p)
    dx, dy = pos[0] - cx, pos[1] - cy
    dist = math.hypot(dx, dy)
    if dist > p.range_m or dist < 2.0:
        return None
    bearing = math.degrees(math.atan2(dx, dy)) % 360.0
    if angle_diff_deg(bearing, p.heading_deg) > p.fov_deg / 2:
        return None
    rel = (bearing - p.heading_deg + 540.0) % 360.0 - 180.0
    return Sighting(t, rel, dist)


def passes(step_s: float = 1.0 / FPS) -> list[Pass]:
    """Every interval in which some camera has the vehicle in view, in time order."""
    out: list[Pass] = []
    steps = int(PERIOD_S / step_s)
    for p in PLACEMENTS:
        start: float | None = None
        for i in range(steps + 1):
            t = i * step_s
            seen = sighting(p, t) is not None
            if seen and start is None:
                start = t
            elif not seen and start is not None:
                out.append(Pass(p.id, start, t - step_s))
                start = None
    return sorted(out, key=lambda ps: (ps.t_in, ps.camera_id))


def shot_latlon() -> tuple[float, float]:
    # A few metres off the node, as real detections are.
    east, north = ROUTE[SHOT_NODE_INDEX].offset_m
    return offset_to_latlon(east + 6.0, north - 4.0)


def events() -> list[ScenarioEvent]:
    """The scenario's events in time order: the gunshot alert, then LPR reads (one of them the BOLO plate)."""
    rng = random.Random(SEED)
    shot_t = node_time(SHOT_NODE_INDEX)
    lat, lon = shot_latlon()
    out = [ScenarioEvent(shot_t + ALERT_DELAY_S, "gunshot", {
        "type": "multiple_gunshots", "rounds": 4, "lat": round(lat, 6), "lon": round(lon, 6),
        "detected_offset_s": -ALERT_DELAY_S, "address": f"{ROUTE[SHOT_NODE_INDEX].label}",
        "beat": "B-07", "district": "Downtown",
    })]
    by_id = {p.id: p for p in PLACEMENTS}
    for ps in passes():
        placement = by_id[ps.camera_id]
        if placement.kind is not CameraKind.LPR:
            continue
        mid = (ps.t_in + ps.t_out) / 2
        out.append(ScenarioEvent(mid, "lpr_read", {
            "camera_id": ps.camera_id, "plate": SUSPECT_PLATE, "region": SUSPECT_REGION,
            "confidence": round(0.86 + rng.random() * 0.12, 2), "direction": "in", "car_id": rng.randrange(10**6),
        }))
    # Background traffic through the LPR cameras: plausible plates that are on no list.
    for p in PLACEMENTS:
        if p.kind is not CameraKind.LPR:
            continue
        for _ in range(4):
            t = rng.uniform(0, PERIOD_S)
            plate = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + str(rng.randrange(10000, 99999))
            out.append(ScenarioEvent(round(t, 2), "lpr_read", {
                "camera_id": p.id, "plate": plate, "region": "CT", "confidence": round(0.7 + rng.random() * 0.29, 2),
                "direction": rng.choice(["in", "out"]), "car_id": rng.randrange(10**6),
            }))
    return sorted(out, key=lambda e: e.t)


BOLO_HOTLIST_CSV = (
    "plate,state,category,priority,reason,VMA,VCO\n"
    f"{SUSPECT_PLATE},{SUSPECT_REGION},BOLO,1,Shots fired downtown - wanted for questioning,HONDA,BLU\n"
    "8KD4410,CT,STOLEN,2,Stolen vehicle NCIC,TOYOTA,WHI\n"
)
