"""Camera hopping on the wall: arrows on the focused tile toward the cameras a vehicle leaving it reaches next.

``HopController`` asks the navigator (``domain.navigator.NeighbourGraph``) for the selected tile's neighbours and
puts one ``HopArrow`` per neighbour on the tile, placed the way the street leaves the picture: a neighbour ahead
of the camera at the top, behind it at the bottom, to its right on the right. Each arrow names the camera and the
typical travel time (or the ETA, when the followed plate's reads give one); the best suggestion is highlighted.
A click, or Alt+arrow key for the arrow pointing most that way, moves the tile to that camera at the same moment:
in playback the tile keeps following its clock, live it stays live.

"Follow" mode records each hop with the trail repository (camera, video time in, time out) - on a case when one
is given - and draws the trail on the map along the streets. Store work runs off the GUI thread.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QCursor,
    QEnterEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QShortcut,
)
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.geo import angle_diff_deg
from c4desk.domain.hop_trail import Trail, trail_csv, trail_geojson, trail_path, trail_points
from c4desk.domain.navigator import Neighbour, NeighbourGraph
from c4desk.domain.permissions import Actor
from c4desk.domain.plates import LprRead
from c4desk.store.trails import TrailRepository
from c4desk.ui import theme
from c4desk.ui.background import run_in_background
from c4desk.ui.map.map_view import MapView
from c4desk.ui.timefmt import local_time
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import ViewPlayback
from c4desk.ui.wall.video_view import HEADER_H, VideoView

__all__ = ["KEY_DIRECTIONS", "HopArrow", "HopController", "layout_arrows", "screen_angle"]

log = logging.getLogger(__name__)

MAX_ARROWS = 6
ARROW_W, ARROW_H = 156, 34
GAP = 4
EDGE_MARGIN = 6
# Alt+arrow picks the neighbour whose arrow points within this of the key's direction (screen degrees).
KEY_TOLERANCE_DEG = 67.5
KEY_DIRECTIONS = {Qt.Key.Key_Up: 0.0, Qt.Key.Key_Right: 90.0, Qt.Key.Key_Down: 180.0, Qt.Key.Key_Left: 270.0}
KEY_NAMES = {0.0: "Alt+\u2191", 90.0: "Alt+\u2192", 180.0: "Alt+\u2193", 270.0: "Alt+\u2190"}


def screen_angle(camera: Camera, direction_deg: float) -> float:
    """Where a compass direction points in ``camera``'s picture: 0 = straight ahead (up), 90 = right, ..."""
    return (direction_deg - camera.heading_deg) % 360.0


def _format_travel(n: Neighbour) -> str:
    if n.eta is not None:
        return f"ETA {local_time(n.eta)}"
    if n.travel_s < 1:
        return "in view now"
    return f"~{n.travel_s:.0f} s" if n.travel_s < 90 else f"~{n.travel_s / 60:.0f} min"


