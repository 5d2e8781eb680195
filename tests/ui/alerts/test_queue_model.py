"""The queue model alone: order kept on every upsert, moves that keep the selection, the limit, attention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.ui.alerts.queue_model import COL_DETECTED, AlertQueueModel, queue_key

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


def alert(alert_id: str, priority: int, minutes: float, status: AlertStatus = AlertStatus.NEW) -> Alert:
    at = T0 + timedelta(minutes=minutes)
    return Alert(id=alert_id, source="gunshot", type="single_gunshot", priority=priority, status=status,
                 detected_at=at, received_at=at, lat=41.76, lon=-72.67)


def ids(model: AlertQueueModel) -> list[str]:
    return [a.id for a in model.alerts()]


def test_model_passes_the_model_tester_through_upserts_and_reloads(qtmodeltester: ModelTester) -> None:
    model = AlertQueueModel(now=lambda: T0 + timedelta(hours=1))
    qtmodeltester.check(model, force_py=True)  # type: ignore[no-untyped-call]
    model.set_records([alert("a", 2, 0), alert("b", 1, 1)])
    model.upsert(alert("c", 3, 2))
    model.upsert(alert("a", 2, 0, AlertStatus.CLOSED))
    model.upsert(alert("d", 1, 5))
    model.refresh_ages()
    qtmodeltester.check(model, force_py=True)  # type: ignore[no-untyped-call]


def test_upserts_keep_queue_order(qtbot: QtBot) -> None:
    model = AlertQueueModel()
    records = [alert("p2", 2, 0), alert("p1", 1, 0), alert("p1-late", 1, 9), alert("p3", 3, 1),
               alert("closed", 1, 20, AlertStatus.CLOSED)]
    model.set_records(records)
    assert ids(model) == ["p1-late", "p1", "p2", "p3", "closed"]
    model.upsert(alert("p2-late", 2, 5))
    assert ids(model) == ["p1-late", "p1", "p2-late", "p2", "p3", "closed"]
    model.upsert(alert("p1", 1, 0, AlertStatus.CLOSED))  # closing moves it among the closed ones
    assert ids(model) == ["p1-late", "p2-late", "p2", "p3", "closed", "p1"]
    model.upsert(replace(alert("p3", 1, 1), type="multiple_gunshots"))  # an escalation moves it up
    assert ids(model) == ["p1-late", "p3", "p2-late", "p2", "closed", "p1"]
    assert [queue_key(a) for a in model.alerts()] == sorted(queue_key(a) for a in model.alerts())


def test_a_moved_alert_keeps_its_selection(qtbot: QtBot) -> None:
    model = AlertQueueModel()
    model.set_records([alert("a", 1, 3), alert("b", 2, 2), alert("c", 2, 1)])
    selection = QItemSelectionModel(model)
    selection.select(model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
    model.upsert(alert("a", 1, 3, AlertStatus.CLOSED))
    assert ids(model) == ["b", "c", "a"]
    assert [i.row() for i in selection.selectedRows()] == [2]


def test_limit_drops_the_tail(qtbot: QtBot) -> None:
    model = AlertQueueModel(limit=3)
    model.set_records([alert(f"a{i}", 2, i) for i in range(5)])
    assert ids(model) == ["a4", "a3", "a2"]
    model.upsert(alert("urgent", 1, 0))
    assert ids(model) == ["urgent", "a4", "a3"]
    model.upsert(alert("old", 3, 0))  # would land past the end: not kept
    assert ids(model) == ["urgent", "a4", "a3"]


def test_urgent_only_when_an_alert_becomes_new_priority_one(qtbot: QtBot) -> None:
    model = AlertQueueModel()
    seen: list[str] = []
    model.urgent.connect(seen.append)
    model.set_records([alert("backlog", 1, 0)])  # a reload never rings
    model.upsert(alert("p2", 2, 1))
    model.upsert(alert("p1", 1, 2))
    model.upsert(alert("p1", 1, 3))  # an update of one already urgent
    model.upsert(alert("p2", 1, 1))  # escalated while still new
    model.upsert(alert("ack", 1, 4, AlertStatus.ACKNOWLEDGED))
    assert seen == ["p1", "p2"]


def test_reload_snapshot_does_not_undo_newer_upserts(qtbot: QtBot) -> None:
    model = AlertQueueModel()
    model.set_records([alert("a", 2, 0)])
    model.begin_reload()
    model.upsert(alert("a", 2, 0, AlertStatus.CLOSED))
    model.upsert(alert("b", 1, 1))
    model.finish_reload([alert("a", 2, 0)])  # read before the close was committed
    assert ids(model) == ["b", "a"]
    assert model.alert("a").status is AlertStatus.CLOSED  # type: ignore[union-attr]


def test_flash_blinks_the_background_then_stops(qtbot: QtBot) -> None:
    model = AlertQueueModel()
    model.set_records([alert("p1", 1, 0), alert("p2", 2, 0)])
    model.flash("p1", ms=300)
    assert model.is_flashing("p1")
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    qtbot.waitUntil(lambda: not model.is_flashing("p1"), timeout=3000)
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None  # a P2 is never tinted


def test_ages_follow_the_clock(qtbot: QtBot) -> None:
    clock = [T0 + timedelta(seconds=5)]
    model = AlertQueueModel(now=lambda: clock[0])
    model.set_records([alert("a", 2, 0)])
    assert model.index(0, COL_DETECTED).data().endswith("just now")
    clock[0] = T0 + timedelta(minutes=2, seconds=10)
    with qtbot.waitSignal(model.dataChanged):
        model.refresh_ages()
    assert model.index(0, COL_DETECTED).data().endswith("2 min ago")
