"""The Cases and Review docks in the real main window: Ctrl+N opens a new case from anywhere (the dock comes to
the front), a supervisor's window starts with the review queue in view and an analyst's without it, and bus
events (a clip submitted on another seat or the CLI) reach both panels through the window's bridge."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.config import Paths, Settings
from c4desk.ui.app import build_main_window
from c4desk.ui.main_window import MainWindow
from tests.ui.cases.world import ANALYST, SUPERVISOR, World, at, shoot


def window_for(qtbot: QtBot, world: World, data_dir: Path, actor: object) -> MainWindow:
    window = build_main_window(world.services, Settings(), Paths(data_dir), user=actor)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    return window


def test_ctrl_n_opens_a_new_case_from_anywhere(qtbot: QtBot, world: World, data_dir: Path) -> None:
    window = window_for(qtbot, world, data_dir, ANALYST)
    assert not window.cases_dock.isVisible() and not window.review_dock.isVisible()
    assert window.review_panel.count() == 1  # an analyst has "My clips", no queue
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # window shortcuts need the active window
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.cases_dock.isVisible(), timeout=5000)
    dialog = window.case_panel.dialog
    assert dialog is not None and dialog.isVisible() and dialog.windowTitle() == "New case from this session"
    dialog.reject()
    assert [a.text() for a in window.menuBar().actions()].count("&Cases") == 1


def test_a_supervisor_starts_with_the_queue_and_events_reach_it(qtbot: QtBot, world: World, data_dir: Path,
                                                               dark: None) -> None:
    world.services.cases.create(ANALYST, "26-0412", "shooting", title="Shots fired")
    clip = world.services.clips.tag(ANALYST, "cam01", at(1), at(5), ["vehicle"], case="26-0412")
    window = window_for(qtbot, world, data_dir, SUPERVISOR)
    assert window.review_dock.isVisible()
    queue = window.review_panel.queue
    assert window.review_panel.tabText(0) == "Review queue"
    qtbot.waitUntil(lambda: queue.status.text() == "Nothing waits for review", timeout=5000)
    world.services.clips.submit(ANALYST, clip.id)  # elsewhere: the bus event is all the window hears
    qtbot.waitUntil(lambda: queue.table.records.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: queue.preview.frames_shown >= 1, timeout=8000)
    window.cases_action.trigger()
    window.cases_dock.raise_()
    window.case_panel.open_case("26-0412")
    qtbot.waitUntil(lambda: window.case_panel.table.records.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.case_panel.current_case() is not None, timeout=5000)
    assert window.case_panel.table.selectionModel().selectedRows()[0].row() == 0
    shoot(window, "main-window-cases")


def test_following_with_a_case_open_files_the_trail_in_that_case(qtbot: QtBot, world: World,
                                                                 data_dir: Path) -> None:
    case = world.services.cases.create(ANALYST, "26-0900", "shooting", title="Shots fired")
    window = window_for(qtbot, world, data_dir, ANALYST)
    window.case_panel.open_case(case.number)
    qtbot.waitUntil(lambda: window.case_panel.current_case() is not None, timeout=5000)
    camera = next(c for c in world.services.cameras.list() if c.id == "cam01")
    window.grid.show_cameras([camera])
    window.grid.select(window.grid.tiles[0])
    with qtbot.waitSignal(window.hops.follow_changed, timeout=5000) as started:
        window.hops.follow_action.trigger()  # Ctrl+Shift+F: at once, no question asked
    trail = world.services.trails.get(started.args[0])
    assert trail is not None and trail.case_id == case.id and [s.camera_id for s in trail.steps] == ["cam01"]
    window.hops.stop_follow()
