"""A year of the demo centre's history, generated from a seed so every figure has something real to show.

What is drawn from probabilities here (never a result written down): cases of the study's types and some
others, each with a chance of having useful video and a chance of being cleared that is higher with video
(``CLEARANCE``: about 1.46 times, Hartford's finding, as a probability, so each seed's figures differ a little);
video search tasks with minutes spent and outcomes; gunshot alerts (more in summer and at night); plate reads
through the four LPR cameras and hotlist hits among them; recording gaps; and a radar site's speeds, lower after
the strobes went up (``RADAR_CHANGE_DAYS_AGO``); and the camera views an analyst's response left for most
alerts (``view_live`` audit records naming the alert: ``_views``), so "alert to first camera view" has a year.

All of it is marked as demo data: cases have ``origin = 'demo'`` and numbers ``DEMO-H0001``...; alerts have
ids ``DEMOH-...`` and ``payload["demo"] = true`` (with ``"generator": "demo-history"``); search tasks are
requested by ``demo-history``; plate reads carry car ids ``demoh-...``; gaps' reasons start ``demo history:``;
radar readings come from the device ``demo-radar-01`` (no per-reading flag: 35,000 JSON payloads cost a
second); view records are by ``demo-history`` with ``detail["demo"] = true``. Loading is one transaction,
skipped when ``DEMO-H0001`` exists (``store.case_history.load_history``), so a second demo start adds nothing.

Generating and writing the year on SQLite takes about 2 s on this 2-core machine (bulk Core inserts; the
~3,800 view records are chained by ``store.audit.append_history_audit`` in one insert too).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import string
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from c4desk.demo import city
from c4desk.domain.alerts import SOURCE_GUNSHOT, SOURCE_HOTLIST, Alert, AlertStatus, gunshot_priority
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.plate_match import Hit, HotlistEntry, MatchKind
from c4desk.domain.plates import LprRead
from c4desk.domain.radar import RadarReading
from c4desk.domain.ranking import rank_cameras
from c4desk.hub.services import Services
from c4desk.store.case_history import (
    HistoricCase,
    HistoricGap,
    HistoricHit,
    HistoricSearchTask,
    HistoricView,
    HistoryBatch,
    history_loaded,
    load_history,
)
from c4desk.store.hotlist_alerts import hit_payload

SEED = 20260704
ACTOR = "demo-history"
MARKER = "DEMO-H0001"
DEMO_FLAG = {"demo": True, "generator": ACTOR}
CLOSE_REASON = "demo history"
STUDY_TYPES = ("shooting", "homicide", "robbery", "carjacking")
# type: (share of study cases, chance of useful video, clearance without video). With video the chance is
# VIDEO_FACTOR times higher, capped: Hartford's study found 46% more solvable (165 cases).
CLEARANCE = {"shooting": (0.45, 0.50, 0.24), "robbery": (0.30, 0.55, 0.27),
             "carjacking": (0.12, 0.60, 0.22), "homicide": (0.13, 0.45, 0.42)}
VIDEO_FACTOR = 1.46
OTHER_TYPES = ("burglary", "assault", "hit_and_run", "larceny", "missing_person")
EXCLUSIONS = ("victim declined to cooperate", "unfounded: no crime occurred", "outside the city's jurisdiction",
              "suspect deceased before arrest")
EXCLUDED_SHARE = 0.05
RADAR_CHANGE_DAYS_AGO = 120
# The analyst's response to an alert: the chance it was never opened (by source and kind), how fast it was opened
# (most within 10-40 s; a tail of minutes when the room was busy) and how many cameras the response view shows
# (config.AlertSettings.response_camera_count's default; each camera on it leaves one view_live record).
NEVER_VIEWED = {"multiple_gunshots": 0.04, "single_gunshot": 0.08, "probable_gunfire": 0.15,
                "hotlist_hit": 0.12, "possible_hotlist_hit": 0.35}
QUICK_SHARE = 0.85
QUICK_MEDIAN_S, QUICK_SIGMA = 22.0, 0.3
SLOW_MEDIAN_S, SLOW_SIGMA, SLOW_CAP_S = 150.0, 0.8, 40 * 60.0
RESPONSE_CAMERAS = 4


@dataclass(frozen=True)
class HistoryScale:
    """How much a year holds. The defaults are plausible for a small centre and load in about a second."""

    days: int = 365
    study_cases: int = 200
    other_cases: int = 260
    gunshots_per_day: float = 1.6
    reads_per_day: int = 120
    hits_per_day: float = 1.2
    gaps: int = 45
    radar_per_day: int = 96


def city_zone() -> tzinfo:
    """Hartford's zone (hours of day, seasons); a fixed -05:00 where the system has no zone database."""
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-5))


