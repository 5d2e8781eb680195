"""Plate history search: exact, wildcard, partial and confusable-tolerant, with filters, newest first, paged.

What matches is defined once in ``domain.plate_match`` (tests hold this module to it on random data). Here it
becomes SQL each engine can answer from an index:

* exact: ``plate_norm = ?`` on the (plate_norm, read_at) btree; confusable-tolerant ("fuzzy") searches compare
  the folded column instead, on its own (plate_fold, read_at) btree;
* wildcard and partial: ``LIKE`` (``*`` -> ``%``, ``?`` -> ``_``), plus a range on the pattern's literal prefix
  on SQLite (whose case-insensitive LIKE cannot seek the binary btree by itself).

Which plan answers "newest first, one page" best depends on how many reads match, and neither engine can
estimate that for a LIKE pattern (PostgreSQL guessed 9,515 rows for one that had 711, and scanned 165,000 rows
newest-first to fill a page). Plates are short strings over ~36 symbols, so the number of literal characters is
a good guide. With three or more the pattern is selective: all matches are found first and only those rows are
sorted. With two it matches a few percent of all reads, and walking the reads newest first finds a page within
a few thousand rows (3 ms against 80 ms for collecting all matches of a common fragment, at a million reads).

Where the selective matches come from:

* PostgreSQL: the pg_trgm GIN indexes on the reads (a bitmap scan);
* SQLite, a literal prefix of two or more characters (``AB*12``): a range of the reads' plate btree;
* SQLite otherwise: the distinct plates (``plates``, maintained with every write), found through their trigram
  postings (``plate_trigrams``) when the pattern has a run of three literal characters, by a scan of the
  distinct plates when it has none; then only the reads of those plates, by the (plate, time) btree. Scanning
  the reads' plate btree instead cost ~60 ns a read: 0.6 s at ten million reads.

Who may ask: ``search`` and ``history`` act for a person (``actor``) and require ``Action.SEARCH_PLATES``; a
refusal is audited (``permission_denied``). Where a vehicle was and when is sensitive, and CJIS-minded centres
log every plate query: a granted query writes one ``plate_query`` audit record (``object`` is
``plates:<pattern>``; ``detail["query"]`` says ``search`` or ``history`` and holds the options and filters) in its
own short write transaction before the reads are fetched, so a slow query never holds the write lock. ``query``
only builds a SELECT and reads nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, literal, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plate_match import WILDCARDS, PlatePattern, fold_plate, parse_pattern
from c4desk.domain.plates import DIRECTIONS, LprRead, normalise_plate
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import PlateReadRow
from c4desk.store.models.plates import PLATE_BLOCK_BITS, PlateRow, PlateTrigramRow
from c4desk.store.plate_reads import to_read, trigrams

T = TypeVar("T")
MAX_LIMIT = 10_000
MAX_RECENT = 10_000
SELECTIVE_LITERALS = 3
AUDIT_EVENT = AuditType.PLATE_QUERY
_AUDIT_TEXT = 64  # how much of a refused (unchecked) pattern the record keeps


def _no_index(column: InstrumentedAttribute[T]) -> UnaryExpression[T]:
    """``+column``: the same value, but SQLite will not use an index of ``column`` for it.

    For when the query's own plan is known to be better than what SQLite would guess: without it, SQLite may
    walk the whole time index newest first (or all of a camera's reads) testing each read against the matching
    plates, to save sorting the few reads that match.
    """
    return UnaryExpression(column.expression, operator=custom_op("+"))


@dataclass(frozen=True, kw_only=True)
class ReadFilter:
    """Which reads a search looks at. ``since`` is inclusive, ``until`` exclusive; empty means any."""

    since: datetime | None = None
    until: datetime | None = None
    cameras: Sequence[str] = ()
    region: str = ""
    direction: str = ""

    def check(self) -> None:
        errors: list[FieldError] = []
        for name in ("since", "until"):
            t = getattr(self, name)
            if t is not None and t.utcoffset() is None:
                errors.append(FieldError(name, "must carry a time zone (UTC)"))
        if not errors and self.since and self.until and self.until <= self.since:
            errors.append(FieldError("until", "must be after since"))
        if self.direction not in DIRECTIONS:
            errors.append(FieldError("direction", f"{self.direction!r} not one of in, out or empty"))
        if errors:
            raise ValidationError(errors)

    @property
    def by_time_only(self) -> bool:
        """No filter but the time range: the (plate, time) btree alone can answer."""
        return not (self.cameras or self.region or self.direction)

    def time_conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.since is not None:
            out.append(PlateReadRow.read_at >= self.since.astimezone(UTC))
        if self.until is not None:
            out.append(PlateReadRow.read_at < self.until.astimezone(UTC))
        return out

    def conditions(self, *, camera_index: bool = True) -> list[ColumnElement[bool]]:
        out = self.time_conditions()
        if self.cameras:
            camera = PlateReadRow.camera_id if camera_index else _no_index(PlateReadRow.camera_id)
            out.append(camera.in_(list(self.cameras)))
        if self.region:
            out.append(PlateReadRow.region == self.region.strip().upper())
        if self.direction:
            out.append(PlateReadRow.direction == self.direction)
        return out

    def audit_detail(self) -> dict[str, Any]:
        """The filters given (none of the empty ones), as an audit record keeps them."""
        given = {"since": self.since, "until": self.until, "cameras": list(self.cameras),
                 "region": self.region.strip().upper(), "direction": self.direction}
        return {name: value for name, value in given.items() if value}


@dataclass(frozen=True)
class CameraSeen:
    camera_id: str
    reads: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class PlateHistory:
    """Where and when a plate was read: totals, and per camera (most recently seen first)."""

    plate: str
    reads: int
    first_seen: datetime
    last_seen: datetime
    cameras: list[CameraSeen]
    regions: list[str]
    plates: list[str]  # the plates as read; more than one for a fuzzy history
    recent: list[LprRead] = field(default_factory=list)  # the newest reads, newest first, if ``recent`` was asked


def _selective(pattern: PlatePattern) -> bool:
    return pattern.has_wildcards and sum(c not in WILDCARDS for c in pattern.glob) >= SELECTIVE_LITERALS


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _literal_prefix(glob: str) -> str:
    return glob[:min((glob.find(c) for c in WILDCARDS if c in glob), default=len(glob))]


def _like(glob: str) -> str:
    return glob.replace("*", "%").replace("?", "_")


def _prefix_range(column: InstrumentedAttribute[str], glob: str) -> list[ColumnElement[bool]]:
    # SQLite's LIKE is case-insensitive and so cannot use the binary btree by itself; plates are stored upper
    # case, so an explicit range on the literal prefix is exact and lets it seek.
    prefix = _literal_prefix(glob)
    return [column >= prefix, column < _successor(prefix)] if prefix else []


def _pattern_trigrams(folded_glob: str) -> set[str]:
    """The trigrams every plate matching ``folded_glob`` (once folded) holds: those of its literal runs."""
    return {gram for run in re.split(r"[*?]", folded_glob) for gram in trigrams(run)}


class PlateSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    def pattern_condition(self, pattern: PlatePattern, *, fuzzy: bool) -> list[ColumnElement[bool]]:
        column = PlateReadRow.plate_fold if fuzzy else PlateReadRow.plate_norm
        glob = fold_plate(pattern.glob) if fuzzy else pattern.glob
        if not pattern.has_wildcards:
            return [column == glob]
        conditions: list[ColumnElement[bool]] = [column.like(_like(glob))]
        if self._db.is_sqlite:
            conditions += _prefix_range(column, glob)
        return conditions

    def _uses_plates(self, pattern: PlatePattern) -> bool:
        """SQLite: find the matching plates among the distinct ones first (no long literal prefix to seek)."""
        return self._db.is_sqlite and _selective(pattern) and len(_literal_prefix(pattern.glob)) < 2

    def _matching_plates(self, pattern: PlatePattern, *, fuzzy: bool = False) -> Select[str]:
        """The distinct plates (folded ones if ``fuzzy``) that match: through the trigram postings when the
        pattern has a run of three literal characters, else by scanning the distinct plates (SQLite only)."""
        column = PlateRow.plate_fold if fuzzy else PlateRow.plate_norm
        glob = fold_plate(pattern.glob) if fuzzy else pattern.glob
        query = select(column).where(column.like(_like(glob)))
        grams = _pattern_trigrams(fold_plate(pattern.glob))
        if not grams:
            return query.where(*_prefix_range(column, glob))
        # Every block of plate ids, 0 up to the last one's, so that each (block, trigram) is one seek.
        blocks = select(literal(0).label("n")).cte("plate_blocks", recursive=True)
        last = select(func.max(PlateRow.id).op(">>")(PLATE_BLOCK_BITS)).scalar_subquery()
        blocks = blocks.union_all(select(blocks.c.n + 1).where(blocks.c.n < last))
        holding = (select(PlateTrigramRow.plate_id)
                   .where(PlateTrigramRow.block.in_(select(blocks.c.n)), PlateTrigramRow.trigram.in_(sorted(grams)))
                   .group_by(PlateTrigramRow.plate_id).having(func.count() == len(grams)))
        return query.where(PlateRow.id.in_(holding))

    def query(self, pattern: PlatePattern, *, fuzzy: bool = False, where: ReadFilter = ReadFilter(),
              limit: int | None = None, offset: int = 0) -> Select[PlateReadRow]:
        """The SELECT of the matching reads, newest first, one page of them if ``limit`` is given."""
        where.check()
        newest = (PlateReadRow.read_at.desc(), PlateReadRow.id.desc())

        def paged(query: Select[T]) -> Select[T]:
            return query if limit is None else query.limit(limit).offset(offset)

        if self._uses_plates(pattern):
            column = PlateReadRow.plate_fold if fuzzy else PlateReadRow.plate_norm
            of_plates = column.in_(self._matching_plates(pattern, fuzzy=fuzzy))
            by_plate_then_time = (_no_index(PlateReadRow.read_at).desc(), PlateReadRow.id.desc())
            ids = select(PlateReadRow.id).where(of_plates, *where.time_conditions())
            if where.by_time_only:
                # The (plate, time) btree holds all that decides the page (its rowid is the id): take the page's
                # ids from it alone, then read only those rows. A plate read 50,000 times costs a short walk
                # of its index entries instead of 50,000 row lookups.
                ids = paged(ids.order_by(*by_plate_then_time))
                return select(PlateReadRow).where(PlateReadRow.id.in_(ids)).order_by(*newest)
            # Other filters need the rows: by id, never by walking all of a camera's reads.
            filters = where.conditions(camera_index=False)
            return paged(select(PlateReadRow).where(PlateReadRow.id.in_(ids), *filters).order_by(*newest))
        matching = self.pattern_condition(pattern, fuzzy=fuzzy)
        if _selective(pattern) and self._db.is_sqlite:
            # Ids from the narrow plate index first (time bounds there too), then only those rows.
            ids = select(PlateReadRow.id).where(*matching, *where.time_conditions())
            return paged(select(PlateReadRow).where(PlateReadRow.id.in_(ids), *where.conditions()).order_by(*newest))
        return paged(select(PlateReadRow).where(*matching, *where.conditions()).order_by(*newest))

    def search(self, pattern: str | PlatePattern, *, actor: Actor, partial: bool = False, fuzzy: bool = False,
               where: ReadFilter = ReadFilter(), limit: int = 100, offset: int = 0) -> list[LprRead]:
        """Reads whose plate matches, newest first, for ``actor`` (SEARCH_PLATES; the query is audited).
        ``pattern`` with ``*``/``?`` is a wildcard pattern, ``partial`` finds it anywhere in the plate, ``fuzzy``
        also finds OCR-confusable variants."""
        self._require(actor, "search", pattern)
        if isinstance(pattern, str):
            pattern = parse_pattern(pattern, partial=partial)
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise ValidationError([FieldError("limit", f"limit must be 1-{MAX_LIMIT} and offset >= 0")])
        query = self.query(pattern, fuzzy=fuzzy, where=where, limit=limit, offset=offset)
        self._audit(actor, "search", pattern, {"fuzzy": fuzzy, **where.audit_detail(), "limit": limit,
                                               "offset": offset})
        return self._reads(pattern, query)

    def _reads(self, pattern: PlatePattern, query: Select[PlateReadRow]) -> list[LprRead]:
        with self._db.session() as session:
            if _selective(pattern) and not self._db.is_sqlite:
                # Make PostgreSQL collect the matches from the trigram index (a bitmap scan) instead of trusting
                # its LIKE estimate and walking the time index; for this transaction only.
                session.execute(text("SET LOCAL enable_indexscan = off"))
                session.execute(text("SET LOCAL enable_seqscan = off"))
            return [to_read(r) for r in session.scalars(query)]

    def history(self, plate: str, *, actor: Actor, fuzzy: bool = False, where: ReadFilter = ReadFilter(),
                recent: int = 0) -> PlateHistory | None:
        """A plate's reads summarised, for ``actor`` (SEARCH_PLATES; audited); None if it was never read (within
        ``where``). ``recent``: also its newest reads, up to that many (the trail a history view draws), in the
        same audited query."""
        self._require(actor, "history", plate)
        pattern = parse_pattern(plate, name="plate")
        if pattern.has_wildcards:
            raise ValidationError([FieldError("plate", "history needs one plate, not a pattern")])
        if not 0 <= recent <= MAX_RECENT:
            raise ValidationError([FieldError("recent", f"must be 0-{MAX_RECENT}")])
        where.check()
        self._audit(actor, "history", pattern, {"fuzzy": fuzzy, **where.audit_detail(),
                                                **({"recent": recent} if recent else {})})
        cond = [*self.pattern_condition(pattern, fuzzy=fuzzy), *where.conditions()]
        at = PlateReadRow.read_at
        per_camera = (select(PlateReadRow.camera_id, func.count(), func.min(at), func.max(at))
                      .where(*cond).group_by(PlateReadRow.camera_id))
        with self._db.session() as session:
            cameras = [CameraSeen(str(c), int(n), first, last) for c, n, first, last in session.execute(per_camera)]
            if not cameras:
                return None
            regions = self._distinct(session, PlateReadRow.region, cond)
            plates = self._distinct(session, PlateReadRow.plate_norm, cond)
            reads = ([to_read(r) for r in session.scalars(self.query(pattern, fuzzy=fuzzy, where=where, limit=recent))]
                     if recent else [])  # one plate, no wildcards: the planner needs no hints
        cameras.sort(key=lambda c: (c.last_seen, c.camera_id), reverse=True)
        return PlateHistory(
            plate=normalise_plate(plate), reads=sum(c.reads for c in cameras),
            first_seen=min(c.first_seen for c in cameras), last_seen=max(c.last_seen for c in cameras),
            cameras=cameras, regions=[r for r in regions if r], plates=plates, recent=reads,
        )

    # -- who asks ----------------------------------------------------------------------------------------
    def _require(self, actor: Actor, query: str, pattern: str | PlatePattern) -> None:
        """SEARCH_PLATES, before anything is parsed or read; a refusal is audited with what was asked."""
        asked = (pattern if isinstance(pattern, str) else pattern.glob).strip()[:_AUDIT_TEXT]
        require_audited(self._db, actor, Action.SEARCH_PLATES, object=f"plates:{asked}",
                        detail={"query": query, "pattern": asked})

    def _audit(self, actor: Actor, query: str, pattern: PlatePattern, detail: dict[str, Any]) -> None:
        """One record per granted query (checked input only), written before the reads are fetched."""
        with self._db.session(write=True) as session:
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AUDIT_EVENT.value, object=f"plates:{pattern.glob}",
                         detail={"query": query, "pattern": pattern.text, "kind": pattern.kind.value, **detail})

    @staticmethod
    def _distinct(session: Session, column: InstrumentedAttribute[str], cond: list[ColumnElement[bool]]) -> list[str]:
        return sorted(str(v) for v in session.scalars(select(column).where(*cond).distinct()))