class HopArrow(QWidget):
    """One neighbour's arrow on a tile: click to hop there."""

    clicked = Signal(str)  # camera id

    def __init__(self, tile: VideoView, neighbour: Neighbour, angle: float, *, best: bool, key_hint: str) -> None:
        super().__init__(tile)
        self.neighbour = neighbour
        self.angle = angle
        self.best = best
        self.key_hint = key_hint
        self._hover = False
        self.setObjectName("HopArrow")
        self.setCursor(QCursor(Qt.CursorShape.PointingHandCursor))
        self.setToolTip(f"Hop to {neighbour.name} ({neighbour.camera_id})\n"
                        f"{neighbour.street + ', ' if neighbour.street else ''}{_format_travel(neighbour)}, "
                        f"score {neighbour.score:.2f}" + (f"\n{key_hint}" if key_hint else ""))
        self.resize(QSize(ARROW_W, ARROW_H))

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover = True
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: object) -> None:
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            self.clicked.emit(self.neighbour.camera_id)
            return
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(box, 6, 6)
        p.fillPath(path, QColor(13, 17, 23, 235 if self._hover else 185))
        edge = QColor(theme.ACCENT if self.best or self._hover else theme.MUTED)
        p.setPen(QPen(edge, 2 if self.best else 1))
        p.drawPath(path)
        # The arrow, turned to where the street leaves the picture.
        centre = QPointF(16, box.center().y())
        p.save()
        p.translate(centre)
        p.rotate(self.angle)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.ACCENT if self.best else theme.TEXT))
        p.drawPolygon(QPolygonF([QPointF(0, -11), QPointF(8, 3), QPointF(2.5, 1), QPointF(2.5, 10),
                                 QPointF(-2.5, 10), QPointF(-2.5, 1), QPointF(-8, 3)]))
        p.restore()
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        text_x = 31
        width = int(box.width()) - text_x - 4
        name = QFontMetrics(font).elidedText(self.neighbour.name, Qt.TextElideMode.ElideRight, width)
        p.drawText(QRect(text_x, 1, width, 16), Qt.AlignmentFlag.AlignVCenter, name)
        font.setBold(False)
        font.setPointSizeF(8)
        p.setFont(font)
        p.setPen(QColor(theme.MUTED))
        detail = _format_travel(self.neighbour) + (f"   {self.key_hint}" if self.key_hint else "")
        p.drawText(QRect(text_x, 16, width, 15), Qt.AlignmentFlag.AlignVCenter, detail)
        p.end()


def _place(tile: QWidget, angle: float) -> QRect:
    """Where an arrow for screen ``angle`` goes: on an ellipse inside the tile's picture, towards that side."""
    w, h = tile.width(), tile.height()
    cx, cy = w / 2, HEADER_H + (h - HEADER_H) / 2
    rx = max(0.0, w / 2 - ARROW_W / 2 - EDGE_MARGIN)
    ry = max(0.0, (h - HEADER_H) / 2 - ARROW_H / 2 - EDGE_MARGIN)
    rad = math.radians(angle)
    x = cx + rx * math.sin(rad) - ARROW_W / 2
    y = cy - ry * math.cos(rad) - ARROW_H / 2
    return QRect(round(x), round(y), ARROW_W, ARROW_H)


def layout_arrows(tile: QWidget, angles: Sequence[float]) -> list[QRect]:
    """Rectangles for arrows at screen ``angles`` (best first) that do not overlap: arrows pointing the same way
    line up along that edge of the picture (side by side at the top and bottom, one above another at the sides),
    and only move inwards when the edge is full, so the middle of the picture stays clear."""
    area = QRect(EDGE_MARGIN, HEADER_H + EDGE_MARGIN, max(1, tile.width() - 2 * EDGE_MARGIN),
                 max(1, tile.height() - HEADER_H - 2 * EDGE_MARGIN))
    taken: list[QRect] = []
    for angle in angles:
        home = _place(tile, angle)
        vertical_edge = abs(math.cos(math.radians(angle))) >= 0.7  # top or bottom
        along = QPoint(ARROW_W + GAP, 0) if vertical_edge else QPoint(0, ARROW_H + GAP)
        inwards = QPoint(0, ARROW_H + GAP if math.cos(math.radians(angle)) > 0 else -(ARROW_H + GAP)) \
            if vertical_edge else QPoint(-(ARROW_W + GAP) if math.sin(math.radians(angle)) > 0 else ARROW_W + GAP, 0)
        chosen = home
        for row in range(4):
            start = home.translated(inwards * row)
            slots = [start] + [start.translated(along * (k * sign)) for k in (1, 2, 3) for sign in (1, -1)]
            free = [r for r in slots if area.contains(r) and not any(r.intersects(t) for t in taken)]
            if free:
                chosen = free[0]
                break
        taken.append(chosen)
    return taken


