"""The RMS case import on SQLite and PostgreSQL: create, update by number, unchanged, one audit record per import,
permission refused and audited, and all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.case_history import CaseHistoryRepository, HistoricCase
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, CaseRow

SUP = Actor("sue", Role.SUPERVISOR, "ws2")


def case(number: str, **kw: object) -> HistoricCase:
    values: dict[str, object] = {"case_type": "shooting", "opened_at": datetime(2025, 3, 1, tzinfo=UTC),
                                 "status": "open"}
    values.update(kw)
    return HistoricCase(number=number, **values)  # type: ignore[arg-type]


def rows(db: Database) -> dict[str, CaseRow]:
    with db.session() as s:
        return {r.number: r for r in s.scalars(select(CaseRow))}


def test_import_creates_then_updates_by_number(db: Database) -> None:
    repo = CaseHistoryRepository(db)
    first = [case("R-1", video_component=True), case("R-2", case_type="Robbery", excluded_reason="unfounded")]
    assert repo.import_cases(first, actor=SUP, source="rms-2025.csv").__dict__ == {"created": 2, "updated": 0,
                                                                                   "unchanged": 0}
    with db.session(write=True) as s:  # a case made here, later found in the RMS export
        s.add(CaseRow(number="L-9", title="Pearl St shooting", case_type="shooting", created_by="ana",
                      opened_at=datetime(2025, 4, 1, tzinfo=UTC)))
    cleared = datetime(2025, 5, 1, tzinfo=UTC)
    second = [case("R-1", video_component=True), case("R-2", case_type="robbery", excluded_reason="unfounded"),
              case("L-9", status="cleared", cleared_at=cleared, opened_at=datetime(2025, 4, 1, tzinfo=UTC))]
    summary = repo.import_cases(second, actor=SUP, source="rms-2025b.csv")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    stored = rows(db)
    assert stored["R-1"].origin == "rms" and stored["R-1"].video_component is True
    assert stored["R-1"].created_by == "sue" and stored["R-2"].case_type == "robbery"
    assert stored["L-9"].origin == "local" and stored["L-9"].title == "Pearl St shooting"  # kept
    assert stored["L-9"].status == "cleared" and stored["L-9"].cleared_at == cleared
    with db.session() as s:
        audit = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()
    assert [(a.event_type, a.object, a.detail["created"], a.detail["updated"], a.detail["unchanged"]) for a in audit] \
        == [("case_change", "cases:import:rms-2025.csv", ["R-1", "R-2"], [], 0),
            ("case_change", "cases:import:rms-2025b.csv", [], ["L-9"], 2)]


def test_import_needs_import_cases(db: Database) -> None:
    with pytest.raises(PermissionDenied):
        CaseHistoryRepository(db).import_cases([case("R-1")], actor=Actor("ana", Role.ANALYST), source="x.csv")
    assert rows(db) == {}
    with db.session() as s:
        denied = s.scalars(select(AuditEventRow)).one()
    assert (denied.event_type, denied.outcome, denied.detail["action"]) == ("permission_denied", "failure",
                                                                            "import_cases")


def test_a_repeated_number_stores_nothing(db: Database) -> None:
    with pytest.raises(ValidationError, match="R-1 appears twice"):
        CaseHistoryRepository(db).import_cases([case("R-1"), case("R-2"), case("R-1")], actor=SUP)
    assert rows(db) == {}


def test_historic_case_checks() -> None:
    with pytest.raises(ValidationError) as err:
        HistoricCase(number="", case_type="", opened_at=datetime(2025, 1, 2), status="solved",
                     cleared_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert {e.field for e in err.value.errors} == {"number", "type", "status", "opened_at"}
    with pytest.raises(ValidationError) as err:
        case("R", cleared_at=datetime(2025, 2, 1, tzinfo=UTC))
    assert [str(e) for e in err.value.errors] == ["cleared_at: is before opened_at",
                                                  "cleared_at: is set but status is open"]
