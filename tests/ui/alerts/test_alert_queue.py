"""The alert queue on real Services (SQLite in a temp dir): order, the keyboard workflow, bus updates, attention."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.domain.alerts import AlertStatus
from c4desk.domain.permissions import PERMISSIONS, Action, Actor, Role
from c4desk.hub.services import Services
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.sound import SilentSound
from c4desk.ui.event_bridge import EventBridge
from tests.ui.alerts.conftest import ACTOR, USER, AddAlert, queue_ids

MakeQueue = Callable[[], AlertQueue]
BOB = Actor("bob", Role.ANALYST, "ws-bob")  # another seat


def loaded(qtbot: QtBot, make_queue: MakeQueue, count: int) -> AlertQueue:
    queue = make_queue()
    qtbot.waitUntil(lambda: queue.records.rowCount() == count and queue.current_alert() is not None, timeout=5000)
    return queue


def status_of(services: Services, alert_id: str) -> AlertStatus:
    alert = services.alerts.get(alert_id)
    assert alert is not None
    return alert.status


def test_queue_order_is_open_first_then_priority_then_newest(qtbot: QtBot, make_queue: MakeQueue,
                                                             services: Services, sample: list[str]) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    assert queue_ids(queue) == sample == [a.id for a in services.alerts.queue()]
    # The first alert is selected so the keyboard acts at once; its details are shown.
    assert queue.current_alert() is not None and queue.current_alert().id == "p1-new"  # type: ignore[union-attr]
    assert "Main St & Pearl St" in queue.details.address.text()
    assert queue.details.area.text() == "B-07 / Downtown"
    assert "sensor_count: 6" in queue.details.payload.text()
    model = queue.records
    assert [model.index(0, c).data() for c in (0, 2, 3, 5, 6)] == ["P1", "multiple gunshots", "4", "New", ""]
    assert model.index(0, 1).data().endswith("10 min ago")
    assert model.index(5, 5).data() == "Closed"


def test_keyboard_acknowledge_start_close_with_reason(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                                      sample: list[str]) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    queue.select_alert("p2-old")
    QTest.keyClick(queue.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: status_of(services, "p2-old") is AlertStatus.ACKNOWLEDGED, timeout=5000)
    qtbot.waitUntil(lambda: queue.records.alert("p2-old").status is AlertStatus.ACKNOWLEDGED)  # type: ignore[union-attr]

    QTest.keyClick(queue.table, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: status_of(services, "p2-old") is AlertStatus.IN_PROGRESS, timeout=5000)
    started = services.alerts.get("p2-old")
    assert started is not None and started.assigned_to == USER  # starting takes an unassigned alert
    qtbot.waitUntil(lambda: queue.records.alert("p2-old").assigned_to == USER)  # type: ignore[union-attr]

    QTest.keyClick(queue.table, Qt.Key.Key_X)
    dialog = queue.reason_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()
    QTest.keyClicks(dialog.line, "Fireworks near the park")
    assert dialog.ok_button.isEnabled()
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(services, "p2-old") is AlertStatus.CLOSED, timeout=5000)

    history = services.alerts.history("p2-old")
    assert [(h.actor, dict(h.change).get("status")) for h in history] == [
        (USER, ["new", "acknowledged"]), (USER, ["acknowledged", "in_progress"]), (USER, ["in_progress", "closed"])]
    assert history[-1].change["close_reason"] == [None, "Fireworks near the park"]
    # The closed alert went down among the closed ones; the selection moved on to the next alert in line.
    qtbot.waitUntil(lambda: queue_ids(queue)[-2:] == ["p1-closed", "p2-old"]
                    or queue_ids(queue)[-2:] == ["p2-old", "p1-closed"])
    assert queue.current_alert() is not None and queue.current_alert().id == "p3"  # type: ignore[union-attr]
    # The activity log of a closed alert says who closed it and why.
    queue.select_alert("p2-old")
    qtbot.waitUntil(lambda: any("closed: Fireworks near the park" in line and USER in line
                                for line in queue.details.history_lines()), timeout=5000)
    assert any("started (in progress); took it (analyst1)" in line for line in queue.details.history_lines())


def test_closing_needs_a_reason(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                sample: list[str]) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    queue.select_alert("p3")
    QTest.keyClick(queue.table, Qt.Key.Key_X)
    dialog = queue.reason_dialog
    assert dialog is not None
    QTest.keyClicks(dialog.line, "   ")
    assert not dialog.ok_button.isEnabled()
    QTest.keyClick(dialog.line, Qt.Key.Key_Return)  # Enter must not get round the disabled OK
    assert dialog.isVisible()
    dialog.reject()
    # Called directly with a blank reason, the store refuses and the queue says so on its message line.
    queue.close_with_reason("  ")
    qtbot.waitUntil(lambda: queue.message.text() == "cannot close: reason required", timeout=5000)
    assert queue.message.isVisible()
    assert status_of(services, "p3") is AlertStatus.NEW


def test_refusals_are_shown_inline(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                   sample: list[str]) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    queue.select_alert("p1-closed")
    QTest.keyClick(queue.table, Qt.Key.Key_X)
    assert queue.message.text() == "cannot close: already closed"
    assert queue.reason_dialog is None
    QTest.keyClick(queue.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: queue.message.text() == "cannot acknowledge: already closed", timeout=5000)

    # Another seat acknowledged p1-new (no bus here, so this queue still shows it new): the store refuses
    # and the row is corrected to what the alert now is.
    services.alerts.acknowledge("p1-new", actor=BOB)
    queue.select_alert("p1-new")
    assert queue.records.alert("p1-new").status is AlertStatus.NEW  # type: ignore[union-attr]
    QTest.keyClick(queue.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: queue.message.text() == "cannot acknowledge: already acknowledged", timeout=5000)
    assert queue.records.alert("p1-new").status is AlertStatus.ACKNOWLEDGED  # type: ignore[union-attr]


def test_comment_assign_navigate_and_open(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                          sample: list[str]) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    assert queue.current_alert().id == "p1-new"  # type: ignore[union-attr]
    QTest.keyClick(queue.table, Qt.Key.Key_J)
    assert queue.current_alert().id == "p1-older"  # type: ignore[union-attr]
    QTest.keyClick(queue.table, Qt.Key.Key_Down)
    assert queue.current_alert().id == "p2-recent"  # type: ignore[union-attr]
    QTest.keyClick(queue.table, Qt.Key.Key_K)
    assert queue.current_alert().id == "p1-older"  # type: ignore[union-attr]

    QTest.keyClick(queue.table, Qt.Key.Key_C)
    assert queue.details.comment_edit.hasFocus()
    QTest.keyClicks(queue.details.comment_edit, "Units en route, ETA 2 min")
    with qtbot.assertNotEmitted(queue.open_requested):
        QTest.keyClick(queue.details.comment_edit, Qt.Key.Key_Return)  # Enter in the box saves the comment
        qtbot.waitUntil(lambda: any("commented: Units en route, ETA 2 min" in line
                                    for line in queue.details.history_lines()), timeout=5000)
    assert queue.details.comment_edit.text() == ""
    assert [h.actor for h in services.alerts.history("p1-older")][-1] == USER

    QTest.keyClick(queue.table, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: queue.records.alert("p1-older").assigned_to == USER, timeout=5000)  # type: ignore[union-attr]
    QTest.keyClick(queue.table, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    dialog = queue.assign_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.combo.setEditText("bob")
    dialog.accept()
    qtbot.waitUntil(lambda: queue.records.alert("p1-older").assigned_to == "bob", timeout=5000)  # type: ignore[union-attr]
    assert queue.records.index(queue.records.row_of("p1-older") or 0, 6).data() == "bob"

    with qtbot.waitSignal(queue.open_requested, timeout=2000) as opened:
        QTest.keyClick(queue.table, Qt.Key.Key_Return)
    assert opened.args == ["p1-older"]
    # Tooltips name the keys.
    assert queue.act_acknowledge.toolTip() == "Acknowledge (A)"
    assert queue.act_close.toolTip() == "Close (X)"


def test_bus_alert_lands_in_its_place_and_keeps_the_selection(qtbot: QtBot, make_queue: MakeQueue,
                                                              services: Services, sample: list[str],
                                                              add_alert: AddAlert, bridged: EventBridge) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    bridged.event_received.connect(lambda event: queue.upsert(event.alert))
    queue.select_alert("p2-recent")
    add_alert("p2-newest", 2, 1)  # published as AlertRaised on the bus, through the bridge to the queue
    qtbot.waitUntil(lambda: queue.records.row_of("p2-newest") is not None, timeout=5000)
    assert queue_ids(queue) == ["p1-new", "p1-older", "p2-newest", "p2-recent", "p2-old", "p3", "p1-closed"]
    assert queue.current_alert().id == "p2-recent"  # type: ignore[union-attr]

    # A change made elsewhere (AlertChanged) moves the row and refreshes the details and log shown.
    services.alerts.close("p2-recent", actor=BOB, reason="Duplicate of another alert")
    qtbot.waitUntil(lambda: queue_ids(queue)[-1] == "p2-recent", timeout=5000)
    assert queue.current_alert().id == "p2-recent"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "Closed" in queue.details.title.text(), timeout=5000)
    qtbot.waitUntil(lambda: any("bob  closed: Duplicate of another alert" in line
                                for line in queue.details.history_lines()), timeout=5000)


def test_new_priority_one_alert_asks_for_attention(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                                   sample: list[str], add_alert: AddAlert,
                                                   bridged: EventBridge) -> None:
    queue = loaded(qtbot, make_queue, len(sample))
    assert isinstance(queue.sound, SilentSound)
    bridged.event_received.connect(lambda event: queue.upsert(event.alert))
    with qtbot.assertNotEmitted(queue.attention, wait=200):
        add_alert("p2-quiet", 2, 0.5)
        qtbot.waitUntil(lambda: queue.records.row_of("p2-quiet") is not None, timeout=5000)
    with qtbot.waitSignal(queue.attention, timeout=5000) as raised:
        add_alert("p1-urgent", 1, 0.2)
    assert raised.args == ["p1-urgent"]
    assert queue_ids(queue)[0] == "p1-urgent"
    assert queue.records.is_flashing("p1-urgent")
    assert queue.sound.plays == 1
    # Acknowledging it is no new attention; a later feed update of the same alert neither.
    with qtbot.assertNotEmitted(queue.attention, wait=200):
        services.alerts.acknowledge("p1-urgent", actor=ACTOR)
        qtbot.waitUntil(lambda: queue.records.alert("p1-urgent").status  # type: ignore[union-attr]
                        is AlertStatus.ACKNOWLEDGED, timeout=5000)
    assert queue.sound.plays == 1


def test_reload_does_not_ring_for_a_backlog(qtbot: QtBot, make_queue: MakeQueue, add_alert: AddAlert) -> None:
    add_alert("p1-backlog", 1, 3)
    queue = make_queue()
    with qtbot.assertNotEmitted(queue.attention, wait=300):
        qtbot.waitUntil(lambda: queue.records.rowCount() == 1, timeout=5000)
    assert isinstance(queue.sound, SilentSound) and queue.sound.plays == 0


def test_a_refused_step_is_shown_and_changes_nothing(qtbot: QtBot, make_queue: MakeQueue, services: Services,
                                                     sample: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue acts as its Actor and the store checks the role: with WORK_ALERTS taken from analysts, pressing A
    shows the refusal on the message line (not an exception) and the alert stays as it was."""
    monkeypatch.setitem(PERMISSIONS, Role.ANALYST, PERMISSIONS[Role.ANALYST] - {Action.WORK_ALERTS})
    queue = loaded(qtbot, make_queue, len(sample))
    assert queue.actor == ACTOR and queue.user == USER
    queue.select_alert("p2-old")
    QTest.keyClick(queue.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: queue.message.text() == "cannot acknowledge: analyst1 (analyst) may not work alerts",
                    timeout=5000)
    assert status_of(services, "p2-old") is AlertStatus.NEW and services.alerts.history("p2-old") == []
