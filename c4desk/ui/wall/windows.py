"""Views in windows of their own: a detached view (any screen, F11 full screen) and the wall.

``ViewWindow`` is a top-level window holding one LiveGrid; ``WallWindow`` is a borderless full-screen one
with no editing at all, showing whatever is pushed to it as ``WallPush`` events on the bus. Bus handlers
may run on any thread, so the wall listens through an EventBridge (a queued signal onto the GUI thread).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QScreen, QShortcut
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from c4desk.domain.events import WallPush
from c4desk.domain.layouts import Layout, LayoutError, ViewSpec, fitting_layout, preset
from c4desk.ui.event_bridge import EventBridge
from c4desk.ui.wall.live_grid import CameraLookup, LiveGrid
from c4desk.ui.wall.video_view import PlayerFactory

__all__ = ["ViewWindow", "WallWindow", "layout_for_push", "screen_named"]

log = logging.getLogger(__name__)

Subscribe = Callable[[type, Callable[[object], None]], Callable[[], None]]


def screen_named(name: str) -> QScreen | None:
    return next((s for s in QGuiApplication.screens() if s.name() == name), None)


def place_on(window: QWidget, screen: QScreen, *, fullscreen: bool) -> None:
    """Move a top-level window onto ``screen`` (full screen there, or centred in its free area)."""
    if window.isFullScreen():
        window.showNormal()
    handle = window.windowHandle()
    if handle is not None:
        handle.setScreen(screen)
    if fullscreen:
        window.setGeometry(screen.geometry())
        window.showFullScreen()
        return
    free = screen.availableGeometry()
    width, height = min(window.width(), free.width()), min(window.height(), free.height())
    window.setGeometry(free.x() + (free.width() - width) // 2, free.y() + (free.height() - height) // 2,
                       width, height)
    window.show()


def layout_for_push(layout: str, count: int) -> Layout:
    """The layout a WallPush asks for: a preset name, a layout as JSON, or (empty/unknown) one that fits."""
    try:
        if layout.startswith("{"):
            return Layout.from_dict(json.loads(layout))
        if layout:
            return preset(layout)
    except (LayoutError, ValueError) as exc:
        log.warning("wall push with unusable layout %r: %s", layout[:80], exc)
    return fitting_layout(count)


class ViewWindow(QWidget):
    """A view detached into its own top-level window. F11 toggles full screen."""

    closed = Signal(object)  # self

    def __init__(self, player_factory: PlayerFactory, lookup: CameraLookup, title: str = "c4desk view",
                 *, editable: bool = True) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle(title)
        self.setObjectName("ViewWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.grid = LiveGrid(player_factory, parent=self, editable=editable, camera_lookup=lookup)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.grid)
        self.fullscreen_shortcut = QShortcut(QKeySequence("F11"), self, self.toggle_fullscreen)
        self.grid.menu_extender = self._extend_menu
        self.resize(960, 560)

    def _extend_menu(self, menu: QMenu, _tile: object) -> None:
        menu.addSeparator()
        screens = menu.addMenu("Move window to screen")
        for screen in QGuiApplication.screens():
            geo = screen.geometry()
            act = screens.addAction(f"{screen.name()} ({geo.width()}x{geo.height()})")
            act.triggered.connect(lambda _=False, s=screen: self.move_to_screen(s))
        full = menu.addAction("Leave full screen" if self.isFullScreen() else "Full screen")
        full.setShortcut(QKeySequence("F11"))
        full.setShortcutVisibleInContextMenu(True)
        full.triggered.connect(self.toggle_fullscreen)
        menu.addAction("Close window").triggered.connect(self.close)

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def move_to_screen(self, screen: QScreen, *, fullscreen: bool | None = None) -> None:
        place_on(self, screen, fullscreen=self.isFullScreen() if fullscreen is None else fullscreen)

    def state(self) -> dict[str, object]:
        """What save/restore keeps of this window."""
        screen = self.screen()
        return {"geometry": self.saveGeometry(), "screen": screen.name() if screen else "",
                "fullscreen": self.isFullScreen(), "title": self.windowTitle(),
                "view": json.dumps(self.grid.view_spec().as_dict())}

    def restore(self, geometry: QByteArray | bytes | None, screen_name: str, fullscreen: bool) -> None:
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        screen = screen_named(screen_name)
        if fullscreen:
            place_on(self, screen or QGuiApplication.primaryScreen(), fullscreen=True)
        else:
            self.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.grid.close_players()
        self.closed.emit(self)
        super().closeEvent(event)


class WallWindow(QWidget):
    """The video wall: borderless, full screen on its screen, no editing; shows what is pushed to it."""

    pushed = Signal(object)  # the WallPush it just showed
    closed = Signal(object)

    def __init__(self, player_factory: PlayerFactory, lookup: CameraLookup, subscribe: Subscribe,
                 target: str = "wall") -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.target = target
        self.setWindowTitle(f"c4desk wall ({target})")
        self.setObjectName("WallWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.grid = LiveGrid(player_factory, parent=self, editable=False, camera_lookup=lookup,
                             layout=preset("2x2"))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.grid)
        self.last_push: WallPush | None = None
        self.bridge = EventBridge(subscribe, (WallPush,), self)
        self.bridge.event_received.connect(self.on_event)
        self.fullscreen_shortcut = QShortcut(QKeySequence("F11"), self, self.toggle_fullscreen)

    def show_on(self, screen: QScreen | None = None) -> None:
        place_on(self, screen or QGuiApplication.primaryScreen(), fullscreen=True)

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def on_event(self, event: object) -> None:
        if isinstance(event, WallPush) and event.target == self.target:
            self.show_push(event)

    def show_push(self, event: WallPush) -> None:
        ids = [c or None for c in event.camera_ids]
        layout = layout_for_push(event.layout, len(ids))
        self.grid.apply_view(ViewSpec(name="wall", layout=layout, cameras=tuple(ids)))
        self.last_push = event
        self.pushed.emit(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.bridge.close()
        self.grid.close_players()
        self.closed.emit(self)
        super().closeEvent(event)
