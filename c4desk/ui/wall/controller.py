"""The wall's controller: every view a seat shows (the main grid, detached windows, the wall), the actions
and menus that drive them, saved views and favourites, pushes to the wall, snapshots, save/restore.

The main window makes one ``WallController`` around its central LiveGrid, puts ``populate_menu`` into a
menu, feeds it the camera list with ``set_cameras`` and hands it a QSettings group to save and restore;
see the module ``c4desk.ui.wall`` for the wiring. Store work (views, snapshots) runs off the GUI thread.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSettings, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.events import WallPush
from c4desk.domain.layouts import PRESETS, LayoutError, SavedView, ViewSpec
from c4desk.domain.permissions import Action, Actor, PermissionDenied, allowed
from c4desk.media.playback import PlaybackPlayer
from c4desk.store.bus import EventBus
from c4desk.store.snapshots import Snapshot, SnapshotRepository
from c4desk.store.views import ViewRepository
from c4desk.ui.background import run_in_background
from c4desk.ui.wall.dialogs import CycleDialog, SaveViewDialog
from c4desk.ui.wall.layout_editor import LayoutEditor
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.video_view import PlayerFactory, VideoView
from c4desk.ui.wall.windows import ViewWindow, WallWindow, screen_named

__all__ = ["WallController", "png_bytes"]

log = logging.getLogger(__name__)

DEFAULT_DWELL_S = 10.0


def png_bytes(image: QImage) -> bytes:
    """Encode a QImage as PNG (safe on any thread: QImage and QBuffer are reentrant)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stub says bytes, but only str works at run time (bytes raises "wrong argument values").
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise OSError("could not encode the snapshot as PNG")
    buffer.close()
    return bytes(data.data())


def _spec_from_json(raw: object, name: str = "current") -> ViewSpec | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return ViewSpec.from_dict(name, json.loads(raw))
    except (LayoutError, ValueError, TypeError) as exc:
        log.warning("saved wall state unusable: %s", exc)
        return None


def _still_refusal(actor: Actor) -> str:
    """Why this user may not take a still (the status bar's line, the action's tooltip)."""
    return (f"Snapshot not allowed: {actor.username} ({actor.role.value.replace('_', ' ')}) may not take stills; "
            "a still is evidence, and marking evidence needs the tag_clips right")


