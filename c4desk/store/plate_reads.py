"""Licence-plate reads: store one as it arrives (one row per car passage), load many at once, list the latest.

On SQLite every write also adds the plates it has not seen before to ``plates`` and their trigrams to
``plate_trigrams`` (see ``models.plates.PlateRow``), in the same transaction, so the search index can never
miss a committed read nor keep a rolled-back one's plate.

Who may read them: ``recent`` (the live feed) and ``between`` (the playback timeline) act for a person and require
``Action.SEARCH_PLATES``, as plate search and history do (``store.plate_search``): where a vehicle was and when is
sensitive whichever screen shows it. A refusal is audited (``permission_denied``). A granted read writes no
``plate_query`` record: these are feeds the workstation refreshes by itself, not a query a person asked, and one
record per refresh would bury the queries the audit trail is for. Writing reads (ingest) is the hub's machine path
and is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import PlateRead
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plate_match import fold_plate
from c4desk.domain.plates import LprRead
from c4desk.store.audit import require_audited
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import PlateReadRow
from c4desk.store.models.plates import PLATE_BLOCK_BITS

# A reader reports one car several times (first sighting, better plate or direction, car gone): those reports
# update one read when they share camera and car id within this window. Car ids restart with the reader, so
# the window must stay short enough that a reused id is a different car.
PASSAGE_WINDOW = timedelta(minutes=5)
_BULK_CHUNK = 10_000
_COLUMNS = ("camera_id", "plate_raw", "plate_norm", "plate_fold", "region", "read_at", "confidence",
            "direction", "car_id", "plate_image_ref", "vehicle_image_ref")


def to_read(row: PlateReadRow) -> LprRead:
    return LprRead(
        id=row.id, camera_id=row.camera_id, plate_raw=row.plate_raw, read_at=row.read_at, region=row.region,
        confidence=row.confidence, direction=row.direction, car_id=row.car_id,
        plate_image_ref=row.plate_image_ref, vehicle_image_ref=row.vehicle_image_ref,
    )


def trigrams(text: str) -> set[str]:
    """Every run of three consecutive characters in ``text`` (none if it is shorter)."""
    return {text[i:i + 3] for i in range(len(text) - 2)}


def row_values(read: LprRead) -> dict[str, Any]:
    """The column values of a read (plate normalised and folded, time in UTC)."""
    return {
        "camera_id": read.camera_id, "plate_raw": read.plate_raw, "plate_norm": read.plate_norm,
        "plate_fold": fold_plate(read.plate_norm), "region": read.region, "read_at": read.read_at.astimezone(UTC),
        "confidence": read.confidence, "direction": read.direction, "car_id": read.car_id,
        "plate_image_ref": read.plate_image_ref, "vehicle_image_ref": read.vehicle_image_ref,
    }


class PlateReadRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def add(self, read: LprRead) -> LprRead:
        """Store a read (its camera must exist), returns it with its id, publishes PlateRead after commit."""
        with self._db.session(write=True) as session:
            values = row_values(read)
            row = PlateReadRow(**values)
            session.add(row)
            session.flush()
            self._index_plates(session, [values])
            stored = to_read(row)
        self._publish(stored)
        return stored

    def record_passage(self, read: LprRead, *, window: timedelta = PASSAGE_WINDOW) -> tuple[LprRead, bool]:
        """Store a read, or update the read of the same passage (same camera and car id within ``window``).

        An update takes the newer plate, confidence and images, fills in a direction or region that was
        missing, and keeps the earliest time (when the car was first seen). Returns (read, created); publishes
        PlateRead either way, so views and hotlist matching see the corrected plate.
        """
        if not read.car_id:
            return self.add(read), True
        values = row_values(read)
        with self._db.session(write=True) as session:
            self._lock_passage(session, read)
            row = self._passage_row(session, read.camera_id, read.car_id, read.read_at, window)
            created = row is None
            if row is None:
                row = PlateReadRow(**values)
                session.add(row)
            else:
                _merge(row, values)
            session.flush()
            self._index_plates(session, [values])  # an update may correct the plate to one never seen
            stored = to_read(row)
        self._publish(stored)
        return stored, created

    def find_passage(self, camera_id: str, car_id: str, at: datetime, *,
                     window: timedelta = PASSAGE_WINDOW) -> LprRead | None:
        """The stored read of that car's passage at ``at``, if any."""
        with self._db.session() as session:
            row = self._passage_row(session, camera_id, car_id, at, window)
            return None if row is None else to_read(row)

    @staticmethod
    def _passage_row(session: Session, camera_id: str, car_id: str, at: datetime,
                     window: timedelta) -> PlateReadRow | None:
        at = at.astimezone(UTC)
        query = (select(PlateReadRow)
                 .where(PlateReadRow.camera_id == camera_id, PlateReadRow.car_id == car_id,
                        PlateReadRow.read_at >= at - window, PlateReadRow.read_at <= at + window)
                 .order_by(PlateReadRow.read_at.desc(), PlateReadRow.id.desc()).limit(1))
        return session.scalars(query).first()

    def _lock_passage(self, session: Session, read: LprRead) -> None:
        # Reports of one car can arrive on two hub threads at once; without this PostgreSQL (read committed)
        # would let both insert. SQLite write sessions are serialised by BEGIN IMMEDIATE already.
        if not self._db.is_sqlite:
            key = f"c4desk-passage:{read.camera_id}:{read.car_id}"
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})

    def bulk_add(self, reads: Iterable[LprRead]) -> int:
        """Store many reads fast (COPY on PostgreSQL), in one transaction, publishing nothing. Returns the count.

        For historical loads: no events, no passage merging, and so no hotlist alerts by themselves.
        """
        count = 0
        with self._db.session(write=True) as session:
            if self._db.is_sqlite:
                batch: list[dict[str, Any]] = []
                for read in reads:
                    batch.append(row_values(read))
                    if len(batch) >= _BULK_CHUNK:
                        count += _insert_many(session, batch)
                        self._index_plates(session, batch)
                        batch = []
                count += _insert_many(session, batch)
                self._index_plates(session, batch)
            else:
                count = _copy(session, reads)
        return count

    def _index_plates(self, session: Session, values: list[dict[str, Any]]) -> None:
        """Add the plates of these rows that ``plates`` lacks, with their trigrams (SQLite only).

        Plain DBAPI executemany: through the ORM's bulk path this cost more than storing the reads themselves.
        New plates are told apart by id: SQLite numbers a new row one past the largest id, and this write
        transaction is the only writer (BEGIN IMMEDIATE), so exactly the rows above the previous largest are new.
        """
        if not values or not self._db.is_sqlite:
            return
        conn = session.connection()
        plates = list({v["plate_norm"]: v["plate_fold"] for v in values}.items())
        insert_plate = "INSERT INTO plates (plate_norm, plate_fold) VALUES (?, ?) ON CONFLICT DO NOTHING"
        if len(plates) == 1:  # a live read: one statement
            new = conn.exec_driver_sql(f"{insert_plate} RETURNING id, plate_fold", plates[0]).all()
        else:
            before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM plates").scalar_one()
            conn.exec_driver_sql(insert_plate, plates)
            new = conn.exec_driver_sql("SELECT id, plate_fold FROM plates WHERE id > ?", (before,)).all()
        # Sorted, so that the postings go into the btree in key order.
        postings = sorted((plate_id >> PLATE_BLOCK_BITS, gram, plate_id)
                          for plate_id, fold in new for gram in trigrams(fold))
        if postings:
            conn.exec_driver_sql("INSERT INTO plate_trigrams (block, trigram, plate_id) VALUES (?, ?, ?)", postings)

    def get(self, read_id: int) -> LprRead | None:
        with self._db.session() as session:
            row = session.get(PlateReadRow, read_id)
            return None if row is None else to_read(row)

    def count(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(PlateReadRow)) or 0

    def recent(self, limit: int = 100, *, actor: Actor) -> list[LprRead]:
        """The latest reads by read time, newest first, for ``actor`` (SEARCH_PLATES; a refusal is audited, a
        granted read is not: it is the live feed, not a query)."""
        require_audited(self._db, actor, Action.SEARCH_PLATES, object="plates:recent",
                        detail={"query": "recent", "limit": limit})
        newest = (PlateReadRow.read_at.desc(), PlateReadRow.id.desc())
        query = select(PlateReadRow).order_by(*newest).limit(limit)
        with self._db.session() as session:
            return [to_read(r) for r in session.scalars(query)]

    def between(self, start: datetime, end: datetime, *, actor: Actor, camera_ids: Sequence[str] | None = None,
                limit: int = 5000) -> list[LprRead]:
        """Reads in [start, end] (of these cameras; None: all), newest first, at most ``limit`` of them, for
        ``actor`` (SEARCH_PLATES; a refusal is audited, a granted read is not: the timeline's feed, not a query).

        Read-only and served by the indexes on ``read_at`` and ``(camera_id, read_at)``, so a window far in the
        past is found as fast as a recent one (the playback timeline asks for whatever window is on screen).
        """
        require_audited(self._db, actor, Action.SEARCH_PLATES, object="plates:between",
                        detail={"query": "between", "start": start, "end": end})
        errors: list[FieldError] = []
        for name, value in (("start", start), ("end", end)):
            if value.tzinfo is None or value.utcoffset() is None:
                errors.append(FieldError(name, f"naive datetime {value.isoformat()}: give a time zone (UTC)"))
        if not errors and end < start:
            errors.append(FieldError("end", f"{end.isoformat()} is before start {start.isoformat()}"))
        if limit < 1:
            errors.append(FieldError("limit", f"{limit}: must be at least 1"))
        if errors:
            raise ValidationError(errors)
        query = select(PlateReadRow).where(PlateReadRow.read_at >= start, PlateReadRow.read_at <= end)
        if camera_ids is not None:
            ids = list(dict.fromkeys(camera_ids))
            if not ids:
                return []
            query = query.where(PlateReadRow.camera_id.in_(ids))
        query = query.order_by(PlateReadRow.read_at.desc(), PlateReadRow.id.desc()).limit(limit)
        with self._db.session() as session:
            return [to_read(r) for r in session.scalars(query)]

    def _publish(self, read: LprRead) -> None:
        if self._bus is not None:
            self._bus.publish(PlateRead(read=read))


def _merge(row: PlateReadRow, values: dict[str, Any]) -> None:
    for name in ("plate_raw", "plate_norm", "plate_fold"):
        setattr(row, name, values[name])
    if values["confidence"] is not None:
        row.confidence = values["confidence"]
    for name in ("region", "direction", "plate_image_ref", "vehicle_image_ref"):
        if values[name]:
            setattr(row, name, values[name])
    row.read_at = min(row.read_at, values["read_at"])


def _insert_many(session: Session, batch: list[dict[str, Any]]) -> int:
    if batch:
        # Core, not the ORM's bulk insert: the same executemany without a Python object per row.
        session.connection().execute(insert(cast(Table, PlateReadRow.__table__)), batch)
    return len(batch)


def _copy(session: Session, reads: Iterable[LprRead]) -> int:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    count = 0
    with raw.cursor() as cur, cur.copy(f"COPY plate_reads ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for read in reads:
            values = row_values(read)
            copy.write_row([values[c] for c in _COLUMNS])
            count += 1
    return count
