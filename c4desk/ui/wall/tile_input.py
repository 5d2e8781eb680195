"""What a video tile does with the mouse, the keyboard and drops.

Part of ``VideoView`` (see ``tile_state``), kept apart because none of it touches players or painting: each
event becomes one of the tile's signals, and the grid (``live_grid``) decides what it means. Click selects;
double-click or Enter asks to maximise; Delete or Backspace asks to clear; Escape is passed on; a right click
asks for the context menu; a mouse drag asks the grid to start dragging the tile; a camera or a tile of the
same grid dropped here is announced. On a PTZ camera, Ctrl+click asks to centre on that point of the picture
and Ctrl+wheel to zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication

from c4desk.domain.camera import CameraKind
from c4desk.ui.wall.mime import CAMERA_MIME, TILE_MIME, camera_ids, tile_source
from c4desk.ui.wall.tile_state import TileHost

__all__ = ["TileInput"]


class TileInput(TileHost):
    """VideoView's mouse, keyboard and drop handling (a mixin: the state and signals are the tile's)."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        self.selected.emit()
        if (event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ControlModifier
                and self._ptz_click(event.position().toPoint())):
            return
        self._press = event.position().toPoint() if event.button() == Qt.MouseButton.LeftButton else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (self._press is not None and self._camera is not None and event.buttons() & Qt.MouseButton.LeftButton
                and (event.position().toPoint() - self._press).manhattanLength()
                >= QApplication.startDragDistance()):
            self._press = None
            self.drag_requested.emit()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.activated.emit()
        super().mouseDoubleClickEvent(event)

    def _ptz_click(self, pos: QPoint) -> bool:
        """Ctrl+click on a PTZ camera's picture: ask to centre there, in the picture's own pixel grid."""
        if self._camera is None or self._camera.kind is not CameraKind.PTZ or self._image is None:
            return False
        target, _, _ = self._placement(self._image, self.rect())
        if not target.contains(pos) or target.width() < 2 or target.height() < 2:
            return False
        self.ptz_center_requested.emit(pos.x() - target.x(), pos.y() - target.y(), target.width(), target.height())
        return True

    def wheelEvent(self, event: QWheelEvent) -> None:
        if (self._camera is not None and self._camera.kind is CameraKind.PTZ
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            steps = event.angleDelta().y() // 120
            if steps:
                self.ptz_zoom_requested.emit(steps)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear_requested.emit()
        elif key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.selected.emit()
        self.context_requested.emit(event.globalPos())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(TILE_MIME) or mime.hasFormat(CAMERA_MIME):
            event.acceptProposedAction()
            self._drop_hover = True
            self.update()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_hover = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hover = False
        self.update()
        mime = event.mimeData()
        source = tile_source(mime)
        ids = camera_ids(mime)
        if (source is None or source[0] != self.grid_uid) and not ids:
            event.ignore()
            return
        event.acceptProposedAction()
        if source is not None and source[0] == self.grid_uid:
            self.tile_dropped.emit(*source)
        else:
            self.cameras_dropped.emit(ids)
