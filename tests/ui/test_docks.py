"""The dock helpers: a dock's to-front action on three docks tabbed together (as cases, review and analytics are),
and a wide panel scrolling inside its dock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QScrollArea
from pytestqt.qtbot import QtBot

from c4desk.ui.docks import scrolled, to_front_action


def window_with_tabbed_docks(qtbot: QtBot) -> tuple[QMainWindow, list[QDockWidget]]:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("wall"))
    docks = []
    for name in ("analytics", "cases", "review"):
        dock = QDockWidget(name, window)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(QLabel(name))
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        docks.append(dock)
    window.tabifyDockWidget(docks[0], docks[1])
    window.tabifyDockWidget(docks[0], docks[2])
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    return window, docks


def is_open(dock: QDockWidget) -> bool:
    return dock.toggleViewAction().isChecked()  # open, whether its tab is in front or not


def in_front(dock: QDockWidget) -> bool:
    return not dock.visibleRegion().isEmpty()  # a tab behind another is still "visible" to Qt, but not seen


def test_the_action_brings_its_dock_to_the_front_and_closes_it_only_there(qtbot: QtBot) -> None:
    _window, (analytics, cases, review) = window_with_tabbed_docks(qtbot)
    action = to_front_action(cases, "Ctrl+Shift+C")
    assert action.shortcut().toString() == "Ctrl+Shift+C"
    analytics.raise_()
    qtbot.waitUntil(lambda: in_front(analytics) and not in_front(cases), timeout=2000)
    # Open but behind another tab: a bare toggle would have closed it; it comes to the front instead.
    action.trigger()
    qtbot.waitUntil(lambda: in_front(cases), timeout=2000)
    assert is_open(cases) and not in_front(analytics)
    # In front: now it closes.
    action.trigger()
    qtbot.waitUntil(lambda: not is_open(cases), timeout=2000)
    assert not cases.isVisible()
    qtbot.waitUntil(lambda: in_front(analytics) or in_front(review), timeout=2000)  # another tab took its place
    # Closed: it opens, in front of the others.
    review.raise_()
    action.trigger()
    qtbot.waitUntil(lambda: in_front(cases), timeout=2000)
    assert is_open(cases) and not in_front(review)


def test_a_wide_panel_scrolls_inside_its_dock(qtbot: QtBot) -> None:
    panel = QLabel("a dashboard wider than a laptop screen")
    panel.setMinimumWidth(2400)
    area = scrolled(panel)
    qtbot.addWidget(area)
    assert isinstance(area, QScrollArea) and area.widget() is panel and area.widgetResizable()
    assert area.minimumSizeHint().width() < 2400  # the dock is not forced to the panel's width