class HopController(QObject):
    """Hopping on one view (LiveGrid): arrows on the selected tile, Alt+arrow keys, follow mode.

    ``trails``: a TrailRepository (None: follow mode is off limits); ``reads_for_plate(plate)`` returns the
    followed plate's reads (called on a worker thread) so the navigator can re-rank and give ETAs.
    """

    hopped = Signal(object, str, str)  # VideoView, from camera id, to camera id
    follow_changed = Signal(object)  # trail id, or None when following stopped
    trail_updated = Signal(object)  # Trail after a hop was stored
    message = Signal(str)

    def __init__(self, grid: LiveGrid, *, playback: ViewPlayback | None = None, trails: TrailRepository | None = None,
                 actor: Actor | None = None, map_view: MapView | None = None,
                 reads_for_plate: Callable[[str], Sequence[LprRead]] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or grid)
        self.grid = grid
        self.playback = playback
        self.trails = trails
        self.actor = actor
        self.map_view = map_view
        self._reads_for_plate = reads_for_plate
        self.graph: NeighbourGraph | None = None
        self._cameras: Mapping[str, Camera] = {}
        self.enabled = True
        self.trail_id: int | None = None
        self.plate = ""
        self.plate_reads: Sequence[LprRead] = ()
        self.known_plate: Callable[[], str] = lambda: ""  # the window's: the plate of the alert being worked
        # The window's: the case open in the Cases dock; a trail started there belongs to it (else Ctrl+N's new case
        # takes it).
        self.current_case_id: Callable[[], int | None] = lambda: None
        self._heading: float | None = None  # the way the followed vehicle went at the last hop
        self._last_hop_at: datetime | None = None  # the time of the trail's last step
        self._tile: VideoView | None = None
        self._hovered = False  # the mouse is over the selected tile
        self._arrows: list[HopArrow] = []
        self._pending: list[Callable[[], None]] = []  # trail writes wait for the one before them
        self._writing = False
        self.last_trail: Trail | None = None
        grid.camera_selected.connect(lambda _camera: self.refresh())
        grid.view_changed.connect(self.refresh)
        if playback is not None:
            playback.mode_changed.connect(lambda _on: self.refresh())
        self.follow_changed.connect(lambda _trail: self._show_arrows())
        self.shortcuts = [QShortcut(QKeySequence(Qt.KeyboardModifier.AltModifier | key), grid,
                                    lambda k=key: self.hop_toward(KEY_DIRECTIONS[k]),
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
                          for key in KEY_DIRECTIONS]

    # -- setup ----------------------------------------------------------------------------------------
    def populate_menu(self, menu: QMenu, window: QWidget) -> None:
        """Hop arrows on/off (Ctrl+H), follow the vehicle on the selected tile (Ctrl+Shift+F), stop following."""
        self.arrows_action = QAction("Hop arrows on the selected tile", window, checkable=True, checked=self.enabled,
                                     shortcut=QKeySequence("Ctrl+H"))
        self.arrows_action.setToolTip("Arrows to the cameras a vehicle leaving this view reaches next "
                                      "(Alt+arrow keys hop)")
        self.arrows_action.toggled.connect(self.set_enabled)
        # Following starts at once (the car is getting away); the plate, when the selected alert names one, comes
        # with it. Giving a plate by hand is its own command.
        self.follow_action = QAction("Follow vehicle from the selected tile", window,
                                     shortcut=QKeySequence("Ctrl+Shift+F"))
        self.follow_action.triggered.connect(
            lambda _=False: self.start_follow(plate=self.known_plate(), case_id=self.current_case_id()))
        self.follow_plate_action = QAction("Follow vehicle with plate...", window, shortcut=QKeySequence("Ctrl+Alt+F"))
        self.follow_plate_action.triggered.connect(lambda _=False: self.ask_follow(window))
        self.stop_follow_action = QAction("Stop following", window)
        self.stop_follow_action.setEnabled(False)
        self.stop_follow_action.triggered.connect(lambda _=False: self.stop_follow())
        self.follow_changed.connect(lambda trail: self.stop_follow_action.setEnabled(trail is not None))
        self.export_action = QAction("Export the last trail...", window)
        self.export_action.setEnabled(False)
        self.export_action.triggered.connect(lambda _=False: self.ask_export(window))
        self.trail_updated.connect(lambda _trail: self.export_action.setEnabled(True))
        for act in (self.arrows_action, self.follow_action, self.follow_plate_action, self.stop_follow_action,
                    self.export_action):
            window.addAction(act)
            menu.addAction(act)

    def ask_follow(self, window: QWidget) -> QInputDialog:
        """Ask for the plate (Enter with none follows without one). Opened with ``open()``, not ``exec()``: no
        nested event loop while the analyst types, so the wall and the alerts carry on as they are."""
        dialog = QInputDialog(window)
        dialog.setWindowTitle("Follow vehicle")
        dialog.setLabelText("Plate of the vehicle, if known (its reads rank the next cameras):")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda plate: self.start_follow(plate=plate))
        dialog.open()
        return dialog

    def ask_export(self, window: QWidget) -> None:
        trail = self.last_trail
        if trail is None:
            return
        path, _ = QFileDialog.getSaveFileName(window, "Export trail", f"trail-{trail.id}.geojson",
                                              "GeoJSON (*.geojson);;CSV (*.csv)")
        if path:
            self.export(trail, Path(path))

    def export(self, trail: Trail, path: Path) -> Path:
        """Write ``trail`` as CSV (a .csv path) or GeoJSON along the streets (anything else)."""
        if path.suffix.lower() == ".csv":
            text = trail_csv(trail, self._cameras)
        else:
            route = self.graph.route if self.graph is not None else None
            text = json.dumps(trail_geojson(trail, self._cameras, route), indent=1)
        path.write_text(text, encoding="utf-8")
        self.message.emit(f"Trail {trail.id} exported to {path}")
        return path

    def set_graph(self, graph: NeighbourGraph | None) -> None:
        self.graph = graph
        self._cameras = dict(graph.cameras) if graph is not None else {}
        self.refresh()

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.refresh()

    # -- what the arrows show -------------------------------------------------------------------------
    def moment(self, tile: VideoView | None) -> datetime:
        """The time the tile shows: its clock's in playback (the picture's, when known), else now."""
        if self.playback is not None and self.playback.active and tile is not None:
            player = self.playback.player_of(tile)
            shown = player.shown_at if player is not None else None
            return shown or self.playback.clock_for(tile).position()
        return datetime.now(UTC)

    def neighbours(self, tile: VideoView | None = None) -> list[Neighbour]:
        tile = tile or self.grid.selected_tile
        graph = self.graph
        if graph is None or tile is None or tile.camera is None or tile.camera.id not in graph.cameras:
            return []
        reads = [r for r in self.plate_reads] if self.plate else []
        try:
            return graph.neighbours(tile.camera.id, heading_deg=self._heading, plate_reads=reads,
                                    at=self.moment(tile) if reads else None, limit=MAX_ARROWS)
        except ValueError as exc:  # ValidationError: a camera the graph cannot place
            log.info("no neighbours for %s: %s", tile.camera.id, exc)
            return []

    @property
    def arrows_shown(self) -> bool:
        """Arrows are up in playback and while following; live, while the mouse is over the tile (they would
        otherwise hide part of a live picture for nothing). Alt+arrow keys hop either way."""
        playing_back = self.playback is not None and self.playback.active
        return self.enabled and (playing_back or self.trail_id is not None or self._hovered)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._tile and event.type() in (QEvent.Type.Enter, QEvent.Type.Leave):
            self._hovered = event.type() == QEvent.Type.Enter
            self._show_arrows()
        return False

    def _show_arrows(self) -> None:
        shown = self.arrows_shown
        for arrow in self.arrows:
            arrow.setVisible(shown)
            if shown:
                arrow.raise_()

    def refresh(self) -> None:
        """Put arrows on the selected tile (and take them off the one before)."""
        previous = self._tile
        self._clear_arrows()
        tile = self.grid.selected_tile
        if previous is not tile:
            if previous is not None and shiboken6.isValid(previous):
                previous.removeEventFilter(self)
            self._hovered = tile is not None and shiboken6.isValid(tile) and tile.underMouse()
            if tile is not None and shiboken6.isValid(tile):
                tile.installEventFilter(self)
        self._tile = tile
        if not self.enabled or tile is None or not shiboken6.isValid(tile) or tile.camera is None:
            return
        found = self.neighbours(tile)
        camera = tile.camera
        angles = [screen_angle(camera, n.direction_deg) for n in found]
        hints: dict[int, str] = {}  # arrow index -> the Alt+arrow key that picks it
        for direction in sorted(KEY_DIRECTIONS.values()):
            index = self._by_key(found, angles, direction)
            if index is not None and index not in hints:
                hints[index] = KEY_NAMES[direction]
        rects = layout_arrows(tile, angles)
        for i, (n, angle) in enumerate(zip(found, angles, strict=True)):
            arrow = HopArrow(tile, n, angle, best=i == 0, key_hint=hints.get(i, ""))
            arrow.setGeometry(rects[i])
            arrow.clicked.connect(lambda camera_id, t=tile: self.hop(camera_id, t))
            self._arrows.append(arrow)
        self._show_arrows()

    @property
    def arrows(self) -> list[HopArrow]:
        return [a for a in self._arrows if shiboken6.isValid(a)]

    def _clear_arrows(self) -> None:
        for arrow in self._arrows:
            if shiboken6.isValid(arrow):
                arrow.hide()
                arrow.deleteLater()
        self._arrows = []

    @staticmethod
    def _by_key(found: Sequence[Neighbour], angles: Sequence[float], direction: float) -> int | None:
        """Index of the best neighbour whose arrow points within KEY_TOLERANCE_DEG of ``direction``."""
        close = [i for i, a in enumerate(angles) if angle_diff_deg(a, direction) <= KEY_TOLERANCE_DEG]
        return min(close, key=lambda i: (angle_diff_deg(angles[i], direction) > 30, -found[i].score)) \
            if close else None

    # -- hopping --------------------------------------------------------------------------------------
    def hop_toward(self, direction: float) -> bool:
        """Alt+arrow: hop to the neighbour whose arrow points that way on screen (0 up, 90 right, ...)."""
        tile = self.grid.selected_tile
        if tile is None or tile.camera is None:
            return False
        found = self.neighbours(tile)
        angles = [screen_angle(tile.camera, n.direction_deg) for n in found]
        index = self._by_key(found, angles, direction)
        if index is None:
            self.message.emit("No neighbouring camera that way")
            return False
        return self.hop(found[index].camera_id, tile)

    def hop(self, camera_id: str, tile: VideoView | None = None) -> bool:
        """Move ``tile`` (default: the selected one) to ``camera_id`` at the moment it shows."""
        tile = tile or self.grid.selected_tile
        camera = self._cameras.get(camera_id)
        if tile is None or camera is None or tile.camera is None:
            return False
        previous = tile.camera
        at = self.moment(tile)
        chosen = next((n for n in self.neighbours(tile) if n.camera_id == camera_id), None)
        if chosen is not None:
            self._heading = chosen.direction_deg
        live = self.playback is None or not self.playback.active
        self.grid.replace_camera(tile, camera, seamless=live)
        self.grid.select(tile)
        tile.setFocus()
        self.grid.camera_selected.emit(camera)
        if self.trail_id is not None:
            self._record_hop(camera_id, at)
        self.hopped.emit(tile, previous.id, camera_id)
        self.message.emit(f"Hopped to {camera.name} at {local_time(at)}")
        return True

    # -- follow mode ----------------------------------------------------------------------------------
    def start_follow(self, *, plate: str = "", case_id: int | None = None, label: str = "",
                     on_started: Callable[[int], None] | None = None) -> bool:
        """Record the hops from now on as a trail, starting on the selected tile's camera at the time it shows."""
        tile = self.grid.selected_tile
        trails, actor = self.trails, self.actor
        if trails is None or actor is None:
            self.message.emit("Follow mode needs the trail store and a logged-in user")
            return False
        if tile is None or tile.camera is None:
            self.message.emit("Select the tile the vehicle is on, then follow it")
            return False
        camera_id, at = tile.camera.id, self.moment(tile)
        self._last_hop_at = at
        self.plate = plate.strip().upper()
        self._heading = None
        start = trails.start
        hop = trails.hop

        def work() -> int:
            trail_id: int = start(actor, case_id=case_id, plate=self.plate, label=label)
            hop(actor, trail_id, camera_id, at)
            return trail_id

        def done(trail_id: object) -> None:
            if not isinstance(trail_id, int):
                return
            self.trail_id = trail_id
            self.follow_changed.emit(trail_id)
            self.message.emit(f"Following on {camera_id} from {local_time(at)}: every hop is recorded"
                              + (" on the open case" if case_id is not None else ""))
            self._load_reads()
            self._redraw(trail_id)
            if on_started is not None:
                on_started(trail_id)

        run_in_background(work, done, self._failed("Could not start following"))
        return True

    def stop_follow(self) -> None:
        """End the trail at the time the tile shows now."""
        trail_id, trails, actor = self.trail_id, self.trails, self.actor
        if trail_id is None or trails is None or actor is None:
            return
        at = self.moment(self.grid.selected_tile)
        self.trail_id = None
        self.plate, self.plate_reads = "", ()
        self.follow_changed.emit(None)
        finish = trails.finish
        self._queue(lambda: finish(actor, trail_id, at), lambda _t: self._redraw(trail_id))

    def _record_hop(self, camera_id: str, at: datetime) -> None:
        trail_id, trails, actor = self.trail_id, self.trails, self.actor
        if trail_id is None or trails is None or actor is None:
            return
        if self._last_hop_at is not None and at < self._last_hop_at:
            # Just after a hop in playback, the new camera's first picture can be a frame older than the moment
            # the last hop was taken at; along a trail the time only runs forward.
            at = self._last_hop_at
        self._last_hop_at = at
        hop = trails.hop
        self._queue(lambda: hop(actor, trail_id, camera_id, at), lambda _step: self._redraw(trail_id))

    def _queue(self, work: Callable[[], object], then: Callable[[object], None]) -> None:
        """Run trail writes one after another (a hop must not overtake the one before it)."""
        def run() -> None:
            self._writing = True

            def done(result: object) -> None:
                self._writing = False
                then(result)
                self._next()

            def failed(exc: BaseException) -> None:
                self._writing = False
                self._failed("Recording the hop failed")(exc)
                self._next()

            run_in_background(work, done, failed)

        self._pending.append(run)
        if not self._writing:
            self._next()

    def _next(self) -> None:
        if self._pending and not self._writing:
            self._pending.pop(0)()

    def _redraw(self, trail_id: int) -> None:
        trails = self.trails
        if trails is None:
            return
        get = trails.get
        run_in_background(lambda: get(trail_id), self._draw, self._failed("Could not read the trail"))

    def _draw(self, trail: object) -> None:
        if not isinstance(trail, Trail) or not shiboken6.isValid(self):
            return
        graph = self.graph
        cameras = self._cameras
        route = graph.route if graph is not None else None
        if self.map_view is not None and shiboken6.isValid(self.map_view):
            self.map_view.show_hop_trail(f"hop-{trail.id}", trail_path(trail, cameras, route),
                                         trail_points(trail, cameras))
        self.last_trail = trail
        self.trail_updated.emit(trail)

    def _load_reads(self) -> None:
        plate, fetch = self.plate, self._reads_for_plate
        if not plate or fetch is None:
            return

        def done(reads: object) -> None:
            if isinstance(reads, list | tuple) and plate == self.plate:
                self.plate_reads = tuple(r for r in reads if isinstance(r, LprRead))
                self.refresh()

        run_in_background(lambda: list(fetch(plate)), done, self._failed("Could not read the plate's reads"))

    def _failed(self, what: str) -> Callable[[BaseException], None]:
        def report(exc: BaseException) -> None:
            log.warning("%s: %s", what, exc)
            if shiboken6.isValid(self):
                self.message.emit(f"{what}: {exc}")
        return report
