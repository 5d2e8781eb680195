"""Who may search plates, and the record each query leaves (SQLite and PostgreSQL).

SEARCH_PLATES is the analyst's, supervisor's and administrator's, not the wall operator's. A refusal comes before
the pattern is even parsed and leaves one ``permission_denied`` record; a granted query leaves one
``plate_query`` record naming the pattern and filters (CJIS-minded centres log plate queries); a query refused
for bad input leaves none (nothing was read).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.plates import LprRead
from c4desk.store.audit_log import AuditLog
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.plate_search import MAX_RECENT, PlateSearch, ReadFilter

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, "ws-03")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, "ws-01")


@pytest.fixture
def search(db: Database) -> PlateSearch:
    CameraRepository(db).upsert_many([Camera(id=c, name=c, lat=41.76, lon=-72.67, kind=CameraKind.LPR)
                                      for c in ("lpr-1", "lpr-2")])
    PlateReadRepository(db).bulk_add(
        LprRead(camera_id=("lpr-1", "lpr-2")[m % 2], plate_raw=plate, read_at=T0 + timedelta(minutes=m), region="CT")
        for m, plate in enumerate(["6PZ193", "6PZ193", "GPZ193", "6PZ193", "AB1234"]))
    return PlateSearch(db)


def records(db: Database) -> list[tuple[str, str, str, str, str, dict[str, Any]]]:
    with db.session() as s:
        return [(r.event_type, r.username, r.workstation, r.object, r.outcome, r.detail)
                for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]


def test_the_wall_operator_is_refused_and_the_refusal_audited(search: PlateSearch, db: Database) -> None:
    with pytest.raises(PermissionDenied, match=r"wally \(wall_operator\) may not search plates"):
        search.search("6PZ*", actor=WALL)
    with pytest.raises(PermissionDenied):
        search.history("6PZ193", actor=WALL, recent=10)
    assert records(db) == [
        ("permission_denied", "wally", "ws-wall", "plates:6PZ*", "failure",
         {"query": "search", "pattern": "6PZ*", "action": "search_plates", "role": "wall_operator"}),
        ("permission_denied", "wally", "ws-wall", "plates:6PZ193", "failure",
         {"query": "history", "pattern": "6PZ193", "action": "search_plates", "role": "wall_operator"}),
    ]


def test_refusal_comes_before_checking_the_pattern(search: PlateSearch, db: Database) -> None:
    """A refused person learns nothing from the answer, not even whether the pattern was good; a pattern of any
    length fits the record (the object column holds 255 characters on PostgreSQL)."""
    with pytest.raises(PermissionDenied):
        search.search("***", actor=WALL)
    with pytest.raises(PermissionDenied):
        search.search("X" * 1000, actor=WALL)
    kept = records(db)
    assert [(r[0], r[3]) for r in kept] == [("permission_denied", "plates:***"),
                                            ("permission_denied", "plates:" + "X" * 64)]


def test_each_granted_query_leaves_one_record(search: PlateSearch, db: Database) -> None:
    where = ReadFilter(since=T0, cameras=("lpr-1",), region="ct")
    found = search.search("PZ19", actor=ANALYST, partial=True, fuzzy=True, where=where, limit=50, offset=0)
    assert [r.plate_norm for r in found] == ["GPZ193", "6PZ193"]
    history = search.history("6pz 193", actor=SUPERVISOR)
    assert history is not None and history.reads == 3 and history.recent == []
    assert records(db) == [
        ("plate_query", "ana", "ws-03", "plates:*PZ19*", "success",
         {"query": "search", "pattern": "PZ19", "kind": "partial", "fuzzy": True, "since": T0.isoformat(),
          "cameras": ["lpr-1"], "region": "CT", "limit": 50, "offset": 0}),
        ("plate_query", "sam", "ws-01", "plates:6PZ193", "success",
         {"query": "history", "pattern": "6PZ193", "kind": "exact", "fuzzy": False}),
    ]
    assert AuditLog(db).verify() == []  # the chain holds with the new records


def test_bad_input_reads_nothing_and_records_nothing(search: PlateSearch, db: Database) -> None:
    with pytest.raises(ValidationError, match="give at least"):
        search.search("A*", actor=ANALYST)
    with pytest.raises(ValidationError, match="limit"):
        search.search("6PZ193", actor=ANALYST, limit=0)
    with pytest.raises(ValidationError, match="until: must be after since"):
        search.search("6PZ193", actor=ANALYST, where=ReadFilter(since=T0, until=T0))
    with pytest.raises(ValidationError, match="not a pattern"):
        search.history("6PZ*", actor=ANALYST)
    with pytest.raises(ValidationError, match=f"recent: must be 0-{MAX_RECENT}"):
        search.history("6PZ193", actor=ANALYST, recent=-1)
    assert records(db) == []


def test_history_with_its_newest_reads_is_one_query(search: PlateSearch, db: Database) -> None:
    """The history view's trail comes with the history, so one look at a plate is one record, not two."""
    history = search.history("6PZ193", actor=ANALYST, recent=2)
    assert history is not None
    assert [(r.plate_norm, r.read_at) for r in history.recent] == [("6PZ193", T0 + timedelta(minutes=3)),
                                                                   ("6PZ193", T0 + timedelta(minutes=1))]
    fuzzy = search.history("6PZ193", actor=ANALYST, fuzzy=True, recent=10)
    assert fuzzy is not None and {r.plate_norm for r in fuzzy.recent} == {"6PZ193", "GPZ193"}
    assert search.history("NEVER1", actor=ANALYST, recent=10) is None
    assert [(r[3], r[5]["query"], r[5].get("recent")) for r in records(db)] == [
        ("plates:6PZ193", "history", 2), ("plates:6PZ193", "history", 10), ("plates:NEVER1", "history", 10)]
