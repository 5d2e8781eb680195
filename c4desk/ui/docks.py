"""Dock helpers of the main window: a wide panel that scrolls inside its dock, and a dock's show/hide action that
brings it to the front."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area. A wide panel (dashboards, case detail) scrolls inside its dock rather
    than forcing the whole window to its minimum width; on a laptop screen that minimum would push the wall off
    screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def to_front_action(dock: QDockWidget, keys: str) -> QAction:
    """The dock's show/hide action with a shortcut that brings it to the front. Cases, review and analytics share
    one tabbed area: a bare toggle showed a closed dock behind the tab in front (nothing to see), and closed an
    open one that was behind. Now only the dock in front is closed; otherwise it is shown, raised."""
    action = dock.toggleViewAction()
    action.setShortcut(QKeySequence(keys))
    front = {"now": False, "at_press": False}
    dock.visibilityChanged.connect(lambda on: front.__setitem__("now", on))  # also when its tab is (de)selected
    # ``toggled`` comes before ``triggered`` (and before the dock's own slot closes it): note where it was.
    action.toggled.connect(lambda _on: front.__setitem__("at_press", front["now"]))

    def bring_to_front(checked: bool) -> None:
        if checked or not front["at_press"]:
            dock.show()
            dock.raise_()

    action.triggered.connect(bring_to_front)
    return action
