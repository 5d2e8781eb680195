"""The Cases panel on real services: open a case from "New case" (Ctrl+N), a refused field named and outlined,
the list's filters done by the repository, and a role that may not change cases seeing the button disabled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.domain.permissions import PermissionDenied
from c4desk.ui.cases import CasePanel, NewCaseDialog
from tests.ui.cases.world import ANALYST, WALL, World, shoot


def panel(qtbot: QtBot, world: World, actor: object = ANALYST) -> CasePanel:
    widget = CasePanel(world.services, actor)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(1400, 600)
    widget.show()
    qtbot.waitUntil(lambda: widget.status.text().endswith("case(s)"), timeout=5000)
    return widget


def new_case(qtbot: QtBot, widget: CasePanel, number: str, title: str = "", lead: str = "") -> NewCaseDialog:
    widget.new_button.click()
    dialog = widget.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.number.setText(number)
    dialog.case_type.setCurrentText("shooting")
    dialog.title.setText(title)
    dialog.lead.setText(lead)
    return dialog


def test_new_case_opens_it_in_the_detail(qtbot: QtBot, world: World, dark: None) -> None:
    widget = panel(qtbot, world)
    assert widget.table.records.rowCount() == 0
    dialog = new_case(qtbot, widget, "26-0412", "Shots fired, Main St & Pearl St", "Det. Ruiz")
    shoot(dialog, "new-case")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: widget.current_case() is not None, timeout=5000)
    case = widget.current_case()
    assert case is not None and case.number == "26-0412" and case.created_by == "ana"
    assert world.services.cases.get("26-0412") == case
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 1, timeout=5000)
    assert widget.table.selectionModel().selectedRows()[0].row() == 0
    assert "26-0412" in widget.detail.heading.text()
    assert "video component: <b>no</b>" in widget.detail.video.text()
    shoot(widget, "panel-new-case")


def test_a_duplicate_number_is_named_and_nothing_is_stored(qtbot: QtBot, world: World) -> None:
    world.services.cases.create(ANALYST, "26-0412", "shooting")
    widget = panel(qtbot, world)
    dialog = new_case(qtbot, widget, "26-0412", "Again")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.is_error, timeout=5000)
    assert dialog.status.text() == "number: case 26-0412 already exists"
    assert "border" in dialog.number.styleSheet() and dialog.number.toolTip() == "case 26-0412 already exists"
    assert dialog.isVisible() and dialog.save_button.isEnabled()  # nothing typed is lost
    assert [c.title for c in world.services.cases.list()] == [""]
    dialog.number.setText("")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text() == "number: required", timeout=5000)
    shoot(dialog, "new-case-refused")


def test_ctrl_n_opens_the_new_case_dialog(qtbot: QtBot, world: World) -> None:
    widget = panel(qtbot, world)
    widget.table.setFocus()
    QTest.keyClick(widget.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert widget.dialog is not None and widget.dialog.isVisible()
    assert widget.dialog.windowTitle() == "New case"


def test_filters_are_the_repositorys(qtbot: QtBot, world: World) -> None:
    cases = world.services.cases
    cases.create(ANALYST, "26-0001", "robbery", title="Bank on Main")
    cases.create(ANALYST, "26-0002", "shooting", title="Park St")
    cases.create(ANALYST, "26-0003", "shooting", title="Closed one")
    cases.set_status(ANALYST, "26-0003", "closed")
    widget = panel(qtbot, world)
    def numbers() -> list[str]:
        return [widget.table.records.record(i).case.number for i in range(widget.table.records.rowCount())]

    qtbot.waitUntil(lambda: numbers() == ["26-0002", "26-0001"], timeout=5000)  # open ones, newest first
    widget.status_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: numbers() == ["26-0003", "26-0002", "26-0001"], timeout=5000)
    widget.type_filter.setCurrentIndex(widget.type_filter.findData("shooting"))
    qtbot.waitUntil(lambda: numbers() == ["26-0003", "26-0002"], timeout=5000)
    widget.text.setText("park")
    qtbot.waitUntil(lambda: numbers() == ["26-0002"], timeout=5000)


def test_a_wall_operator_sees_new_case_disabled_and_the_service_refuses(qtbot: QtBot, world: World) -> None:
    widget = panel(qtbot, world, WALL)
    assert not widget.new_button.isEnabled()
    assert widget.new_button.toolTip() == "Your role (wall_operator) may not change cases"
    widget.on_new_case()  # Ctrl+N does nothing either
    assert widget.dialog is None
    with pytest.raises(PermissionDenied):
        world.services.cases.create(WALL, "26-0999", "shooting")
    # A dialog opened anyway (a role changed meanwhile) shows the refusal instead of crashing.
    dialog = NewCaseDialog(world.services.cases, WALL)
    qtbot.addWidget(dialog)
    dialog.number.setText("26-0999")
    dialog.on_save()
    qtbot.waitUntil(lambda: dialog.status.is_error, timeout=5000)
    assert dialog.status.text() == "Not allowed: wally (wall_operator) may not edit cases"
