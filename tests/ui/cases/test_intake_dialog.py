"""New case from this session (Ctrl+N): the draft from what the analyst worked on, then one Enter files it all.

Real services on a temp SQLite file with recorded segments (tests/ui/cases/world.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.ui.cases.intake_dialog import CaseIntakeDialog
from c4desk.ui.cases.session_work import SessionWork, propose
from tests.ui.cases.world import ALERT_ID, ANALYST, PLATE, WALL, World, at, shoot


def session_of(world: World, began: datetime) -> SessionWork:
    work = SessionWork()
    alert = world.services.alerts.get(ALERT_ID)
    assert alert is not None
    work.note_alert(alert, began)
    work.note_trail(world.trail_id, began + timedelta(minutes=1))
    work.note_plate(PLATE.lower(), began + timedelta(minutes=2))
    work.note_plate(PLATE, began + timedelta(minutes=3))  # once
    return work


def test_the_draft_is_what_the_session_worked_on(world: World) -> None:
    older = world.services.clips.tag(ANALYST, "cam02", at(0), at(4))  # tagged before this work began
    began = datetime.now(UTC)
    work = session_of(world, began)
    clip = world.services.clips.tag(ANALYST, "cam01", at(1), at(6))
    trail = world.services.trails.get(world.trail_id)
    assert trail is not None and work.started_at == began
    proposal = propose(work, [trail], [older, clip], now=began + timedelta(minutes=7, seconds=10))
    assert proposal.case_type == "shooting" and proposal.title == "Multiple gunshots, Main St & Pearl St"
    assert [(kind, ref) for kind, ref, _label in proposal.links] == [
        ("alert", ALERT_ID), ("trail", str(world.trail_id)), ("plate", PLATE)]
    assert [(c.id, ticked) for c, ticked in proposal.clips] == [(older.id, False), (clip.id, True)]
    assert proposal.cameras == ("cam01", "cam02")  # the trail's, then the ticked clip's (already in)
    assert proposal.window == (at(1), at(7))  # from the clip's start to the trail's last step
    assert proposal.minutes == 8  # 7 min 10 s, rounded up


def test_enter_files_the_session_as_a_case(qtbot: QtBot, world: World, dark: None) -> None:
    work = session_of(world, datetime.now(UTC) - timedelta(minutes=1))
    clip = world.services.clips.tag(ANALYST, "cam01", at(1), at(6))
    dialog = CaseIntakeDialog(world.services, ANALYST, work)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    assert dialog.number.text() == f"RTCC-{datetime.now().year}-0001" and dialog.number.hasSelectedText()
    assert set(dialog.ticked()) == {("alert", ALERT_ID), ("trail", str(world.trail_id)), ("plate", PLATE),
                                    ("clip", str(clip.id))}
    assert dialog.search_box.isChecked() and dialog.outcome.currentData() == "useful_video"
    assert dialog.submit.isChecked()
    shoot(dialog, "intake")
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    QTest.keyClick(dialog.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    case = world.services.cases.get(dialog.number.text())
    assert case is not None and case.case_type == "shooting"
    (task,) = world.services.cases.tasks(case)
    assert task.camera_ids == ("cam01", "cam02") and task.outcome == "useful_video" and task.minutes_spent >= 1
    assert [c.status for c in world.services.clips.clips_for_case(case)] == ["pending"]


def test_unticking_the_clips_changes_the_search_and_nothing_is_submitted(qtbot: QtBot, world: World) -> None:
    work = session_of(world, datetime.now(UTC) - timedelta(minutes=1))
    world.services.clips.tag(ANALYST, "cam01", at(1), at(6))
    dialog = CaseIntakeDialog(world.services, ANALYST, work)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    clip_item = next(dialog.items.item(i) for i in range(dialog.items.count())
                     if dialog.items.item(i).data(Qt.ItemDataRole.UserRole)[0] == "clip")
    clip_item.setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.submit.isChecked() and not dialog.submit.isEnabled()
    assert dialog.outcome.currentData() == ""  # no clip: the search is logged as still running
    assert dialog.searched.text().startswith("cam01, cam02")  # the trail's cameras remain
    dialog.number.setText("26-0412")  # the agency's number over the centre's
    dialog.on_save()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    case = world.services.cases.get("26-0412")
    assert case is not None and world.services.clips.clips_for_case(case) == []
    assert [t.status for t in world.services.cases.tasks(case)] == ["open"]


def test_a_refused_item_keeps_the_dialog_open_and_stores_nothing(qtbot: QtBot, world: World) -> None:
    work = session_of(world, datetime.now(UTC) - timedelta(minutes=1))
    dialog = CaseIntakeDialog(world.services, ANALYST, work)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    other = world.services.cases.create(ANALYST, "26-1", "robbery")
    world.services.cases.link(ANALYST, other, "trail", world.trail_id)  # meanwhile filed elsewhere: still fine
    dialog.number.setText("26-1")  # taken
    dialog.on_save()
    qtbot.waitUntil(lambda: "already exists" in dialog.status.text(), timeout=5000)
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.save_button.isEnabled()  # fix it, try again
    assert [c.id for c in world.services.cases.list()] == [other.id]
    assert [(link.kind, link.ref) for link in world.services.cases.links(other)] == [("trail", str(world.trail_id))]


def test_a_wall_operator_cannot_open_the_case(qtbot: QtBot, world: World) -> None:
    dialog = CaseIntakeDialog(world.services, WALL, SessionWork())
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "Nothing worked" in dialog.items.item(0).text() if dialog.items.count() else False,
                    timeout=5000)
    assert not dialog.save_button.isEnabled() and "wall_operator" in dialog.save_button.toolTip()


def test_a_centre_number_taken_meanwhile_is_replaced_by_the_next(qtbot: QtBot, world: World) -> None:
    dialog = CaseIntakeDialog(world.services, ANALYST, session_of(world, datetime.now(UTC)))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    first = dialog.number.text()
    world.services.cases.create(ANALYST, first, "other")  # another seat was quicker
    dialog.on_save()
    qtbot.waitUntil(lambda: dialog.number.text() != first, timeout=5000)
    assert dialog.number.text() == first[:-4] + "0002" and "taken meanwhile" in dialog.status.text()
    dialog.on_save()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    assert world.services.cases.get(first[:-4] + "0002") is not None
