"""One view of live tiles: a layout (domain.layouts), a camera per tile, maximise, swap, drop, cycle.

The grid places its tiles itself (from the layout's cell rectangles), so changing the layout, swapping two
tiles or maximising one only moves widgets: players keep running and nothing reconnects. Tiles whose camera
is not known yet (a view restored before the camera list has loaded) remember the camera id and fill in
when ``refresh_cameras`` finds it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDrag, QResizeEvent
from PySide6.QtWidgets import QMenu, QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.layouts import (
    MIN_DWELL_S,
    PRESETS,
    Layout,
    ViewSpec,
    cycle_page,
    cycle_pages,
    remap_cameras,
    uniform,
)
from c4desk.ui.wall.mime import tile_mime
from c4desk.ui.wall.players import stop_now
from c4desk.ui.wall.video_view import PlayerFactory, TileStatus, VideoView

__all__ = ["LiveGrid"]

MARGIN = 2
SPACING = 2
CameraLookup = Callable[[str], Camera | None]


class LiveGrid(QWidget):
    camera_selected = Signal(object)  # Camera | None: the camera of the tile the analyst selected
    camera_status = Signal(str, str)  # camera id, status (live, offline, ...)
    ptz_center_requested = Signal(object, int, int, int, int)  # Camera, x, y, picture width, height
    ptz_zoom_requested = Signal(object, int)  # Camera, wheel steps
    view_changed = Signal()  # layout, cameras or cycle changed (for saving state)
    push_requested = Signal(tuple, str)  # camera ids ("" = empty tile), layout (preset name or JSON)
    snapshot_requested = Signal(object)  # VideoView
    # VideoView, "in" | "out" | "tag" | "tag_details" | "bookmark" (marks, a clip at once or through its dialog,
    # a bookmark)
    clip_requested = Signal(object, str)
    detach_requested = Signal()
    edit_layout_requested = Signal()

    def __init__(self, player_factory: PlayerFactory, rows: int = 2, cols: int = 2,
                 parent: QWidget | None = None, *, layout: Layout | None = None, editable: bool = True,
                 camera_lookup: CameraLookup | None = None) -> None:
        super().__init__(parent)
        self.uid = uuid.uuid4().hex[:12]
        self._factory = player_factory
        self._editable = editable
        self._lookup: CameraLookup = camera_lookup or (lambda _id: None)
        self._layout = layout or uniform(cols, rows)
        self.tiles: list[VideoView] = []
        self._wanted: dict[VideoView, str] = {}  # tiles waiting for a camera the lookup does not know yet
        self._selected: VideoView | None = None
        self._maximised: VideoView | None = None
        # The tile the analyst clicked last, until a camera is put into it: that is where the next one goes.
        self._target: VideoView | None = None
        self._next_replace = 0
        self._cycle: tuple[str, ...] = ()
        self._cycle_step = 0
        self._cycle_timer = QTimer(self)
        self._cycle_timer.timeout.connect(self._on_cycle_tick)
        # Whoever holds the grid may add entries to every tile's context menu (windows: screens, full screen).
        self.menu_extender: Callable[[QMenu, VideoView], None] | None = None
        # Called with every tile the grid makes, before it gets a camera (playback sets the tile's player source).
        self.tile_setup: Callable[[VideoView], None] | None = None
        self.setMinimumSize(200, 120)
        self._apply([None] * len(self._layout))

    # -- what the grid shows --------------------------------------------------------------------------
    @property
    def grid_layout(self) -> Layout:
        return self._layout

    @property
    def editable(self) -> bool:
        return self._editable

    @property
    def selected_tile(self) -> VideoView | None:
        return self._selected

    @property
    def maximised_tile(self) -> VideoView | None:
        return self._maximised

    @property
    def cycle(self) -> tuple[str, ...]:
        return self._cycle

    @property
    def cycle_dwell_s(self) -> float:
        return self._cycle_timer.interval() / 1000

    def set_camera_lookup(self, lookup: CameraLookup) -> None:
        """Where camera ids (drops, saved views) are turned into cameras; then fills waiting tiles."""
        self._lookup = lookup
        self.refresh_cameras()

    def cameras(self) -> list[str | None]:
        """The camera id of each tile in reading order (including ones still waiting to be resolved)."""
        return [t.camera.id if t.camera else self._wanted.get(t) for t in self.tiles]

    def health(self) -> tuple[int, int]:
        """(live tiles, tiles with a camera that should be playing: paused off-screen tiles do not count)."""
        used = [t for t in self.tiles if t.camera is not None and t.status != TileStatus.PAUSED]
        return sum(1 for t in used if t.status == TileStatus.LIVE), len(used)

    def view_spec(self, name: str = "current") -> ViewSpec:
        return ViewSpec(name=name, layout=self._layout, cameras=tuple(self.cameras()), cycle=self._cycle,
                        dwell_s=self.cycle_dwell_s if self._cycle else 10.0)

    def apply_view(self, spec: ViewSpec) -> None:
        """Show a saved view: its layout, its cameras, its cycle."""
        self.stop_cycle()
        self.restore_tile()
        self._apply(list(spec.cameras), layout=spec.layout)
        if spec.cycle:
            self.start_cycle(spec.cycle, spec.dwell_s)
        self.view_changed.emit()

    def set_layout(self, layout: Layout) -> None:
        """Change the layout, keeping the cameras (a tile keeps the camera of the tile at its corner)."""
        self.restore_tile()
        self._apply(remap_cameras(self._layout, layout, self.cameras()), layout=layout)
        if self._cycle:
            self._show_cycle_page(seamless=False)
        self.view_changed.emit()

    def show_cameras(self, cameras: Sequence[Camera]) -> None:
        """Replace what the grid shows with ``cameras`` (as many as there are tiles), in order."""
        self.stop_cycle()
        for i, tile in enumerate(self.tiles):
            self._put(tile, cameras[i] if i < len(cameras) else None)
        self._target = None
        self._next_replace = 0
        self.view_changed.emit()

    def open_camera(self, camera: Camera) -> VideoView:
        """Show ``camera`` in the tile the analyst clicked, else the first empty one, else replace in turn."""
        already = next((t for t in self.tiles if t.camera is not None and t.camera.id == camera.id), None)
        if already is not None:
            self.select(already)
            return already
        tile = self._target or next((t for t in self.tiles if t.camera is None and t not in self._wanted), None)
        self._target = None
        if tile is None:
            tile = self.tiles[self._next_replace % len(self.tiles)]
            self._next_replace += 1
        self._put(tile, camera)
        self.select(tile)
        self.view_changed.emit()
        return tile

    def put_cameras(self, tile: VideoView, ids: Sequence[str]) -> None:
        """Cameras dropped on ``tile``: the first goes there, the others into the tiles after it."""
        start = self.tiles.index(tile)
        for offset, camera_id in enumerate(ids[: len(self.tiles)]):
            target = self.tiles[(start + offset) % len(self.tiles)]
            self._put_id(target, camera_id)
        self.select(tile)
        self.view_changed.emit()

    def replace_camera(self, tile: VideoView, camera: Camera, *, seamless: bool = False) -> None:
        """Show ``camera`` in ``tile`` (camera hopping); ``seamless`` keeps the old picture until the new one."""
        if tile in self.tiles:
            self._put(tile, camera, seamless=seamless)
            self.view_changed.emit()

    def clear_tile(self, tile: VideoView) -> None:
        self._put(tile, None)
        self.view_changed.emit()

    def swap(self, a: int, b: int) -> None:
        """Exchange two tiles' places (their players keep running)."""
        if a == b:
            return
        self.restore_tile()
        self.tiles[a], self.tiles[b] = self.tiles[b], self.tiles[a]
        self._place_tiles()
        self.view_changed.emit()

    def refresh_cameras(self) -> None:
        """Fill tiles waiting for a camera id, and pick up changed camera records (names, URLs)."""
        for tile in self.tiles:
            wanted = self._wanted.get(tile)
            camera_id = wanted or (tile.camera.id if tile.camera else None)
            if camera_id is None:
                continue
            camera = self._lookup(camera_id)
            if camera is not None:
                self._wanted.pop(tile, None)
                tile.set_camera(camera)

    # -- selection, maximise --------------------------------------------------------------------------
    def select(self, tile: VideoView) -> None:
        for t in self.tiles:
            t.set_selected(t is tile)
        self._selected = tile

    def toggle_maximise(self, tile: VideoView) -> None:
        if self._maximised is tile:
            self.restore_tile()
        else:
            self.maximise(tile)

    def maximise(self, tile: VideoView) -> None:
        """Show ``tile`` over the whole view; the others stop decoding while hidden."""
        if self._maximised is not None and self._maximised is not tile:
            self._maximised.set_maximised(False)
        self._maximised = tile
        self._place_tiles()
        tile.set_maximised(True)
        tile.setFocus()

    def restore_tile(self) -> None:
        tile, self._maximised = self._maximised, None
        if tile is not None:
            self._place_tiles()
            tile.set_maximised(False)

    # -- cycling --------------------------------------------------------------------------------------
    def start_cycle(self, camera_ids: Sequence[str], dwell_s: float) -> None:
        """Page through ``camera_ids`` (a page = as many cameras as tiles), ``dwell_s`` per page."""
        if dwell_s < MIN_DWELL_S:
            raise ValueError(f"dwell must be at least {MIN_DWELL_S:g} s")
        self._cycle = tuple(camera_ids)
        self._cycle_step = 0
        self._cycle_timer.setInterval(int(dwell_s * 1000))
        self._show_cycle_page(seamless=False)
        if cycle_pages(self._cycle, len(self.tiles)) > 1:
            self._cycle_timer.start()
        self.view_changed.emit()

    def stop_cycle(self) -> None:
        if self._cycle:
            self._cycle = ()
            self._cycle_timer.stop()
            self.view_changed.emit()

    def _on_cycle_tick(self) -> None:
        self._cycle_step += 1
        self._show_cycle_page(seamless=True)

    def _show_cycle_page(self, *, seamless: bool) -> None:
        page = cycle_page(self._cycle, len(self.tiles), self._cycle_step)
        for tile, camera_id in zip(self.tiles, page, strict=True):
            self._put_id(tile, camera_id, seamless=seamless)

    # -- pushing, snapshots, menus --------------------------------------------------------------------
    def push_camera(self, tile: VideoView) -> None:
        if tile.camera is not None:
            self.push_requested.emit((tile.camera.id,), "1x1")

    def push_view(self) -> None:
        layout = self._layout
        name = layout.name if PRESETS.get(layout.name) == layout else _layout_json(layout)
        self.push_requested.emit(tuple(c or "" for c in self.cameras()), name)

    def tile_menu(self, tile: VideoView) -> QMenu:
        """The context menu of a tile (built fresh; the caller shows it)."""
        menu = QMenu(self)
        has_camera = tile.camera is not None

        def add(text: str, slot: Callable[[], None], enabled: bool = True, shortcut: str = "") -> QAction:
            action = menu.addAction(text)
            action.setEnabled(enabled)
            if shortcut:
                action.setShortcut(shortcut)
                action.setShortcutVisibleInContextMenu(True)
            action.triggered.connect(slot)
            return action

        add("Restore" if self._maximised is tile else "Maximise", lambda: self.toggle_maximise(tile),
            has_camera or self._maximised is tile, "Return")
        add("Snapshot", lambda: self.snapshot_requested.emit(tile), tile.status == TileStatus.LIVE)
        add("Tag clip", lambda: self.clip_requested.emit(tile, "tag"), has_camera, "T")
        add("Tag clip with tags and note…", lambda: self.clip_requested.emit(tile, "tag_details"), has_camera,
            "Shift+T")
        add("Mark in", lambda: self.clip_requested.emit(tile, "in"), has_camera, "I")
        add("Mark out", lambda: self.clip_requested.emit(tile, "out"), has_camera, "O")
        add("Bookmark…", lambda: self.clip_requested.emit(tile, "bookmark"), has_camera, "B")
        menu.addSeparator()
        add("Push camera to wall", lambda: self.push_camera(tile), has_camera)
        add("Push view to wall", self.push_view, any(self.cameras()))
        if self._editable:
            add("Clear tile", lambda: self.clear_tile(tile), has_camera, "Del")
            menu.addSeparator()
            layouts = menu.addMenu("Layout")
            for name, layout in PRESETS.items():
                act = layouts.addAction(name)
                act.setCheckable(True)
                act.setChecked(layout == self._layout)
                act.triggered.connect(lambda _=False, lay=layout: self.set_layout(lay))
            layouts.addSeparator()
            layouts.addAction("Custom...").triggered.connect(self.edit_layout_requested.emit)
            add("Detach view to a window", self.detach_requested.emit)
        if self.menu_extender is not None:
            self.menu_extender(menu, tile)
        return menu

    # -- tiles ----------------------------------------------------------------------------------------
    def _apply(self, ids: list[str | None], layout: Layout | None = None) -> None:
        """Make one tile per layout rectangle and give them ``ids``, reusing tiles that already show a
        camera so its player keeps running."""
        if layout is not None:
            self._layout = layout
        n = len(self._layout)
        ids = (list(ids) + [None] * n)[:n]
        pool = list(self.tiles)
        chosen: list[VideoView | None] = [None] * n
        for i, camera_id in enumerate(ids):
            match = next((t for t in pool if camera_id and _shown_id(t, self._wanted) == camera_id), None)
            if match is not None:
                chosen[i] = match
                pool.remove(match)
        for i in range(n):
            if chosen[i] is None:
                chosen[i] = pool.pop(0) if pool else self._new_tile()
        for tile in pool:  # tiles the new layout has no room for
            self._drop_tile(tile)
        self.tiles = [t for t in chosen if t is not None]
        for tile, camera_id in zip(self.tiles, ids, strict=True):
            self._put_id(tile, camera_id)
        if self._selected not in self.tiles:
            self._selected = None
        if self._target not in self.tiles:
            self._target = None
        self._place_tiles()

    def _put_id(self, tile: VideoView, camera_id: str | None, *, seamless: bool = False) -> None:
        if camera_id is None:
            self._put(tile, None)
            return
        camera = self._lookup(camera_id) or next(
            (t.camera for t in self.tiles if t.camera is not None and t.camera.id == camera_id), None)
        if camera is None:
            self._put(tile, None)
            self._wanted[tile] = camera_id
            tile.setToolTip(f"Camera {camera_id} is not known (yet)")
            return
        self._put(tile, camera, seamless=seamless)

    def _put(self, tile: VideoView, camera: Camera | None, *, seamless: bool = False) -> None:
        self._wanted.pop(tile, None)
        tile.set_camera(camera, seamless=seamless)

    def _new_tile(self) -> VideoView:
        tile = VideoView(self._factory, self)
        tile.setAcceptDrops(self._editable)
        tile.selected.connect(lambda t=tile: self._on_tile_clicked(t))
        tile.activated.connect(lambda t=tile: self._on_tile_activated(t))
        tile.escape_pressed.connect(self.restore_tile)
        tile.status_changed.connect(lambda status, _reason, t=tile: self._on_tile_status(t, status))
        tile.context_requested.connect(lambda pos, t=tile: self._on_context(t, pos))
        tile.ptz_center_requested.connect(lambda x, y, w, h, t=tile: self._on_ptz_center(t, x, y, w, h))
        tile.ptz_zoom_requested.connect(lambda steps, t=tile: self._on_ptz_zoom(t, steps))
        if self._editable:
            tile.clear_requested.connect(lambda t=tile: self.clear_tile(t))
            tile.drag_requested.connect(lambda t=tile: self._start_drag(t))
            tile.cameras_dropped.connect(lambda ids, t=tile: self.put_cameras(t, ids))
            tile.tile_dropped.connect(lambda uid, index, t=tile: self._on_tile_dropped(t, uid, index))
        tile.grid_uid = self.uid
        if self.tile_setup is not None:
            self.tile_setup(tile)
        tile.show()
        return tile

    def _on_ptz_center(self, tile: VideoView, x: int, y: int, w: int, h: int) -> None:
        if tile.camera is not None:
            self.ptz_center_requested.emit(tile.camera, x, y, w, h)

    def _on_ptz_zoom(self, tile: VideoView, steps: int) -> None:
        if tile.camera is not None:
            self.ptz_zoom_requested.emit(tile.camera, steps)

    def _drop_tile(self, tile: VideoView) -> None:
        self._wanted.pop(tile, None)
        tile.set_camera(None)
        if self._maximised is tile:
            self._maximised = None
        tile.hide()
        tile.deleteLater()

    def _place_tiles(self) -> None:
        area = self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        if self._maximised is not None and self._maximised in self.tiles:
            for tile in self.tiles:
                if tile is not self._maximised:
                    tile.hide()
            self._maximised.setGeometry(area)
            self._maximised.show()
            self._maximised.raise_()
            return
        lay = self._layout
        step_x = (area.width() + SPACING) / lay.cols
        step_y = (area.height() + SPACING) / lay.rows
        for tile, rect in zip(self.tiles, lay.tiles, strict=True):
            x0 = area.x() + round(rect.col * step_x)
            y0 = area.y() + round(rect.row * step_y)
            x1 = area.x() + round((rect.col + rect.cols) * step_x) - SPACING
            y1 = area.y() + round((rect.row + rect.rows) * step_y) - SPACING
            tile.setGeometry(QRect(x0, y0, max(1, x1 - x0), max(1, y1 - y0)))
            tile.show()

    # -- tile signals ---------------------------------------------------------------------------------
    def _on_tile_clicked(self, tile: VideoView) -> None:
        self.select(tile)
        self._target = tile
        self.camera_selected.emit(tile.camera)

    def _on_tile_activated(self, tile: VideoView) -> None:
        if tile.camera is not None or self._maximised is tile:
            self.toggle_maximise(tile)

    def _on_tile_status(self, tile: VideoView, status: str) -> None:
        if tile.camera is not None:
            self.camera_status.emit(tile.camera.id, status)

    def _on_context(self, tile: VideoView, pos: QPoint) -> None:
        menu = self.tile_menu(tile)
        menu.exec(pos)
        menu.deleteLater()

    def _start_drag(self, tile: VideoView) -> None:
        drag = QDrag(tile)
        drag.setMimeData(tile_mime(self.uid, self.tiles.index(tile), tile.camera.id if tile.camera else None))
        drag.setPixmap(tile.grab().scaled(QSize(160, 90), Qt.AspectRatioMode.KeepAspectRatio))
        drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction)

    def _on_tile_dropped(self, target: VideoView, uid: str, index: int) -> None:
        if uid == self.uid and 0 <= index < len(self.tiles):
            self.swap(index, self.tiles.index(target))

    # -- Qt events, teardown --------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_tiles()

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def close_players(self) -> None:
        """Stop every player now (all in parallel) and stop cycling; for closing windows."""
        self._cycle_timer.stop()
        players = []
        for tile in self.tiles:
            if shiboken6.isValid(tile):
                players += tile.take_players()
        stop_now(players)


def _shown_id(tile: VideoView, wanted: dict[VideoView, str]) -> str | None:
    return tile.camera.id if tile.camera is not None else wanted.get(tile)


def _layout_json(layout: Layout) -> str:
    return json.dumps(layout.as_dict(), separators=(",", ":"))