_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _plate(rng: random.Random) -> str:
    """A plausible Connecticut-style plate (two letters, four digits, a letter) that no demo list carries."""
    return "".join(rng.choices(_LETTERS, k=2) + rng.choices(string.digits, k=4) + rng.choices(_LETTERS, k=1))


def _seasonal(day_of_year: int) -> float:
    """Violence peaks in July: 1.35x in midsummer, 0.65x in midwinter."""
    return 1.0 + 0.35 * math.cos(2 * math.pi * (day_of_year - 196) / 365.25)


# Relative traffic by local hour (radar and LPR): quiet at night, peaks at the rush hours.
TRAFFIC = (0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.7, 1.3, 1.5, 1.0, 0.9, 1.0, 1.1, 1.0, 1.0, 1.2, 1.5, 1.6, 1.2, 0.9,
           0.7, 0.5, 0.35, 0.25)
# Relative gunfire by local hour: evenings and nights.
GUNFIRE = (2.2, 2.4, 2.0, 1.4, 0.8, 0.4, 0.2, 0.2, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 1.0, 1.3,
           1.6, 1.8, 2.0, 2.1)


_TRAFFIC_CUM = list(itertools.accumulate(TRAFFIC))
_GUNFIRE_CUM = list(itertools.accumulate(GUNFIRE))


def _hour_in_day(rng: random.Random, cumulative: list[float]) -> int:
    """A local hour drawn with the profile's weights (cumulative, for speed: this runs ~100,000 times)."""
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


class _Year:
    def __init__(self, end: datetime, scale: HistoryScale, seed: int) -> None:
        self.rng = random.Random(seed)
        self.end = end.astimezone(UTC)
        self.start = self.end - timedelta(days=scale.days)
        self.scale = scale
        self.tz = city_zone()
        self.local_start = self.start.astimezone(self.tz).date()
        self._hour_starts: dict[tuple[int, int], datetime] = {}

    def uniform_time(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, (self.end - self.start).total_seconds()))

    def local_instant(self, day: int, hour: int) -> datetime:
        """A random instant in local ``hour`` of the year's ``day`` (hour starts cached: zone maths is slow)."""
        key = (day, hour)
        start = self._hour_starts.get(key)
        if start is None:
            d = self.local_start + timedelta(days=day)
            start = self._hour_starts[key] = datetime(d.year, d.month, d.day, hour, tzinfo=self.tz).astimezone(UTC)
        return start + timedelta(seconds=self.rng.random() * 3600)

    def days(self) -> range:
        return range(self.scale.days)


def _cases_and_tasks(y: _Year, cameras: list[str]) -> tuple[list[HistoricCase], list[HistoricSearchTask]]:
    rng = y.rng
    cases: list[HistoricCase] = []
    tasks: list[HistoricSearchTask] = []
    study = [rng.choices(STUDY_TYPES, weights=[CLEARANCE[t][0] for t in STUDY_TYPES])[0]
             for _ in range(y.scale.study_cases)]
    kinds = study + [rng.choice(OTHER_TYPES) for _ in range(y.scale.other_cases)]
    opened = sorted(y.uniform_time() for _ in kinds)
    for n, (case_type, opened_at) in enumerate(zip(kinds, opened, strict=True), 1):
        _, p_video, p_clear = CLEARANCE.get(case_type, (0.0, 0.4, 0.3))
        video = rng.random() < p_video
        p = min(0.95, p_clear * VIDEO_FACTOR) if video else p_clear
        # Clearance takes weeks: a case cleared "in the future" is still open today.
        cleared_at = opened_at + timedelta(days=rng.expovariate(1 / 35)) if rng.random() < p else None
        if cleared_at is not None and cleared_at > y.end:
            cleared_at = None
        status = "cleared" if cleared_at else "open"
        if cleared_at and rng.random() < 0.3:
            status = "closed"
        excluded = rng.choice(EXCLUSIONS) if rng.random() < EXCLUDED_SHARE else ""
        number = f"DEMO-H{n:04d}"
        cases.append(HistoricCase(number=number, case_type=case_type, opened_at=opened_at, status=status,
                                  cleared_at=cleared_at, excluded_reason=excluded, origin="demo",
                                  title=f"{case_type.replace('_', ' ').capitalize()} (demo history)",
                                  lead_investigator=rng.choice(("det.rivera", "det.okafor", "det.walsh"))))
        tasks.extend(_tasks_for(y, number, opened_at, video, cameras))
    return cases, tasks


