"""The analysts' alert workflow on SQLite and PostgreSQL: allowed steps, history, events, the queue, imports, and
who may make them (WORK_ALERTS, refusals audited; the sensor feed cannot make a workflow step)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from c4desk.domain.alerts import AlertStatus, GunshotReport
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import AlertChanged, Event
from c4desk.domain.permissions import PERMISSIONS, Action, Actor, PermissionDenied, Role
from c4desk.store.alerts import AlertNotFound, AlertRepository, AlertWorkflowError
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow

T0 = datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)
SHOT = GunshotReport(id="SST-1", type="single_gunshot", detected_at=T0, lat=41.76412, lon=-72.67405, rounds=1)
ANA = Actor("ana", Role.ANALYST, "ws-ana")
SUP = Actor("sup", Role.SUPERVISOR, "ws-sup")
BOB = Actor("bob", Role.WALL_OPERATOR, "wall")
DEE = Actor("dee", Role.ADMIN, "ws-dee")


@pytest.fixture
def repo(db: Database, bus: EventBus) -> AlertRepository:
    r = AlertRepository(db, bus)
    r.add_or_update_gunshot(SHOT, received_at=T0)
    return r


@pytest.fixture
def events(bus: EventBus) -> list[Event]:
    got: list[Event] = []
    bus.subscribe(Event, got.append)
    return got


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_full_path_records_history_and_publishes(repo: AlertRepository, events: list[Event]) -> None:
    a = repo.acknowledge("SST-1", actor=ANA, at=at(10))
    assert a.status is AlertStatus.ACKNOWLEDGED and a.assigned_to is None
    a = repo.start("SST-1", actor=ANA, at=at(20))
    assert a.status is AlertStatus.IN_PROGRESS and a.assigned_to == "ana"
    a = repo.comment("SST-1", "Camera C12 shows two people running north", actor=ANA, at=at(30))
    a = repo.close("SST-1", actor=ANA, reason="  unit on scene, report 26-1234  ", at=at(40))
    assert a.status is AlertStatus.CLOSED and repo.get("SST-1") == a
    history = [(h.actor, h.at, dict(h.change)) for h in repo.history("SST-1")]
    assert history == [
        ("ana", at(10), {"status": ["new", "acknowledged"]}),
        ("ana", at(20), {"status": ["acknowledged", "in_progress"], "assigned_to": [None, "ana"]}),
        ("ana", at(30), {"comment": [None, "Camera C12 shows two people running north"]}),
        ("ana", at(40), {"status": ["in_progress", "closed"], "close_reason": [None, "unit on scene, report 26-1234"]}),
    ]
    assert [type(e) for e in events] == [AlertChanged] * 4
    last = events[-1]
    assert isinstance(last, AlertChanged) and last.alert == a and last.actor == "ana"
    assert last.changes == history[-1][2]


def test_reopen_goes_back_to_acknowledged(repo: AlertRepository) -> None:
    repo.close("SST-1", actor=ANA, reason="fireworks", at=at(5))  # closing a new alert: allowed
    a = repo.reopen("SST-1", actor=SUP, reason="second report nearby", at=at(60))
    assert a.status is AlertStatus.ACKNOWLEDGED
    assert dict(repo.history("SST-1")[-1].change) == {"status": ["closed", "acknowledged"],
                                                      "reopen_reason": [None, "second report nearby"]}
    assert repo.start("SST-1", actor=BOB).status is AlertStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("steps", "bad_step"),
    [
        (["acknowledge"], "acknowledge"),
        (["start"], "acknowledge"),
        (["start"], "start"),
        ([], "reopen"),
        (["close"], "close"),
        (["close"], "start"),
        (["close"], "acknowledge"),
    ],
)
def test_steps_not_allowed_raise_and_change_nothing(repo: AlertRepository, events: list[Event], steps: list[str],
                                                     bad_step: str) -> None:
    def do(step: str) -> None:
        if step in ("close", "reopen"):
            getattr(repo, step)("SST-1", actor=ANA, reason="r")
        else:
            getattr(repo, step)("SST-1", actor=ANA)

    for step in steps:
        do(step)
    before = (repo.get("SST-1"), len(repo.history("SST-1")), len(events))
    with pytest.raises(AlertWorkflowError) as info:
        do(bad_step)
    assert info.value.step == bad_step and info.value.status is before[0].status  # type: ignore[union-attr]
    assert f"cannot {bad_step} alert SST-1" in str(info.value)
    assert (repo.get("SST-1"), len(repo.history("SST-1")), len(events)) == before


def test_inputs_are_validated(repo: AlertRepository) -> None:
    with pytest.raises(ValidationError) as info:
        repo.close("SST-1", actor=Actor(" ", Role.ANALYST), reason="  ")
    assert [str(e) for e in info.value.errors] == ["actor: required", "reason: required"]
    with pytest.raises(ValidationError):
        repo.reopen("SST-1", actor=ANA, reason="")
    with pytest.raises(ValidationError):
        repo.close("SST-1", actor=ANA, reason="x" * 501)
    with pytest.raises(ValidationError):
        repo.acknowledge("SST-1", actor=Actor("a" * 65, Role.ANALYST))
    with pytest.raises(ValidationError):
        repo.comment("SST-1", "", actor=ANA)
    with pytest.raises(ValidationError):
        repo.assign("SST-1", " ", actor=ANA)
    with pytest.raises(ValueError, match="naive"):
        repo.acknowledge("SST-1", actor=ANA, at=datetime(2026, 7, 4))
    with pytest.raises(AlertNotFound):
        repo.acknowledge("nope", actor=ANA)
    assert repo.history("SST-1") == []


def test_assign_reassign_unassign(repo: AlertRepository, events: list[Event]) -> None:
    assert repo.assign("SST-1", "bob", actor=SUP, at=at(1)).assigned_to == "bob"
    assert repo.assign("SST-1", "bob", actor=SUP, at=at(2)).assigned_to == "bob"  # no-op
    assert repo.assign("SST-1", "cy", actor=SUP, at=at(3)).assigned_to == "cy"
    # start keeps an existing assignee
    assert repo.start("SST-1", actor=DEE, at=at(4)).assigned_to == "cy"
    assert repo.assign("SST-1", None, actor=SUP, at=at(5)).assigned_to is None
    assert [dict(h.change) for h in repo.history("SST-1")] == [
        {"assigned_to": [None, "bob"]}, {"assigned_to": ["bob", "cy"]},
        {"status": ["new", "in_progress"]}, {"assigned_to": ["cy", None]},
    ]
    assert len(events) == 4
    repo.close("SST-1", actor=SUP, reason="done")
    with pytest.raises(AlertWorkflowError, match="closed"):
        repo.assign("SST-1", "bob", actor=SUP)


def test_comments_allowed_when_closed(repo: AlertRepository) -> None:
    repo.close("SST-1", actor=ANA, reason="false alarm")
    a = repo.comment("SST-1", "audio review: a car backfiring", actor=SUP)
    assert a.status is AlertStatus.CLOSED
    assert dict(repo.history("SST-1")[-1].change) == {"comment": [None, "audio review: a car backfiring"]}


def test_feed_update_and_workflow_share_one_history(repo: AlertRepository) -> None:
    repo.acknowledge("SST-1", actor=ANA, at=at(10))
    repo.add_or_update_gunshot(replace(SHOT, type="multiple_gunshots", rounds=5), received_at=at(20), feed="feed")
    a = repo.get("SST-1")
    assert a is not None and a.status is AlertStatus.ACKNOWLEDGED and a.type == "multiple_gunshots"
    assert [h.actor for h in repo.history("SST-1")] == ["ana", "feed"]


def test_the_feed_cannot_make_a_workflow_step(repo: AlertRepository) -> None:
    """Ingest is unguarded machine input, so it must never touch status or assignment: a closed alert stays closed
    and keeps its assignee through a live update and through a history import that would store new ones closed."""
    repo.start("SST-1", actor=ANA, at=at(10))
    repo.close("SST-1", actor=ANA, reason="handled", at=at(20))
    repo.ingest_gunshot(replace(SHOT, rounds=4, payload={"status": "new", "assigned_to": "mallory"}), feed="feed")
    repo.import_gunshots([replace(SHOT, rounds=6)], closed_reason="history")
    repo.add_or_update_gunshot(replace(SHOT, id="OPEN-2"), feed="feed")
    repo.import_gunshots([replace(SHOT, id="OPEN-2", rounds=2)], closed_reason="history")
    closed, still_open = repo.get("SST-1"), repo.get("OPEN-2")
    assert closed is not None and (closed.status, closed.assigned_to, closed.rounds) == (AlertStatus.CLOSED, "ana", 6)
    assert still_open is not None and (still_open.status, still_open.assigned_to) == (AlertStatus.NEW, None)
    feed_entries = repo.history("SST-1")[2:]
    assert [h.actor for h in feed_entries] == ["feed", "import"]
    assert all("rounds" in h.change and not {"status", "assigned_to"} & set(h.change) for h in feed_entries)


def test_a_role_without_work_alerts_is_refused_and_audited(repo: AlertRepository, db: Database,
                                                           events: list[Event],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Every role may work alerts today; the steps still ask the table, so taking the right away refuses them."""
    monkeypatch.setitem(PERMISSIONS, Role.WALL_OPERATOR, PERMISSIONS[Role.WALL_OPERATOR] - {Action.WORK_ALERTS})
    steps: list[Callable[[], object]] = [
        lambda: repo.acknowledge("SST-1", actor=BOB), lambda: repo.start("SST-1", actor=BOB),
        lambda: repo.close("SST-1", actor=BOB, reason="r"), lambda: repo.reopen("SST-1", actor=BOB, reason="r"),
        lambda: repo.assign("SST-1", "bob", actor=BOB), lambda: repo.comment("SST-1", "hello", actor=BOB)]
    for step in steps:
        with pytest.raises(PermissionDenied, match="bob \\(wall_operator\\) may not work alerts"):
            step()
    assert repo.history("SST-1") == [] and events == []
    with db.session() as s:
        denied = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type == "permission_denied")
                           .order_by(AuditEventRow.id)).all()
    assert [(r.username, r.workstation, r.object, r.detail["action"]) for r in denied] == [
        ("bob", "wall", "alert:SST-1", "work_alerts")] * len(steps)
    assert [r.detail["step"] for r in denied] == ["acknowledge", "start", "close", "reopen", "assign", "comment"]
    assert repo.acknowledge("SST-1", actor=ANA).status is AlertStatus.ACKNOWLEDGED  # others are unaffected


