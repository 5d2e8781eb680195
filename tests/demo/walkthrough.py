"""A newcomer's hands on the keyboard and mouse, counted and timed (for tests/demo/test_story.py).

Every user action goes through ``Walkthrough``: a key press or a click is one action, typing a field's value is
one action. Keys go where a real keyboard sends them: to the focus widget of the active window (so a shortcut
that only works with the focus somewhere else fails here as it would for the analyst). ``wait`` measures how long
the software takes, after the last action, until the expected state is on screen; each wait is kept with the
limit the story sets for it, or with the reason it is not held to one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionViewItem,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

NO_MODIFIER = Qt.KeyboardModifier.NoModifier


@dataclass(frozen=True)
class Action:
    step: int
    what: str


@dataclass(frozen=True)
class Wait:
    step: int
    what: str
    seconds: float
    limit_s: float | None  # None: not held to the story's limit (``excluded`` says why)
    excluded: str = ""

    @property
    def too_slow(self) -> bool:
        return self.limit_s is not None and self.seconds > self.limit_s


class Walkthrough:
    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.step = 0
        self.actions: list[Action] = []
        self.waits: list[Wait] = []
        self._last_action_at = time.monotonic()
        self.main: QWidget | None = None  # the main window of whoever is logged in

    # -- actions ---------------------------------------------------------------------------------------
    def _acted(self, what: str, started: float) -> None:
        self.actions.append(Action(self.step, what))
        self._last_action_at = started

    def focus(self) -> QWidget:
        """Where the keyboard goes now: the active window's focus widget (else the active window itself)."""
        window = QApplication.activeWindow()
        if window is None and self.main is not None and self.main.isVisible():
            # A desktop's window manager gives the activation back to the window a closed dialog came from; the
            # offscreen platform has no window manager, so the walkthrough does it (not a user action).
            self.main.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is not None, timeout=2000)
            window = QApplication.activeWindow()
        widget = QApplication.focusWidget()
        if widget is not None and (window is None or widget.window() is window):
            return widget
        assert window is not None, "no active window to type into"
        return window

    def key(self, what: str, key: Qt.Key, modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> QWidget:
        target = self.focus()
        started = time.monotonic()
        QTest.keyClick(target, key, modifiers)
        self._acted(what, started)
        return target

    def type(self, what: str, field: QWidget, text: str) -> None:
        """Type ``text`` into ``field``, which must already have the keyboard (else the analyst clicks first)."""
        assert self.focus() is field, f"{what}: the field does not have the keyboard ({self.focus()!r} has)"
        assert not field.visibleRegion().isEmpty(), f"{what}: the field is not on screen"
        started = time.monotonic()
        QTest.keyClicks(field, text)
        self._acted(what, started)

    def click(self, what: str, widget: QWidget, pos: QPoint | None = None, *,
              button: Qt.MouseButton = Qt.MouseButton.LeftButton,
              modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> None:
        # Shown, and not hidden behind anything (a dock tabbed behind another is "visible" but off screen).
        assert widget.isVisible() and not widget.visibleRegion().isEmpty(), f"{what}: {widget!r} is not on screen"
        started = time.monotonic()
        QTest.mouseClick(widget, button, modifiers, pos if pos is not None else widget.rect().center())
        self._acted(what, started)

    def click_row(self, what: str, table: QAbstractItemView, row: int, *,
                  modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> None:
        model = table.model()
        table.scrollTo(model.index(row, 0))
        rect = table.visualRect(model.index(row, 0))
        assert rect.isValid(), f"{what}: row {row} is not shown"
        self.click(what, table.viewport(), rect.center(), modifiers=modifiers)

    def double_click_row(self, what: str, table: QAbstractItemView, row: int) -> None:
        """A double-click on a row (one action: the analyst's "open this")."""
        model = table.model()
        table.scrollTo(model.index(row, 0))
        rect = table.visualRect(model.index(row, 0))
        assert rect.isValid(), f"{what}: row {row} is not shown"
        viewport = table.viewport()
        assert viewport.isVisible() and not viewport.visibleRegion().isEmpty(), f"{what}: the table is not on screen"
        started = time.monotonic()
        # What a mouse sends: press, release, then the second press as a double-click, release (QTest's mouseDClick
        # alone is only the double-click event, which an item view ignores without the press before it).
        left, at = Qt.MouseButton.LeftButton, rect.center()
        QTest.mouseClick(viewport, left, NO_MODIFIER, at)
        QTest.mouseDClick(viewport, left, NO_MODIFIER, at)
        QTest.mouseRelease(viewport, left, NO_MODIFIER, at)
        self._acted(what, started)

    def click_tab(self, what: str, tabs: QTabWidget, page: QWidget) -> None:
        index = tabs.indexOf(page)
        assert index >= 0, f"{what}: no such tab"
        bar = tabs.tabBar()
        self.click(what, bar, bar.tabRect(index).center())

    def choose(self, what: str, combo: QComboBox, text: str) -> None:
        """Open a combo box's list with a click and click the entry ``text`` (two actions)."""
        self.click(f"{what}: open the list", combo)
        view = combo.view()
        self.qtbot.waitUntil(view.isVisible, timeout=2000)
        # A list ignores a release sooner than a double-click interval after it opened (the opening click's own
        # release); a person takes longer than that to find the entry anyway.
        self.qtbot.wait(QApplication.doubleClickInterval() + 50)
        row = combo.findText(text)
        assert row >= 0, f"{what}: no entry {text!r}"
        rect = view.visualRect(view.model().index(row, 0))
        self.click(f"{what}: {text}", view.viewport(), rect.center())
        self.qtbot.waitUntil(lambda: not view.isVisible(), timeout=2000)
        assert combo.currentText() == text, f"{what}: {combo.currentText()!r} chosen"

    def check(self, what: str, items: QListWidget, item: QListWidgetItem) -> None:
        """Click an entry's check box (it must be in view: the analyst does not scroll)."""
        index = items.indexFromItem(item)
        option = QStyleOptionViewItem()
        option.initFrom(items)
        option.rect = items.visualRect(index)
        option.features = QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
        box = items.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, items)
        assert items.viewport().rect().contains(box), f"{what}: not in view"
        before = item.checkState()
        self.click(what, items.viewport(), box.center())
        assert item.checkState() != before, f"{what}: the click did not toggle the box"

    # -- waiting on the software -----------------------------------------------------------------------
    def wait(self, what: str, done: Callable[[], object], *, limit_s: float | None = 1.0, excluded: str = "",
             timeout_s: float = 10.0) -> float:
        """Seconds from the last action until ``done()`` holds (fails after ``timeout_s``)."""
        assert limit_s is not None or excluded, f"{what}: say why this wait has no limit"
        self.qtbot.waitUntil(lambda: bool(done()), timeout=int(timeout_s * 1000))
        seconds = time.monotonic() - self._last_action_at
        self.waits.append(Wait(self.step, what, seconds, limit_s, excluded))
        return seconds

    def note_wait(self, what: str, seconds: float, *, limit_s: float | None = 1.0, excluded: str = "") -> None:
        """A wait measured from something other than the last action (e.g. an alert's arrival)."""
        self.waits.append(Wait(self.step, what, seconds, limit_s, excluded))

    # -- the record ------------------------------------------------------------------------------------
    def count(self, first: int, last: int) -> int:
        return sum(1 for a in self.actions if first <= a.step <= last)

    def report(self) -> str:
        lines = ["User actions:"]
        for n, a in enumerate(self.actions, start=1):
            lines.append(f"  {n:2d}. step {a.step}: {a.what}")
        lines.append("Waits on the software (from the action before, or as stated):")
        for w in self.waits:
            limit = f"limit {w.limit_s:g} s" if w.limit_s is not None else f"not limited: {w.excluded}"
            flag = "  <-- TOO SLOW" if w.too_slow else ""
            lines.append(f"  step {w.step}: {w.seconds:6.3f} s  {w.what}  ({limit}){flag}")
        return "\n".join(lines)


def screenshot(window: QWidget, path: Path) -> Path:
    assert window.grab().save(str(path)), f"could not write {path}"
    return path