def _tasks_for(y: _Year, number: str, opened_at: datetime, video: bool,
               cameras: list[str]) -> list[HistoricSearchTask]:
    """1-4 searches per case; a case with video has at least one that found it (the shared video rule)."""
    rng = y.rng
    count = rng.choices((1, 2, 3, 4), weights=(4, 3, 2, 1))[0]
    useful_at = rng.randrange(count) if video else -1
    out = []
    for i in range(count):
        requested = opened_at + timedelta(hours=rng.uniform(0.2, 72) * (i + 1))
        if requested >= y.end:
            break
        minutes = max(5, int(rng.lognormvariate(math.log(35), 0.6)))
        completed: datetime | None = requested + timedelta(minutes=minutes + rng.uniform(10, 600))
        if i == useful_at:
            outcome = "useful_video"
        else:
            outcome = rng.choices(("nothing_relevant", "camera_offline"), weights=(5, 1))[0]
        if completed is not None and completed > y.end:  # still being worked on
            outcome, completed, minutes_spent = "", None, None
        else:
            minutes_spent = minutes
        window_start = opened_at - timedelta(minutes=rng.choice((15, 30, 60)))
        out.append(HistoricSearchTask(
            case_number=number, requested_by=ACTOR, requested_at=requested, window_start=window_start,
            window_end=opened_at + timedelta(minutes=rng.choice((15, 30, 60))),
            camera_ids=tuple(sorted(rng.sample(cameras, k=min(len(cameras), rng.randint(1, 4))))),
            description="demo history: review nearby cameras", outcome=outcome, minutes_spent=minutes_spent,
            completed_at=completed))
    return out


def _gunshots(y: _Year) -> list[Alert]:
    rng = y.rng
    out = []
    n = 0
    for day in y.days():
        date_ = y.local_start + timedelta(days=day)
        expected = y.scale.gunshots_per_day * _seasonal(date_.timetuple().tm_yday)
        # Poisson count for the day by inversion (few per day, so this is quick).
        k, p, u = 0, math.exp(-expected), rng.random()
        cumulative = p
        while u > cumulative:
            k += 1
            p *= expected / k
            cumulative += p
        for _ in range(k):
            n += 1
            detected = y.local_instant(day, _hour_in_day(rng, _GUNFIRE_CUM))
            if detected >= y.end:
                continue
            kind = rng.choices(("multiple_gunshots", "single_gunshot", "probable_gunfire"), weights=(5, 3, 2))[0]
            rounds = rng.randint(2, 12) if kind == "multiple_gunshots" else 1
            east, north = rng.uniform(-380, 380), rng.uniform(-380, 380)
            lat, lon = city.offset_to_latlon(east, north)
            node = city.Node(min(4, max(0, round(east / city.BLOCK_M) + 2)),
                             min(4, max(0, round(north / city.BLOCK_M) + 2)))
            out.append(Alert(id=f"DEMOH-SST-{n:05d}", source=SOURCE_GUNSHOT, type=kind,
                             priority=gunshot_priority(kind, rounds), status=AlertStatus.CLOSED, detected_at=detected,
                             received_at=detected + timedelta(seconds=rng.uniform(15, 60)), lat=round(lat, 6),
                             lon=round(lon, 6), address=node.label, beat=f"B-{rng.randint(1, 9):02d}",
                             district="Downtown", rounds=rounds, payload=dict(DEMO_FLAG)))
    return out