def test_ingest_tells_created_updated_unchanged(repo: AlertRepository) -> None:
    assert repo.ingest_gunshot(SHOT).result == "unchanged"
    outcome = repo.ingest_gunshot(replace(SHOT, rounds=3))
    assert outcome.result == "updated" and outcome.changes["rounds"] == [1, 3]
    assert repo.ingest_gunshot(replace(SHOT, id="SST-2")).result == "created"


def test_queue_open_first_then_priority_then_newest(repo: AlertRepository) -> None:
    def add(aid: str, kind: str, minutes: int, rounds: int = 1) -> None:
        repo.add_or_update_gunshot(replace(SHOT, id=aid, type=kind, rounds=rounds,
                                           detected_at=T0 + timedelta(minutes=minutes)))

    add("p2-old", "single_gunshot", 1)
    add("p1-old", "multiple_gunshots", 2, 4)
    add("p3-new", "probable_gunfire", 9)
    add("p2-new", "single_gunshot", 8)
    add("p1-new-closed", "multiple_gunshots", 10, 3)
    add("p1-new", "multiple_gunshots", 7, 3)
    repo.close("p1-new-closed", actor=ANA, reason="handled")
    repo.start("p2-old", actor=ANA)
    assert [a.id for a in repo.queue()] == ["p1-new", "p1-old", "p2-new", "p2-old", "SST-1", "p3-new",
                                            "p1-new-closed"]
    assert [a.id for a in repo.queue(3)] == ["p1-new", "p1-old", "p2-new"]
    assert "p1-new-closed" not in [a.id for a in repo.queue(include_closed=False)]


