"""Plate reads in a table, newest first, with the camera's plate crop beside the plate text when there is one.

Used for the live reads and for search results. Crops come from ``PlateImages`` (decoded in the background);
a row shows its text at once and its thumbnail a moment later.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import QWidget

from c4desk.domain.plates import LprRead
from c4desk.ui.lpr.plate_images import PlateImages
from c4desk.ui.record_table import Column, RecordModel, RecordTable
from c4desk.ui.timefmt import local_time


def _confidence(r: LprRead) -> str:
    return "" if r.confidence is None else f"{r.confidence:.0%}"


COLUMNS: tuple[Column, ...] = (
    ("Read", lambda r: local_time(r.read_at)),
    ("Plate", lambda r: r.plate_norm),
    ("Region", lambda r: r.region),
    ("Camera", lambda r: r.camera_id),
    ("Conf.", _confidence),
    ("Dir.", lambda r: r.direction),
)
IMAGE_HEADER = "Plate image"
IMAGE_COLUMN = 2  # after the plate text, so the analyst compares the two side by side
IMAGE_WIDTH = 110
NO_IMAGE = "(no image)"
MISSING_IMAGE = "(image missing)"


def _key(r: LprRead) -> object:
    return r.id if r.id is not None else (r.camera_id, r.read_at, r.plate_raw)


class PlateReadModel(RecordModel):
    """The read columns, plus a thumbnail column when ``images`` is given."""

    def __init__(self, images: PlateImages | None = None) -> None:
        columns = list(COLUMNS)
        if images is not None:
            columns.insert(IMAGE_COLUMN, (IMAGE_HEADER, lambda r: ""))
            images.loaded.connect(self.on_image_loaded)
        super().__init__(columns, key=_key)
        self._images = images

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if self._images is None or not index.isValid() or index.column() != IMAGE_COLUMN:
            return super().data(index, role)
        ref = self.record(index.row()).plate_image_ref
        if role == Qt.ItemDataRole.DecorationRole:
            return self._images.icon(ref) if ref else None
        if role == Qt.ItemDataRole.DisplayRole:
            if not ref:
                return NO_IMAGE
            return MISSING_IMAGE if self._images.is_missing(ref) else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"plate crop {ref}" if ref else "the camera sent no plate image"
        return None

    def on_image_loaded(self, ref: str) -> None:
        """Repaint the thumbnail cells of every row showing that image (one camera can send it twice)."""
        for row in range(self.rowCount()):
            if self.record(row).plate_image_ref == ref:
                cell = self.index(row, IMAGE_COLUMN)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.DisplayRole])


class PlateReadTable(RecordTable):
    def __init__(self, parent: QWidget | None = None, *, images: PlateImages | None = None) -> None:
        super().__init__(COLUMNS, key=_key, parent=parent)
        if images is not None:
            # RecordTable builds a plain model; this one adds the thumbnails (the first one is dropped).
            old_selection = self.selectionModel()
            self.records = PlateReadModel(images)
            self.setModel(self.records)
            old_selection.deleteLater()
            self.verticalHeader().setDefaultSectionSize(images.thumb_height + 6)
            self.setIconSize(QSize(IMAGE_WIDTH - 8, images.thumb_height))
        widths = [80, 90, *([IMAGE_WIDTH] if images is not None else []), 62, 70, 50]
        for column, width in enumerate(widths):
            self.setColumnWidth(column, width)

