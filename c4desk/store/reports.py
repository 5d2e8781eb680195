"""The centre's figures for the dashboards: read-only series over a period, ready to plot and to export as CSV.

Every method takes the acting user (``Action.VIEW_REPORTS``; a refusal is audited) and a period
``[since, until)`` of aware datetimes, and returns plain frozen dataclasses, zero-filled so a plot's x axis has
no holes. ``table(rows)`` turns any of them into a CSV header and rows.

Counting is done in SQL where volume lives (plate reads, alerts): rows are grouped by **UTC hour** in the
database (one integer per row: hours since 1970), and those hourly counts are then folded into local days or
months in Python with the caller's zone. An hour in UTC is an hour in every zone with a whole-hour offset, so
this is exact there (and across DST changes); in a half-hour zone (India, Newfoundland) a count lands on the
local day or month its UTC hour starts in.

Sources:

* **Alerts per day by type**: ``alerts.detected_at``, every source (gunshot, hotlist, ...), keyed by ``type``.
* **LPR per hour**: ``plate_reads.read_at``; hits are alerts with source ``hotlist`` by ``detected_at``
  (``hotlist_hit`` and ``possible_hotlist_hit`` counted apart).
* **Video search tasks per month**: ``video_search_tasks.requested_at``: tasks, minutes spent, outcomes.
* **Alert to first camera view**: the audit trail. The wall (or any view opened from an alert) writes an
  ``AuditType.VIEW_LIVE`` or ``VIEW_RECORDED`` record whose ``detail`` carries ``"alert_id"`` (and
  ``"camera_id"``, else the record's ``object`` names the camera). The time is from the alert's
  ``received_at`` (when the centre had it) to the earliest such record, clamped at 0 (seats' clocks may differ
  by a little). Alerts are the ones received in the period; views are looked for up to ``VIEW_HORIZON`` after.
* **Cameras offline**: ``recording_gaps``. A camera counts as offline in a bucket when one of its gaps overlaps
  it (an open gap runs to now); ``camera_minutes`` is the offline time summed over cameras in the bucket.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, cast, func, or_, select

from c4desk.domain.alerts import SOURCE_HOTLIST
from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.statistics import SolvabilityResult, percentile
from c4desk.store.audit import require_audited
from c4desk.store.db import Database
from c4desk.store.models import AlertRow, AuditEventRow, PlateReadRow, RecordingGapRow, VideoSearchTaskRow, utcnow
from c4desk.store.solvability import SolvabilityReport

HOUR = timedelta(hours=1)
VIEW_HORIZON = timedelta(days=1)
OUTCOMES = ("useful_video", "nothing_relevant", "camera_offline")
VIEW_EVENTS = (AuditType.VIEW_LIVE.value, AuditType.VIEW_RECORDED.value)
HIT_TYPES = ("hotlist_hit", "possible_hotlist_hit")


class Step(StrEnum):
    HOUR = "hour"
    DAY = "day"


# --- rows ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDay:
    """Alerts detected on one local day, by type (every type seen in the period is a key, 0 included)."""

    day: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class LprHour:
    hour: datetime  # the hour's start, UTC
    reads: int
    hits: int
    possible_hits: int


@dataclass(frozen=True)
class SearchMonth:
    """Video search tasks requested in one local month. ``minutes`` sums the recorded time spent."""

    month: date  # the first day of the month
    tasks: int
    done: int
    open: int
    minutes: int
    useful_video: int
    nothing_relevant: int
    camera_offline: int


@dataclass(frozen=True)
class FirstView:
    alert_id: str
    source: str
    alert_type: str
    received_at: datetime
    first_view_at: datetime | None
    seconds: float | None
    camera_id: str


@dataclass(frozen=True)
class FirstViews:
    alerts: tuple[FirstView, ...]  # oldest first

    @property
    def viewed(self) -> int:
        return sum(1 for a in self.alerts if a.seconds is not None)

    @property
    def not_viewed(self) -> int:
        return len(self.alerts) - self.viewed

    def quantile_seconds(self, q: float) -> float | None:
        return percentile([a.seconds for a in self.alerts if a.seconds is not None], q)

    @property
    def median_seconds(self) -> float | None:
        return self.quantile_seconds(0.5)


@dataclass(frozen=True)
class OfflineBucket:
    start: datetime  # UTC
    cameras: int
    camera_minutes: float
    camera_ids: tuple[str, ...]


def table(rows: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """A CSV header and rows for any list of the dataclasses above (dict fields become one column per key;
    times in ISO 8601, absent values empty)."""
    if not rows:
        return [], []
    first = rows[0]
    assert is_dataclass(first)
    header: list[str] = []
    for f in fields(first):
        value = getattr(first, f.name)
        if isinstance(value, dict):
            header.extend(str(k) for k in value)
        else:
            header.append(f.name)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, tuple):
            return " ".join(str(v) for v in value)
        return str(value)

    out = []
    for row in rows:
        line: list[str] = []
        for f in fields(row):
            value = getattr(row, f.name)
            if isinstance(value, dict):
                line.extend(cell(v) for v in value.values())
            else:
                line.append(cell(value))
        out.append(line)
    return header, out


# --- helpers ---------------------------------------------------------------------------------------------------


def _epoch_hour(db: Database, column: Any) -> ColumnElement[int]:
    """Whole hours since 1970-01-01 UTC of a timestamp column, computed by the database."""
    if db.is_sqlite:  # stored as UTC text; strftime('%s') reads it as UTC
        return cast(func.strftime("%s", column), Integer).op("/")(3600)
    return cast(func.floor(func.extract("epoch", column) / 3600), BigInteger)


def _hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def _check_period(since: datetime, until: datetime) -> None:
    for name, at in (("since", since), ("until", until)):
        if at.utcoffset() is None:
            raise ValueError(f"{name} must carry a time zone")
    if until <= since:
        raise ValueError("until must be after since")


def _local_days(since: datetime, until: datetime, tz: tzinfo) -> list[date]:
    first = since.astimezone(tz).date()
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _hours(since: datetime, until: datetime) -> Iterator[datetime]:
    at = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while at < until:
        yield at
        at += HOUR


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _months(since: datetime, until: datetime, tz: tzinfo) -> list[date]:
    first = since.astimezone(tz).date().replace(day=1)
    last = (until - timedelta(microseconds=1)).astimezone(tz).date().replace(day=1)
    out = [first]
    while out[-1] < last:
        d = out[-1]
        out.append(date(d.year + (d.month == 12), d.month % 12 + 1, 1))
    return out


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._solvability = SolvabilityReport(db)

    def _allow(self, actor: Actor, report: str) -> None:
        require_audited(self._db, actor, Action.VIEW_REPORTS, f"report:{report}")

    # --- alerts ----------------------------------------------------------------------------------------------

    def alerts_per_day(self, actor: Actor, since: datetime, until: datetime, *, tz: tzinfo = UTC) -> list[AlertDay]:
        """Alerts by local day (``tz``) and type, every day of the period listed."""
        self._allow(actor, "alerts_per_day")
        _check_period(since, until)
        hour = _epoch_hour(self._db, AlertRow.detected_at).label("h")
        query = (select(hour, AlertRow.type, func.count()).where(AlertRow.detected_at >= since,
                                                                  AlertRow.detected_at < until)
                 .group_by(hour, AlertRow.type))
        with self._db.session() as session:
            rows = session.execute(query).all()
        types = sorted({t for _, t, _ in rows})
        days = _local_days(since, until, tz)
        counts: dict[date, dict[str, int]] = {d: dict.fromkeys(types, 0) for d in days}
        for h, alert_type, n in rows:
            day = _hour_start(int(h)).astimezone(tz).date()
            if day in counts:
                counts[day][alert_type] += n
        return [AlertDay(d, counts[d]) for d in days]

    # --- plates ----------------------------------------------------------------------------------------------

    def lpr_per_hour(self, actor: Actor, since: datetime, until: datetime) -> list[LprHour]:
        """Plate reads and hotlist hits per UTC hour, every hour of the period listed."""
        self._allow(actor, "lpr_per_hour")
        _check_period(since, until)
        read_hour = _epoch_hour(self._db, PlateReadRow.read_at).label("h")
        hit_hour = _epoch_hour(self._db, AlertRow.detected_at).label("h")
        reads_q = (select(read_hour, func.count()).where(PlateReadRow.read_at >= since, PlateReadRow.read_at < until)
                   .group_by(read_hour))
        hits_q = (select(hit_hour, AlertRow.type, func.count())
                  .where(AlertRow.source == SOURCE_HOTLIST, AlertRow.detected_at >= since,
                         AlertRow.detected_at < until).group_by(hit_hour, AlertRow.type))
        with self._db.session() as session:
            reads = {int(h): n for h, n in session.execute(reads_q)}
            hits: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            for h, alert_type, n in session.execute(hits_q):
                hits[int(h)][1 if alert_type == "possible_hotlist_hit" else 0] += n
        out = []
        for start in _hours(since, until):
            h = int(start.timestamp()) // 3600
            definite, possible = hits.get(h, (0, 0))
            out.append(LprHour(start, reads.get(h, 0), definite, possible))
        return out

    # --- video searches --------------------------------------------------------------------------------------

    def video_searches_per_month(self, actor: Actor, since: datetime, until: datetime, *,
                                 tz: tzinfo = UTC) -> list[SearchMonth]:
        """Video search tasks by local month of request: how many, time spent, and how they ended."""
        self._allow(actor, "video_searches_per_month")
        _check_period(since, until)
        t = VideoSearchTaskRow
        hour = _epoch_hour(self._db, t.requested_at).label("h")
        query = (select(hour, t.status, t.outcome, func.count(), func.coalesce(func.sum(t.minutes_spent), 0))
                 .where(t.requested_at >= since, t.requested_at < until).group_by(hour, t.status, t.outcome))
        with self._db.session() as session:
            rows = session.execute(query).all()
        months = _months(since, until, tz)
        acc: dict[date, dict[str, int]] = {m: defaultdict(int) for m in months}
        for h, status, outcome, n, minutes in rows:
            month = _hour_start(int(h)).astimezone(tz).date().replace(day=1)
            if month not in acc:
                continue
            bucket = acc[month]
            bucket["tasks"] += n
            bucket["minutes"] += int(minutes or 0)
            bucket["done" if status == "done" else "open"] += n
            if outcome in OUTCOMES:
                bucket[outcome] += n
        return [SearchMonth(month=m, tasks=a["tasks"], done=a["done"], open=a["open"], minutes=a["minutes"],
                            useful_video=a["useful_video"], nothing_relevant=a["nothing_relevant"],
                            camera_offline=a["camera_offline"]) for m, a in acc.items()]

    # --- response ---------------------------------------------------------------------------------------------

    def alert_first_view(self, actor: Actor, since: datetime, until: datetime) -> FirstViews:
        """For each alert received in the period: when a camera was first viewed for it (audit trail)."""
        self._allow(actor, "alert_first_view")
        _check_period(since, until)
        alert_id = AuditEventRow.detail["alert_id"].as_string()
        camera_id = AuditEventRow.detail["camera_id"].as_string()
        with self._db.session() as session:
            alerts = session.execute(
                select(AlertRow.id, AlertRow.source, AlertRow.type, AlertRow.received_at)
                .where(AlertRow.received_at >= since, AlertRow.received_at < until)
                .order_by(AlertRow.received_at, AlertRow.id)).all()
            views = session.execute(
                select(alert_id, AuditEventRow.at, camera_id, AuditEventRow.object)
                .where(AuditEventRow.event_type.in_(VIEW_EVENTS), AuditEventRow.at >= since,
                       AuditEventRow.at < until + VIEW_HORIZON, alert_id.is_not(None))
                .order_by(AuditEventRow.at, AuditEventRow.id)).all()
        first: dict[str, tuple[datetime, str]] = {}
        for aid, at, cam, obj in views:
            if aid and aid not in first:
                first[aid] = (at, cam or obj or "")
        out = []
        for aid, source, alert_type, received in alerts:
            seen = first.get(aid)
            seconds = None if seen is None else max(0.0, (seen[0] - received).total_seconds())
            out.append(FirstView(alert_id=aid, source=source, alert_type=alert_type, received_at=received,
                                 first_view_at=seen[0] if seen else None, seconds=seconds,
                                 camera_id=seen[1] if seen else ""))
        return FirstViews(tuple(out))

    # --- cameras ---------------------------------------------------------------------------------------------

    def cameras_offline(self, actor: Actor, since: datetime, until: datetime, *, step: Step = Step.HOUR,
                        tz: tzinfo = UTC) -> list[OfflineBucket]:
        """Cameras with a recording gap in each hour (UTC) or local day of the period."""
        self._allow(actor, "cameras_offline")
        _check_period(since, until)
        g = RecordingGapRow
        with self._db.session() as session:
            gaps = session.execute(select(g.camera_id, g.start_at, g.end_at)
                                   .where(g.start_at < until, or_(g.end_at.is_(None), g.end_at > since))).all()
        if Step(step) is Step.HOUR:
            starts = list(_hours(since, until))
            ends = [s + HOUR for s in starts]
        else:
            days = _local_days(since, until, tz)
            starts = [_local_midnight(d, tz) for d in days]
            ends = [_local_midnight(d + timedelta(days=1), tz) for d in days]
        now = utcnow()
        minutes: list[dict[str, float]] = [defaultdict(float) for _ in starts]
        for camera, start, end in gaps:
            stop = end if end is not None else now
            # First bucket the gap touches (bisect by hand: buckets are sorted).
            lo, hi = 0, len(starts)
            while lo < hi:
                mid = (lo + hi) // 2
                if ends[mid] <= start:
                    lo = mid + 1
                else:
                    hi = mid
            i = lo
            while i < len(starts) and starts[i] < stop:
                overlap = (min(stop, ends[i]) - max(start, starts[i])).total_seconds() / 60
                if overlap > 0:
                    minutes[i][camera] += overlap
                i += 1
        return [OfflineBucket(start=s, cameras=len(m), camera_minutes=math.fsum(m.values()),
                              camera_ids=tuple(sorted(m))) for s, m in zip(starts, minutes, strict=True)]

    # --- solvability -----------------------------------------------------------------------------------------

    def solvability(self, actor: Actor, *, since: datetime | None = None, until: datetime | None = None,
                    types: Sequence[str] = ()) -> SolvabilityResult:
        """The solvability study (see ``store.solvability``)."""
        return self._solvability.run(actor, since=since, until=until, types=types)