def _as_bool(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class WallController(QObject):
    message = Signal(str)  # something for the status bar
    snapshot_saved = Signal(object)  # Snapshot
    views_loaded = Signal(list)  # list[SavedView] visible to the user
    window_opened = Signal(object)  # a detached ViewWindow or the WallWindow, just made (playback attaches to it)

    def __init__(self, grid: LiveGrid, player_factory: PlayerFactory, *, bus: EventBus, user: str,
                 window: QWidget, views: ViewRepository | None = None,
                 snapshots: SnapshotRepository | None = None, dwell_s: float = DEFAULT_DWELL_S,
                 favourite_modifier: str = "Ctrl", actor: Actor | None = None) -> None:
        """``favourite_modifier``: favourites are <modifier>+1..9 (Ctrl by default). ``actor``: who is logged in;
        stills are taken as them (the store checks TAG_CLIPS); without one, no still is taken."""
        super().__init__(window)
        self._fav_mod = favourite_modifier
        self.grid = grid
        self._factory = player_factory
        self._bus = bus
        self._user = user
        self._window = window
        self._views = views
        self._snapshots = snapshots
        self._actor = actor
        self._dwell_s = dwell_s
        self._cameras: dict[str, Camera] = {}
        self.windows: list[ViewWindow] = []
        self.wall: WallWindow | None = None
        self.saved_views: list[SavedView] = []
        self.favourites: dict[int, SavedView] = {}
        self._closed = False
        grid.set_camera_lookup(self.camera)
        self._wire_grid(grid, detachable=True)
        self._build_actions()
        self.reload_views()

    # -- cameras --------------------------------------------------------------------------------------
    def camera(self, camera_id: str) -> Camera | None:
        return self._cameras.get(camera_id)

    def set_cameras(self, cameras: Sequence[Camera]) -> None:
        """The seat's camera list (re)loaded: every view fills in cameras it was waiting for."""
        self._cameras = {c.id: c for c in cameras}
        for grid in self.grids():
            grid.refresh_cameras()

    def grids(self) -> list[LiveGrid]:
        out = [self.grid, *(w.grid for w in self.windows)]
        if self.wall is not None:
            out.append(self.wall.grid)
        return out

    def active_grid(self) -> LiveGrid:
        """The grid of the window the user works in (a detached view when it is active)."""
        active = QApplication.activeWindow()
        for w in self.windows:
            if w is active:
                return w.grid
        if self.wall is not None and self.wall is active:
            return self.wall.grid
        return self.grid

    # -- actions and menus ----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        win = self._window

        def action(text: str, slot: Callable[[], object], shortcut: str = "") -> QAction:
            act = QAction(text, win)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            win.addAction(act)  # shortcuts work whether or not the menu is in a menu bar
            return act

        self.layout_group = QActionGroup(self)
        self.layout_actions: list[QAction] = []
        for name, layout in PRESETS.items():
            act = QAction(name, win)
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, lay=layout: self.active_grid().set_layout(lay))
            self.layout_group.addAction(act)
            self.layout_actions.append(act)
        self.custom_layout_action = action("Custom layout...", lambda: self.edit_layout(self.active_grid()))
        self.save_view_action = action("Save view...", lambda: self.ask_save_view(self.active_grid()),
                                       "Ctrl+Shift+S")
        self.cycle_action = action("Cycle cameras...", lambda: self.ask_cycle(self.active_grid()))
        self.stop_cycle_action = action("Stop cycling", lambda: self.active_grid().stop_cycle())
        self.detach_action = action("Detach view to a window", lambda: self.detach(), "Ctrl+Shift+D")
        self.push_view_action = action("Push view to wall", lambda: self.active_grid().push_view(), "Ctrl+Shift+W")
        self.snapshot_action = action("Snapshot selected tile", self._snapshot_selected, "Ctrl+Shift+P")
        if self._actor is not None and not allowed(self._actor.role, Action.TAG_CLIPS):
            # Mirrors the table only; the store refuses (and audits) a still asked for any other way.
            self.snapshot_action.setEnabled(False)
            self.snapshot_action.setToolTip(_still_refusal(self._actor))
        self.close_wall_action = action("Leave wall mode", self.close_wall)
        self.favourite_actions: list[QAction] = []
        for slot in range(1, 10):
            act = action(f"Favourite {slot}", self._favourite_slot(slot), f"{self._fav_mod}+{slot}")
            act.setEnabled(False)
            self.favourite_actions.append(act)

    def _favourite_slot(self, slot: int) -> Callable[[], object]:
        return lambda: self.apply_favourite(slot)

    def populate_menu(self, menu: QMenu) -> None:
        """Fill a menu (the main window's "Wall" menu) with every wall action."""
        layouts = menu.addMenu("Layout")
        layouts.addActions(self.layout_actions)
        layouts.addSeparator()
        layouts.addAction(self.custom_layout_action)
        layouts.aboutToShow.connect(self._check_layout_action)
        views = menu.addMenu("Views")
        views.aboutToShow.connect(lambda: self._fill_views_menu(views))
        menu.addAction(self.save_view_action)
        favourites = menu.addMenu("Favourite views")
        favourites.addActions(self.favourite_actions)
        menu.addSeparator()
        menu.addAction(self.cycle_action)
        menu.addAction(self.stop_cycle_action)
        menu.addSeparator()
        menu.addAction(self.detach_action)
        wall = menu.addMenu("Wall mode on screen")
        wall.aboutToShow.connect(lambda: self._fill_screens_menu(wall, self.open_wall))
        menu.addAction(self.close_wall_action)
        menu.addAction(self.push_view_action)
        menu.addSeparator()
        menu.addAction(self.snapshot_action)

    def _check_layout_action(self) -> None:
        current = self.active_grid().grid_layout
        for act, layout in zip(self.layout_actions, PRESETS.values(), strict=True):
            act.setChecked(layout == current)

    def _fill_views_menu(self, menu: QMenu) -> None:
        menu.clear()
        if not self.saved_views:
            menu.addAction("(no saved views)").setEnabled(False)
        for view in self.saved_views:
            owner = "" if view.owner == self._user else f" (shared by {view.owner})"
            fav = f"\t{self._fav_mod}+{view.spec.favourite}" if view.spec.favourite and view.owner == self._user else ""
            menu.addAction(f"{view.name}{owner}{fav}").triggered.connect(
                lambda _=False, v=view: self.load_view(v))
        own = [v for v in self.saved_views if v.owner == self._user]
        if own:
            menu.addSeparator()
            delete = menu.addMenu("Delete view")
            for view in own:
                delete.addAction(view.name).triggered.connect(lambda _=False, v=view: self.delete_view(v))

    def _fill_screens_menu(self, menu: QMenu, open_on: Callable[[Any], object]) -> None:
        menu.clear()
        for screen in QGuiApplication.screens():
            geo = screen.geometry()
            menu.addAction(f"{screen.name()} ({geo.width()}x{geo.height()})").triggered.connect(
                lambda _=False, s=screen: open_on(s))

    def _wire_grid(self, grid: LiveGrid, *, detachable: bool) -> None:
        grid.push_requested.connect(self.push)
        grid.snapshot_requested.connect(self.take_snapshot)
        grid.edit_layout_requested.connect(lambda g=grid: self.edit_layout(g))
        if detachable:
            grid.detach_requested.connect(lambda: self.detach())

    # -- views ----------------------------------------------------------------------------------------
    def reload_views(self) -> None:
        repo, user = self._views, self._user
        if repo is None:
            return

        def done(views: object) -> None:
            if self._closed or not isinstance(views, list):
                return
            self.saved_views = views
            self.favourites = {}
            for view in views:  # own views come first, so they win a slot
                slot = view.spec.favourite
                if slot is not None and slot not in self.favourites:
                    self.favourites[slot] = view
            for slot, act in enumerate(self.favourite_actions, start=1):
                view = self.favourites.get(slot)
                act.setEnabled(view is not None)
                act.setText(f"{slot}: {view.name}" if view else f"Favourite {slot}")
            self.views_loaded.emit(views)

        run_in_background(lambda: repo.list_for(user), done, self._report("Loading views failed"))

    def save_view(self, name: str, *, shared: bool = False, favourite: int | None = None,
                  grid: LiveGrid | None = None, on_saved: Callable[[SavedView], None] | None = None) -> None:
        repo = self._views
        if repo is None:
            self.message.emit("Views cannot be saved here (no database)")
            return
        source = grid or self.active_grid()
        base = source.view_spec(name)
        spec = ViewSpec(name=name, layout=base.layout, cameras=base.cameras, cycle=base.cycle,
                        dwell_s=base.dwell_s, favourite=favourite)
        user = self._user

        def done(view: object) -> None:
            self.message.emit(f"View '{name}' saved" + (f" as {self._fav_mod}+{favourite}" if favourite else ""))
            self.reload_views()
            if on_saved is not None and isinstance(view, SavedView):
                on_saved(view)

        run_in_background(lambda: repo.save(user, spec, shared=shared), done, self._report("Saving the view failed"))

    def ask_save_view(self, grid: LiveGrid) -> None:
        dialog = SaveViewDialog(parent=self._window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            name, shared, slot = dialog.values
            self.save_view(name, shared=shared, favourite=slot, grid=grid)

    def load_view(self, view: SavedView, grid: LiveGrid | None = None) -> None:
        (grid or self.active_grid()).apply_view(view.spec)
        self.message.emit(f"View '{view.name}'")

    def apply_favourite(self, slot: int, grid: LiveGrid | None = None) -> bool:
        view = self.favourites.get(slot)
        if view is None:
            self.message.emit(f"No favourite view on {self._fav_mod}+{slot}")
            return False
        self.load_view(view, grid)
        return True

    def delete_view(self, view: SavedView) -> None:
        repo, user = self._views, self._user
        if repo is not None:
            run_in_background(lambda: repo.delete(user, view.id), lambda _r: self.reload_views(),
                              self._report("Deleting the view failed"))

    def edit_layout(self, grid: LiveGrid) -> None:
        editor = LayoutEditor(grid.grid_layout, self._window)
        if editor.exec() == QDialog.DialogCode.Accepted:
            grid.set_layout(editor.result_layout)

    def ask_cycle(self, grid: LiveGrid) -> None:
        cameras = sorted(self._cameras.values(), key=lambda c: c.name.lower())
        chosen = grid.cycle or [c for c in grid.cameras() if c]
        dialog = CycleDialog(cameras, chosen, grid.cycle_dwell_s if grid.cycle else self._dwell_s, self._window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            ids, dwell = dialog.values
            if ids:
                grid.start_cycle(ids, dwell)
            else:
                grid.stop_cycle()

    # -- windows and the wall -------------------------------------------------------------------------
    def detach(self, spec: ViewSpec | None = None, *, screen: Any = None, show: bool = True) -> ViewWindow:
        """A new window showing ``spec`` (default: a copy of the active view)."""
        window = ViewWindow(self._factory, self.camera, f"c4desk view {len(self.windows) + 1} - {self._user}")
        self.windows.append(window)
        self._wire_grid(window.grid, detachable=False)
        for slot in range(1, 10):
            QShortcut(QKeySequence(f"{self._fav_mod}+{slot}"), window,
                      lambda s=slot, g=window.grid: self.apply_favourite(s, g))
        QShortcut(QKeySequence("Ctrl+Shift+S"), window, lambda g=window.grid: self.ask_save_view(g))
        window.closed.connect(self._on_window_closed)
        window.grid.apply_view(spec or self.active_grid().view_spec())
        self.window_opened.emit(window)
        if show:
            if screen is not None:
                window.move_to_screen(screen, fullscreen=False)
            else:
                window.show()
        return window

    def _on_window_closed(self, window: object) -> None:
        if window in self.windows:
            self.windows.remove(window)

    def open_wall(self, screen: Any = None) -> WallWindow:
        """Wall mode: the borderless full-screen wall on ``screen`` (default: the primary one)."""
        if self.wall is None:
            self.wall = WallWindow(self._factory, self.camera, self._bus.subscribe)
            self.wall.closed.connect(self._on_wall_closed)
            self.window_opened.emit(self.wall)
        self.wall.show_on(screen)
        return self.wall

    def close_wall(self) -> None:
        if self.wall is not None:
            self.wall.close()

    def _on_wall_closed(self, _wall: object) -> None:
        self.wall = None

    def push(self, camera_ids: tuple[str, ...], layout: str = "") -> None:
        """Ask the wall (of any seat) to show cameras: a WallPush on the bus."""
        if not any(camera_ids):
            return
        self._bus.publish(WallPush(camera_ids=tuple(camera_ids), target="wall", layout=layout,
                                   pushed_by=self._user))
        shown = sum(1 for c in camera_ids if c)
        self.message.emit(f"Pushed {shown} camera(s) to the wall")

    # -- snapshots ------------------------------------------------------------------------------------
    def _snapshot_selected(self) -> None:
        tile = self.active_grid().selected_tile
        if tile is None:
            self.message.emit("Select a tile to take a snapshot")
            return
        self.take_snapshot(tile)

    def take_snapshot(self, tile: VideoView, on_saved: Callable[[Snapshot], None] | None = None) -> bool:
        """Store the tile's current picture as a PNG with camera, UTC time and SHA-256 (off the GUI thread)."""
        camera, shot, repo, actor = tile.camera, tile.snapshot_image(), self._snapshots, self._actor
        if repo is None:
            self.message.emit("Snapshots cannot be stored here (no database)")
            return False
        if actor is None:
            self.message.emit("Snapshots need a logged-in user")
            return False
        if camera is None or shot is None:
            self.message.emit("No live picture to take a snapshot of")
            return False
        image, received = shot
        taken_at = datetime.now(UTC) - timedelta(seconds=max(0.0, time.monotonic() - received))
        frame = tile.current_frame
        if isinstance(tile.player, PlaybackPlayer) and frame is not None and frame.pts_s is not None:
            taken_at = datetime.fromtimestamp(frame.pts_s, UTC)  # a recorded picture: when it was recorded
        stream = tile.stream

        def work() -> Snapshot:
            return repo.save(actor, png_bytes(image), camera_id=camera.id, camera_name=camera.name,
                             width=image.width(), height=image.height(), taken_at=taken_at, stream=stream)

        def done(snap: object) -> None:
            if isinstance(snap, Snapshot):
                self.message.emit(f"Snapshot of {camera.name} saved (SHA-256 {snap.sha256[:12]}...)")
                self.snapshot_saved.emit(snap)
                if on_saved is not None:
                    on_saved(snap)

        failed = self._report("Snapshot failed")

        def refused_or_failed(exc: BaseException) -> None:
            if isinstance(exc, PermissionDenied):
                log.info("snapshot refused: %s", exc)
                if not self._closed:
                    self.message.emit(_still_refusal(exc.actor))
            else:
                failed(exc)

        run_in_background(work, done, refused_or_failed)
        return True

    # -- save / restore -------------------------------------------------------------------------------
    def save_state(self, settings: QSettings, group: str) -> None:
        """Keep the main view, every detached window (screen, geometry, full screen, view) and the wall."""
        settings.beginGroup(group)
        try:
            settings.remove("")
            settings.setValue("main/view", json.dumps(self.grid.view_spec().as_dict()))
            settings.beginWriteArray("windows", len(self.windows))
            for i, window in enumerate(self.windows):
                settings.setArrayIndex(i)
                for key, value in window.state().items():
                    settings.setValue(key, value)
            settings.endArray()
            settings.setValue("wall/open", self.wall is not None)
            if self.wall is not None:
                screen = self.wall.screen()
                settings.setValue("wall/screen", screen.name() if screen else "")
                settings.setValue("wall/view", json.dumps(self.wall.grid.view_spec().as_dict()))
        finally:
            settings.endGroup()

    def restore_state(self, settings: QSettings, group: str) -> None:
        """Bring back what ``save_state`` kept. Cameras fill in when ``set_cameras`` is called."""
        settings.beginGroup(group)
        try:
            spec = _spec_from_json(settings.value("main/view"))
            if spec is not None:
                self.grid.apply_view(spec)
            count = settings.beginReadArray("windows")
            saved = []
            for i in range(count):
                settings.setArrayIndex(i)
                saved.append({k: settings.value(k) for k in ("geometry", "screen", "fullscreen", "title", "view")})
            settings.endArray()
            wall_open = _as_bool(settings.value("wall/open"))
            wall_screen = str(settings.value("wall/screen") or "")
            wall_spec = _spec_from_json(settings.value("wall/view"), "wall")
        finally:
            settings.endGroup()
        for entry in saved:
            window = self.detach(_spec_from_json(entry["view"]) or ViewSpec("current", self.grid.grid_layout),
                                 show=False)
            if entry["title"]:
                window.setWindowTitle(str(entry["title"]))
            geometry = entry["geometry"]
            window.restore(geometry if isinstance(geometry, QByteArray | bytes) else None, str(entry["screen"] or ""),
                           _as_bool(entry["fullscreen"]))
        if wall_open:
            wall = self.open_wall(screen_named(wall_screen))
            if wall_spec is not None:
                wall.grid.apply_view(wall_spec)

    # -- teardown -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close detached windows and the wall and stop every player (the main window is closing)."""
        self._closed = True
        for window in list(self.windows):
            window.close()
        self.close_wall()
        self.grid.close_players()

    def _report(self, what: str) -> Callable[[BaseException], None]:
        def report(exc: BaseException) -> None:
            log.warning("%s: %s", what, exc)
            if not self._closed:
                self.message.emit(f"{what}: {exc}")
        return report

