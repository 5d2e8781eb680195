"""Drag and drop onto the wall: the MIME types, and a drag source for camera lists.

``CAMERA_MIME`` carries camera ids (UTF-8, one per line); any widget that lists cameras (the camera tree,
later the map) can drag them onto a tile. ``TILE_MIME`` carries the grid and index of a dragged tile, so a
drop on another tile of the same view swaps the two; tile drags carry ``CAMERA_MIME`` too, so dropping a
tile on another view (a detached window) copies its camera there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, Qt
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTreeWidget, QTreeWidgetItem

__all__ = ["CAMERA_MIME", "TILE_MIME", "camera_ids", "camera_mime", "enable_camera_drag", "tile_mime",
           "tile_source"]

CAMERA_MIME = "application/x-c4desk-camera-ids"
TILE_MIME = "application/x-c4desk-tile"


def camera_mime(ids: Iterable[str], data: QMimeData | None = None) -> QMimeData:
    mime = data or QMimeData()
    ids = [i for i in ids if i]
    mime.setData(CAMERA_MIME, "\n".join(ids).encode())
    mime.setText(", ".join(ids))
    return mime


def camera_ids(mime: QMimeData) -> list[str]:
    if not mime.hasFormat(CAMERA_MIME):
        return []
    raw = bytes(mime.data(CAMERA_MIME).data()).decode("utf-8", errors="replace")
    return [line.strip() for line in raw.splitlines() if line.strip()]


def tile_mime(grid_uid: str, index: int, camera_id: str | None) -> QMimeData:
    mime = camera_mime([camera_id] if camera_id else [])
    mime.setData(TILE_MIME, f"{grid_uid}\n{index}".encode())
    return mime


def tile_source(mime: QMimeData) -> tuple[str, int] | None:
    """(grid uid, tile index) of a dragged tile, or None."""
    if not mime.hasFormat(TILE_MIME):
        return None
    uid, _, index = bytes(mime.data(TILE_MIME).data()).decode(errors="replace").partition("\n")
    return (uid, int(index)) if index.strip().isdigit() else None


def _camera_of_item(item: QTreeWidgetItem) -> str | None:
    cam = item.data(0, Qt.ItemDataRole.UserRole)
    cam_id = getattr(cam, "id", None)
    return cam_id if isinstance(cam_id, str) and item.flags() & Qt.ItemFlag.ItemIsEnabled else None


class _DragStarter(QObject):
    """Starts a camera drag from an item view when the left button moves far enough from where it pressed."""

    def __init__(self, view: QAbstractItemView, ids_at: Callable[[QPoint], list[str]]) -> None:
        super().__init__(view)
        self._view = view
        self._ids_at = ids_at
        self._press: QPoint | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            self._press = event.position().toPoint() if event.button() == Qt.MouseButton.LeftButton else None
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        elif (kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent) and self._press is not None
              and event.buttons() & Qt.MouseButton.LeftButton
              and (event.position().toPoint() - self._press).manhattanLength()
              >= QApplication.startDragDistance()):
            ids = self._ids_at(self._press)
            self._press = None
            if ids:
                drag = QDrag(self._view)
                drag.setMimeData(camera_mime(ids))
                drag.exec(Qt.DropAction.CopyAction)
                return True
        return False


def enable_camera_drag(tree: QTreeWidget, camera_of: Callable[[QTreeWidgetItem], str | None] = _camera_of_item
                       ) -> QObject:
    """Let cameras be dragged out of ``tree`` as ``CAMERA_MIME``.

    ``camera_of`` gives an item's camera id (default: the ``id`` of the object in the item's UserRole data,
    for enabled items). Dragging a selected item drags every selected camera; another item drags itself.
    """

    def ids_at(pos: QPoint) -> list[str]:
        item = tree.itemAt(pos)
        if item is None:
            return []
        items = tree.selectedItems() if item.isSelected() else [item]
        return [i for i in (camera_of(it) for it in items) if i]

    starter = _DragStarter(tree, ids_at)
    tree.viewport().installEventFilter(starter)
    return starter