def test_import_many_closed_as_history_in_one_transaction(repo: AlertRepository, events: list[Event]) -> None:
    reports = [replace(SHOT, id=f"H-{i}", detected_at=T0 - timedelta(days=i)) for i in range(5)]
    summary = repo.import_gunshots([*reports, replace(SHOT, rounds=2)], feed="import", received_at=at(100),
                                   closed_reason="imported history (shots.csv)")
    assert (summary.created, summary.updated, summary.unchanged) == (5, 1, 0)
    assert events == []  # history must not ring the alarm
    h0 = repo.get("H-0")
    assert h0 is not None and h0.status is AlertStatus.CLOSED
    assert dict(repo.history("H-0")[0].change) == {"status": [None, "closed"],
                                                   "close_reason": [None, "imported history (shots.csv)"]}
    existing = repo.get("SST-1")
    assert existing is not None and existing.status is AlertStatus.NEW and existing.rounds == 2
    again = repo.import_gunshots(reports, received_at=at(200))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    opened = repo.import_gunshots([replace(SHOT, id="OPEN-1")])
    assert opened.created == 1 and repo.get("OPEN-1").status is AlertStatus.NEW  # type: ignore[union-attr]


def test_import_is_all_or_nothing(repo: AlertRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    real = AlertRepository._apply_report
    calls = []

    def failing_on_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(AlertRepository, "_apply_report", staticmethod(failing_on_third))
    with pytest.raises(RuntimeError):
        repo.import_gunshots([replace(SHOT, id=f"OK-{i}") for i in range(4)] + [replace(SHOT, rounds=9)])
    assert repo.get("OK-0") is None and repo.get("OK-1") is None
    assert repo.get("SST-1").rounds == 1  # type: ignore[union-attr]


def test_two_seats_acknowledging_at_once(db: Database) -> None:
    """Exactly one wins; the other is told the alert is already acknowledged."""
    AlertRepository(db).add_or_update_gunshot(replace(SHOT, id="RACE"))
    seats = [AlertRepository(db) for _ in range(4)]
    barrier = threading.Barrier(len(seats))
    won: list[str] = []
    lost: list[AlertWorkflowError] = []
    failures: list[BaseException] = []

    def seat(i: int) -> None:
        barrier.wait()
        try:
            seats[i].acknowledge("RACE", actor=Actor(f"analyst{i}", Role.ANALYST))
            won.append(f"analyst{i}")
        except AlertWorkflowError as exc:
            lost.append(exc)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=seat, args=(i,)) for i in range(len(seats))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert len(won) == 1 and len(lost) == len(seats) - 1
    assert all(e.status is AlertStatus.ACKNOWLEDGED for e in lost)
    assert [h.actor for h in AlertRepository(db).history("RACE")] == won
