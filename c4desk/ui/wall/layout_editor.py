"""The custom layout editor: pick a grid size, drag across cells, merge them into one tile or split one back.

All the rules (what may merge, what a split gives) are ``domain.layouts``; this is only the picture of it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.layouts import MAX_GRID, PRESETS, Layout, LayoutError, TileRect, merge, resized, split
from c4desk.ui import theme

__all__ = ["LayoutCanvas", "LayoutEditor"]


class LayoutCanvas(QWidget):
    """Draws a layout's tiles; a mouse drag selects a rectangle of cells."""

    selection_changed = Signal()

    def __init__(self, layout: Layout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_value = layout
        self._anchor: tuple[int, int] | None = None
        self._selection: TileRect | None = None
        self.setMinimumSize(320, 180)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    @property
    def selection(self) -> TileRect | None:
        return self._selection

    def set_layout(self, layout: Layout) -> None:
        self.layout_value = layout
        self._selection = None
        self.selection_changed.emit()
        self.update()

    def select_cells(self, col0: int, row0: int, col1: int, row1: int) -> None:
        c0, c1 = sorted((col0, col1))
        r0, r1 = sorted((row0, row1))
        self._selection = TileRect(row=r0, col=c0, rows=r1 - r0 + 1, cols=c1 - c0 + 1)
        self.selection_changed.emit()
        self.update()

    def _cell_at(self, pos: QPoint) -> tuple[int, int]:
        lay = self.layout_value
        col = min(lay.cols - 1, max(0, int(pos.x() * lay.cols / max(1, self.width()))))
        row = min(lay.rows - 1, max(0, int(pos.y() * lay.rows / max(1, self.height()))))
        return col, row

    def mousePressEvent(self, event: QMouseEvent) -> None:
        col, row = self._cell_at(event.position().toPoint())
        self._anchor = (col, row)
        index = self.layout_value.tile_at(col, row)
        if index is not None:  # a click selects the whole tile under it
            t = self.layout_value.tiles[index]
            self.select_cells(t.col, t.row, t.col + t.cols - 1, t.row + t.rows - 1)
        else:
            self.select_cells(col, row, col, row)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._anchor is not None and event.buttons() & Qt.MouseButton.LeftButton:
            col, row = self._cell_at(event.position().toPoint())
            self.select_cells(self._anchor[0], self._anchor[1], col, row)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._anchor = None

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BG))
        lay = self.layout_value
        cw, ch = self.width() / lay.cols, self.height() / lay.rows
        p.setPen(QPen(QColor(theme.RAISED), 1, Qt.PenStyle.DashLine))
        for c in range(1, lay.cols):
            p.drawLine(int(c * cw), 0, int(c * cw), self.height())
        for r in range(1, lay.rows):
            p.drawLine(0, int(r * ch), self.width(), int(r * ch))
        for i, t in enumerate(lay.tiles):
            rect = QRectF(t.col * cw + 2, t.row * ch + 2, t.cols * cw - 4, t.rows * ch - 4)
            p.setPen(QPen(QColor(theme.MUTED), 1))
            p.setBrush(QColor(theme.PANEL))
            p.drawRect(rect)
            p.setPen(QColor(theme.TEXT))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(i + 1))
        if self._selection is not None:
            s = self._selection
            p.setPen(QPen(QColor(theme.ACCENT), 2))
            p.setBrush(QColor(61, 139, 253, 60))
            p.drawRect(QRectF(s.col * cw + 1, s.row * ch + 1, s.cols * cw - 2, s.rows * ch - 2))
        p.end()


class LayoutEditor(QDialog):
    """Edit a layout; ``result_layout`` holds it after the dialog is accepted."""

    def __init__(self, layout: Layout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom layout")
        self.canvas = LayoutCanvas(layout, self)
        self.presets = QComboBox(self)
        self.presets.addItem("Start from a preset...")
        self.presets.addItems(list(PRESETS))
        self.cols = QSpinBox(self)
        self.rows = QSpinBox(self)
        for spin, value in ((self.cols, layout.cols), (self.rows, layout.rows)):
            spin.setRange(1, MAX_GRID)
            spin.setValue(value)
        self.merge_button = QPushButton("Merge selected cells", self)
        self.split_button = QPushButton("Split tile", self)
        self.problem = QLabel(self)
        self.problem.setStyleSheet(f"color: {theme.WARN};")
        self.summary = QLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        top = QHBoxLayout()
        top.addWidget(self.presets)
        top.addWidget(QLabel("columns"))
        top.addWidget(self.cols)
        top.addWidget(QLabel("rows"))
        top.addWidget(self.rows)
        tools = QHBoxLayout()
        tools.addWidget(self.merge_button)
        tools.addWidget(self.split_button)
        tools.addStretch(1)
        tools.addWidget(self.summary)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.canvas, 1)
        box.addLayout(tools)
        box.addWidget(self.problem)
        box.addWidget(buttons)
        self.presets.activated.connect(self._on_preset)
        self.cols.valueChanged.connect(self._on_grid_size)
        self.rows.valueChanged.connect(self._on_grid_size)
        self.merge_button.clicked.connect(self.merge_selection)
        self.split_button.clicked.connect(self.split_selection)
        self.canvas.selection_changed.connect(self._update_buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._update_buttons()

    @property
    def result_layout(self) -> Layout:
        return self.canvas.layout_value

    def _set(self, layout: Layout) -> None:
        for spin, value in ((self.cols, layout.cols), (self.rows, layout.rows)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.canvas.set_layout(layout)
        self.problem.clear()

    def _on_preset(self, index: int) -> None:
        if index > 0:
            self._set(PRESETS[self.presets.itemText(index)])

    def _on_grid_size(self) -> None:
        self._set(resized(self.result_layout, self.cols.value(), self.rows.value()))

    def merge_selection(self) -> None:
        sel = self.canvas.selection
        if sel is None:
            return
        try:
            self._set(merge(self.result_layout, sel))
        except LayoutError as exc:
            self.problem.setText(str(exc))

    def split_selection(self) -> None:
        index = self._selected_tile()
        if index is not None:
            self._set(split(self.result_layout, index))

    def _selected_tile(self) -> int | None:
        sel = self.canvas.selection
        if sel is None:
            return None
        index = self.result_layout.tile_at(sel.col, sel.row)
        return index if index is not None and self.result_layout.tiles[index] == sel else None

    def _update_buttons(self) -> None:
        sel = self.canvas.selection
        index = self._selected_tile()
        self.merge_button.setEnabled(sel is not None and sel.cols * sel.rows > 1 and index is None)
        self.split_button.setEnabled(index is not None and sel is not None and sel.cols * sel.rows > 1)
        lay = self.result_layout
        holes = "" if lay.is_complete else ", some cells empty"
        self.summary.setText(f"{len(lay)} tiles on {lay.cols}x{lay.rows}{holes}")
