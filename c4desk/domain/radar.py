"""The speed-radar pilot: readings, a site's light policy (the strobe lights), and the before/after comparison.

Speeds are km/h everywhere inside c4desk; feeds in mph are converted at the edge (``MPH_TO_KMH``).

* **Policy**: a site's bands ``[{"from_kmh": 48, "colour": "amber"}, {"from_kmh": 64, "colour": "red"}]``,
  ascending. A reading takes the colour of the highest band whose ``from_kmh`` it reaches (>=); below the first
  band no light shows (None). Each coloured reading is one event the lights would have triggered.
* **85th-percentile speed** (the traffic engineer's "operating speed"): linear interpolation between order
  statistics at rank 0.85 * (n - 1) (Hyndman & Fan type 7, numpy's default), so it can be checked by hand.
* **Over the limit** means strictly faster than the limit.
* **By hour of day**: the hour in the site's local zone (``tz``), since rush hour is a local thing.
* **Before** is every reading strictly before the change instant; **after** is the change instant onwards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.statistics import percentile

MPH_TO_KMH = 1.609344  # exact: an international mile is 1609.344 m
MAX_SPEED_KMH = 400.0
DIRECTIONS = frozenset({"", "approaching", "receding", "n", "ne", "e", "se", "s", "sw", "w", "nw", "north", "south",
                        "east", "west", "northbound", "southbound", "eastbound", "westbound"})
MAX_LANE = 16
MAX_COLOUR = 32


def _aware(t: datetime) -> bool:
    return t.tzinfo is not None and t.utcoffset() is not None


@dataclass(frozen=True, kw_only=True)
class RadarReading:
    """One vehicle measured by a radar device (``sensor_id``), speed in km/h."""

    sensor_id: str
    read_at: datetime
    speed_kmh: float
    lane: str = ""
    direction: str = ""
    heading_deg: float | None = None
    distance_m: float | None = None
    camera_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.sensor_id.strip():
            errors.append(FieldError("device", "required"))
        elif len(self.sensor_id) > 64:
            errors.append(FieldError("device", "longer than 64 characters"))
        if not _aware(self.read_at):
            errors.append(FieldError("time", "must carry a time zone (UTC)"))
        if not (math.isfinite(self.speed_kmh) and 0 <= self.speed_kmh <= MAX_SPEED_KMH):
            errors.append(FieldError("speed_kmh", f"{self.speed_kmh!r} is outside [0, {MAX_SPEED_KMH:g}] km/h"))
        if len(self.lane) > MAX_LANE:
            errors.append(FieldError("lane", f"longer than {MAX_LANE} characters"))
        if self.direction not in DIRECTIONS:
            errors.append(FieldError("direction", f"{self.direction!r}: approaching, receding or a compass "
                                                  "direction (n, ne, ..., northbound, ...)"))
        if self.heading_deg is not None and not (math.isfinite(self.heading_deg) and 0 <= self.heading_deg < 360):
            errors.append(FieldError("heading_deg", f"{self.heading_deg!r} is outside [0, 360)"))
        if self.distance_m is not None and not (math.isfinite(self.distance_m) and self.distance_m >= 0):
            errors.append(FieldError("distance_m", f"{self.distance_m!r} must be a finite number >= 0"))
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class PolicyBand:
    from_kmh: float
    colour: str

    def as_json(self) -> dict[str, Any]:
        return {"from_kmh": self.from_kmh, "colour": self.colour}


def parse_policy(bands: Iterable[Mapping[str, Any]]) -> tuple[PolicyBand, ...]:
    """Bands from their stored/JSON form, checked: numbers, non-empty colours, strictly ascending."""
    out: list[PolicyBand] = []
    errors: list[FieldError] = []
    for i, band in enumerate(bands):
        speed, colour = band.get("from_kmh"), band.get("colour")
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not math.isfinite(speed) or speed < 0:
            errors.append(FieldError(f"policy[{i}].from_kmh", f"{speed!r} is not a speed >= 0"))
            continue
        if not isinstance(colour, str) or not colour.strip() or len(colour) > MAX_COLOUR:
            errors.append(FieldError(f"policy[{i}].colour", f"{colour!r} is not a colour name (1-{MAX_COLOUR} chars)"))
            continue
        if out and speed <= out[-1].from_kmh:
            errors.append(FieldError(f"policy[{i}].from_kmh", f"{speed:g} does not rise above {out[-1].from_kmh:g}"))
            continue
        out.append(PolicyBand(float(speed), colour.strip()))
    if errors:
        raise ValidationError(errors)
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class RadarSite:
    """A pilot site: its limit, the devices that measure there, and the light policy."""

    id: str
    name: str
    speed_limit_kmh: float
    sensor_ids: tuple[str, ...]
    policy: tuple[PolicyBand, ...] = ()
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.id.strip() or len(self.id) > 64:
            errors.append(FieldError("id", "required, at most 64 characters"))
        if not self.name.strip():
            errors.append(FieldError("name", "required"))
        if not (math.isfinite(self.speed_limit_kmh) and 0 < self.speed_limit_kmh <= MAX_SPEED_KMH):
            errors.append(FieldError("speed_limit_kmh", f"{self.speed_limit_kmh!r} is not a speed limit"))
        if not self.sensor_ids or any(not s.strip() for s in self.sensor_ids):
            errors.append(FieldError("sensor_ids", "at least one device id, none empty"))
        if any(b.from_kmh <= a.from_kmh for a, b in zip(self.policy, self.policy[1:], strict=False)):
            errors.append(FieldError("policy", "bands must rise"))
        if errors:
            raise ValidationError(errors)


def light_colour(policy: Sequence[PolicyBand], speed_kmh: float) -> str | None:
    """The colour the lights show for ``speed_kmh`` (None: below every band, no light)."""
    colour = None
    for band in policy:
        if speed_kmh >= band.from_kmh:
            colour = band.colour
        else:
            break
    return colour


def light_events(policy: Sequence[PolicyBand], speeds: Iterable[float]) -> dict[str, int]:
    """How many times each colour would have shown, in policy order (every colour listed, 0 included)."""
    counts = Counter(c for c in (light_colour(policy, s) for s in speeds) if c is not None)
    return {band.colour: counts.get(band.colour, 0) for band in policy}


@dataclass(frozen=True)
class SpeedStats:
    """Speeds of one period (or one hour of day within it). Figures are None when there are no readings."""

    readings: int
    mean_kmh: float | None
    p85_kmh: float | None
    over_limit: int
    share_over_limit: float | None
    lights: dict[str, int]

    @classmethod
    def of(cls, speeds: Sequence[float], limit_kmh: float, policy: Sequence[PolicyBand]) -> SpeedStats:
        n = len(speeds)
        over = sum(1 for s in speeds if s > limit_kmh)
        return cls(readings=n, mean_kmh=math.fsum(speeds) / n if n else None, p85_kmh=percentile(speeds, 0.85),
                   over_limit=over, share_over_limit=over / n if n else None, lights=light_events(policy, speeds))

    def as_json(self) -> dict[str, Any]:
        return {"readings": self.readings, "mean_kmh": self.mean_kmh, "p85_kmh": self.p85_kmh,
                "over_limit": self.over_limit, "share_over_limit": self.share_over_limit, "lights": self.lights}


@dataclass(frozen=True)
class PeriodStats:
    overall: SpeedStats
    by_hour: tuple[SpeedStats, ...]  # 24 entries, index = local hour of day

    def as_json(self) -> dict[str, Any]:
        return {**self.overall.as_json(),
                "by_hour": [{"hour": h, **s.as_json()} for h, s in enumerate(self.by_hour)]}


@dataclass(frozen=True)
class BeforeAfter:
    site_id: str
    speed_limit_kmh: float
    change_at: datetime
    zone: str
    before: PeriodStats
    after: PeriodStats

    @property
    def mean_change_kmh(self) -> float | None:
        b, a = self.before.overall.mean_kmh, self.after.overall.mean_kmh
        return None if a is None or b is None else a - b

    @property
    def p85_change_kmh(self) -> float | None:
        b, a = self.before.overall.p85_kmh, self.after.overall.p85_kmh
        return None if a is None or b is None else a - b

    def as_json(self) -> dict[str, Any]:
        """The shape ``c4desk report radar --json`` prints."""
        return {"site": self.site_id, "speed_limit_kmh": self.speed_limit_kmh,
                "change_at": self.change_at.astimezone(UTC).isoformat(), "tz": self.zone,
                "before": self.before.as_json(), "after": self.after.as_json(),
                "mean_change_kmh": self.mean_change_kmh, "p85_change_kmh": self.p85_change_kmh}


def _period(points: Sequence[tuple[datetime, float]], limit: float, policy: Sequence[PolicyBand],
            tz: tzinfo) -> PeriodStats:
    hours: list[list[float]] = [[] for _ in range(24)]
    for at, speed in points:
        hours[at.astimezone(tz).hour].append(speed)
    return PeriodStats(SpeedStats.of([s for _, s in points], limit, policy),
                       tuple(SpeedStats.of(h, limit, policy) for h in hours))


def before_after(points: Iterable[tuple[datetime, float]], *, site_id: str, speed_limit_kmh: float,
                 policy: Sequence[PolicyBand], change_at: datetime, tz: tzinfo = UTC) -> BeforeAfter:
    """Compare speeds before ``change_at`` with speeds from it on. ``points`` are (aware time, km/h) pairs."""
    if not _aware(change_at):
        raise ValueError("change_at must carry a time zone")
    before: list[tuple[datetime, float]] = []
    after: list[tuple[datetime, float]] = []
    for at, speed in points:
        (before if at < change_at else after).append((at, speed))
    return BeforeAfter(site_id=site_id, speed_limit_kmh=speed_limit_kmh, change_at=change_at,
                       zone=str(getattr(tz, "key", None) or tz), before=_period(before, speed_limit_kmh, policy, tz),
                       after=_period(after, speed_limit_kmh, policy, tz))