def _plates(y: _Year, lpr_cameras: list[str]) -> tuple[list[LprRead], list[HistoricHit]]:
    rng = y.rng
    reads: list[LprRead] = []
    hits: list[HistoricHit] = []
    n = 0
    hit_chance = y.scale.hits_per_day / y.scale.reads_per_day
    for day in y.days():
        for _ in range(y.scale.reads_per_day):
            n += 1
            at = y.local_instant(day, _hour_in_day(rng, _TRAFFIC_CUM))
            if at >= y.end:
                continue
            read = LprRead(camera_id=rng.choice(lpr_cameras), plate_raw=_plate(rng), read_at=at, region="CT",
                           confidence=round(rng.uniform(0.7, 0.99), 2), direction=rng.choice(("in", "out")),
                           car_id=f"demoh-{n}")
            if rng.random() >= hit_chance:
                reads.append(read)
                continue
            possible = rng.random() < 0.15
            entry = HotlistEntry(plate_raw=read.plate_raw, hotlist="Demo history", region="CT",
                                 category=rng.choice(("stolen vehicle", "BOLO", "wanted person")),
                                 priority=rng.choice((1, 2, 2, 3)), reason="demo history")
            hit = Hit(entry, MatchKind.POSSIBLE if possible else MatchKind.EXACT)
            alert = Alert(id=f"DEMOH-HIT-{n:06d}", source=SOURCE_HOTLIST,
                          type="possible_hotlist_hit" if possible else "hotlist_hit", priority=entry.priority,
                          status=AlertStatus.CLOSED, detected_at=at, received_at=at + timedelta(seconds=2),
                          address=read.camera_id, payload={**hit_payload(read, [hit]), **DEMO_FLAG})
            hits.append(HistoricHit(read=read, alert=alert))
    return reads, hits


def _gaps(y: _Year, cameras: list[str]) -> list[HistoricGap]:
    rng = y.rng
    out = []
    reasons = ("network outage", "camera rebooted", "power cut", "stream timeout")
    for _ in range(y.scale.gaps):
        start = y.uniform_time()
        minutes = rng.lognormvariate(math.log(45), 1.3)
        end = start + timedelta(minutes=min(minutes, 3 * 24 * 60))
        out.append(HistoricGap(camera_id=rng.choice(cameras), start_at=start, end_at=min(end, y.end),
                               reason=f"demo history: {rng.choice(reasons)}"))
    return out


def _radar(y: _Year) -> list[RadarReading]:
    """Speeds on Capitol Ave: faster at night, slower in the rush hours, and about 5 km/h slower (with fewer
    very fast drivers) once the strobes went up."""
    rng = y.rng
    change = radar_change_at(y.end)
    out = []
    for day in y.days():
        for _ in range(y.scale.radar_per_day):
            hour = _hour_in_day(rng, _TRAFFIC_CUM)
            at = y.local_instant(day, hour)
            if at >= y.end:
                continue
            after = at >= change
            congestion = TRAFFIC[hour] / 1.6
            mean = (47.0 if not after else 42.0) + 8.0 * (1 - congestion) - 4.0 * congestion
            speed = max(8.0, rng.gauss(mean, 8.5 if not after else 6.5))
            out.append(RadarReading(sensor_id=city.RADAR_SENSOR_ID, read_at=at, speed_kmh=round(speed, 1),
                                    lane=rng.choice(("1", "2")), direction="approaching"))
    return out


def _response_delay(rng: random.Random, priority: int) -> float:
    """Seconds from an alert's arrival to its response view: a quick mode (priority 1 a little faster, 3 and
    below a little slower) and a tail of minutes (the analyst was busy with another incident)."""
    if rng.random() < QUICK_SHARE:
        median = QUICK_MEDIAN_S * (0.8 if priority <= 1 else 1.0 if priority == 2 else 1.25)
        return min(90.0, max(6.0, rng.lognormvariate(math.log(median), QUICK_SIGMA)))
    return min(SLOW_CAP_S, max(45.0, rng.lognormvariate(math.log(SLOW_MEDIAN_S), SLOW_SIGMA)))


def _views(y: _Year, alerts: list[Alert], hits: list[HistoricHit], cameras: list[Camera]) -> list[HistoricView]:
    """The view_live records the response views left: for each alert opened, one per camera the wall showed (the
    cameras ``domain.ranking`` picks for the spot; a hit's spot is its LPR camera), milliseconds apart."""
    rng = y.rng
    if not cameras:
        return []
    positions = {p.id: city.offset_to_latlon(*city.camera_position(p)) for p in city.PLACEMENTS}
    by_spot: dict[tuple[float, float], list[str]] = {}

    def response(lat: float, lon: float) -> list[str]:
        key = (round(lat, 5), round(lon, 5))
        picks = by_spot.get(key)
        if picks is None:
            picks = by_spot[key] = [r.camera_id for r in rank_cameras(cameras, lat, lon,
                                                                      limit=RESPONSE_CAMERAS).ordered]
        return picks

    spots: list[tuple[Alert, tuple[float, float] | None]] = [
        (a, (a.lat, a.lon) if a.lat is not None and a.lon is not None else None) for a in alerts]
    spots += [(h.alert, positions.get(h.read.camera_id)) for h in hits]
    out: list[HistoricView] = []
    for alert, spot in sorted(spots, key=lambda s: (s[0].received_at, s[0].id)):
        if spot is None or rng.random() < NEVER_VIEWED.get(alert.type, 0.1):
            continue
        at = alert.received_at + timedelta(seconds=_response_delay(rng, alert.priority))
        for camera_id in response(*spot):
            if at >= y.end:
                break
            out.append(HistoricView(at=at, username=ACTOR, workstation="", camera_id=camera_id, alert_id=alert.id,
                                    detail=dict(DEMO_FLAG)))
            at += timedelta(milliseconds=rng.uniform(4, 30))
    return out


def radar_change_at(end: datetime) -> datetime:
    """When the demo's strobes went up: local midnight ``RADAR_CHANGE_DAYS_AGO`` days before ``end`` (a whole
    local day, so picking that date in a report compares exactly the generated periods)."""
    tz = city_zone()
    day = (end.astimezone(tz) - timedelta(days=RADAR_CHANGE_DAYS_AGO)).date()
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def generate_history(end: datetime, *, seed: int = SEED, scale: HistoryScale | None = None,
                     camera_ids: Collection[str] | None = None) -> HistoryBatch:
    """The demo year ending at ``end`` (aware), the same for the same seed, end, scale and cameras.

    ``camera_ids``: the demo cameras that exist (plate reads must name a stored camera); None means all of them.
    Without an LPR camera there are no reads or hits.
    """
    if end.utcoffset() is None:
        raise ValueError("end must carry a time zone")
    y = _Year(end, scale or HistoryScale(), seed)
    placements = [p for p in city.PLACEMENTS if camera_ids is None or p.id in camera_ids]
    video = [p.id for p in placements if p.kind is not CameraKind.LPR] or [p.id for p in city.PLACEMENTS
                                                                           if p.kind is not CameraKind.LPR]
    lpr = [p.id for p in placements if p.kind is CameraKind.LPR]
    batch = HistoryBatch(marker=MARKER, actor=ACTOR, close_reason=CLOSE_REASON,
                         radar_sites=city.demo_radar_sites())
    batch.cases, batch.tasks = _cases_and_tasks(y, video)
    batch.alerts = _gunshots(y)
    if lpr:
        batch.reads, batch.hits = _plates(y, lpr)
    batch.gaps = _gaps(y, video)
    batch.radar_readings = _radar(y)
    shown = {p.id for p in placements if p.kind is not CameraKind.LPR}
    batch.views = _views(y, batch.alerts, batch.hits, [c for c in city.demo_cameras() if c.id in shown])
    return batch


def ensure_history(services: Services, *, end: datetime | None = None, seed: int = SEED,
                   scale: HistoryScale | None = None) -> bool:
    """Load the demo year once, over the cameras already stored. True when it was loaded, False if it was there."""
    if history_loaded(services.db, MARKER):
        return False
    cameras = {c.id for c in services.cameras.list()}
    return load_history(services.db, generate_history(end or datetime.now(UTC), seed=seed, scale=scale,
                                                      camera_ids=cameras))
