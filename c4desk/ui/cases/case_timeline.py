"""A case's timeline: every linked item in time order, drawn on lanes (one per kind) above the same items listed.

Moments (an alert, a plate read, a note) are dots; spans (a clip, the window a video search covered) are bars
from their start to their end. Clicking a dot selects its row; double-clicking a row emits ``item_activated``
(the window can take the wall to that moment). Data comes from ``CaseRepository.timeline``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from c4desk.store.cases import TimelineItem
from c4desk.ui import theme
from c4desk.ui.timefmt import local_datetime, local_time

LANES = {"status": ("Case", theme.MUTED), "alert": ("Alerts", theme.BAD), "plate": ("Plates", theme.WARN),
         "plate_read": ("Plate reads", theme.WARN), "trail": ("Trails", "#a371f7"),
         "snapshot": ("Stills", "#39c5cf"), "bookmark": ("Bookmarks", theme.ACCENT), "clip": ("Clips", theme.OK),
         "video_search": ("Searches", "#db61a2"), "note": ("Notes", theme.TEXT), "export": ("Exports", theme.ACCENT)}
KIND_WORDS = {"status": "case", "plate_read": "plate read", "video_search": "video search", "snapshot": "still"}


class CaseTimeline(QWidget):
    item_activated = Signal(object)  # TimelineItem double-clicked in the list

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[TimelineItem] = []
        self.plot = pg.PlotWidget(background=theme.PANEL, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setMinimumHeight(120)
        plot_item = self.plot.getPlotItem()
        plot_item.setMenuEnabled(False)
        plot_item.hideButtons()
        plot_item.showGrid(x=True, y=False, alpha=0.15)
        plot_item.getViewBox().setMouseEnabled(x=True, y=False)
        for name in ("left", "bottom"):
            axis = plot_item.getAxis(name)
            axis.setPen(pg.mkPen(theme.MUTED))
            axis.setTextPen(pg.mkPen(theme.TEXT))
        plot_item.getAxis("left").setWidth(84)  # room for the lane names
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Time", "Kind", "What", "By"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for column, width in enumerate((240, 100, 380)):
            self.list.setColumnWidth(column, width)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.list)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.list.itemDoubleClicked.connect(self._on_double_clicked)

    def set_items(self, items: Sequence[TimelineItem]) -> None:
        self.items = sorted(items, key=lambda i: (i.at, i.kind, i.ref))
        self._fill_list()
        self._draw()

    def lanes(self) -> list[str]:
        """The kinds drawn, top to bottom."""
        present = {i.kind for i in self.items}
        return [kind for kind in LANES if kind in present] + sorted(present - set(LANES))

    def _fill_list(self) -> None:
        self.list.clear()
        for item in self.items:
            when = local_datetime(item.at) + (f" - {local_time(item.end)}" if item.end else "")
            known = item.detail.get("time_known", True)
            row = QTreeWidgetItem([when if known else f"{when} (linked)", KIND_WORDS.get(item.kind, item.kind),
                                   item.title, item.by])
            if not known:
                row.setForeground(0, QColor(theme.MUTED))
                row.setToolTip(0, "When it was linked: the item has no time of its own")
            row.setForeground(1, QColor(LANES.get(item.kind, ("", theme.TEXT))[1]))
            row.setToolTip(2, item.title)
            self.list.addTopLevelItem(row)

    def _draw(self) -> None:
        plot_item = self.plot.getPlotItem()
        plot_item.clear()
        lanes = self.lanes()
        self.plot.setVisible(bool(self.items))  # empty axes say nothing
        if not self.items:
            return
        y_of = {kind: len(lanes) - 1 - n for n, kind in enumerate(lanes)}  # the first lane on top
        plot_item.getAxis("left").setTicks([[(float(y), LANES.get(k, (k, ""))[0]) for k, y in y_of.items()]])
        for kind in lanes:
            colour = LANES.get(kind, ("", theme.TEXT))[1]
            moments = [(n, i) for n, i in enumerate(self.items) if i.kind == kind and i.end is None]
            spans = [i for i in self.items if i.kind == kind and i.end is not None]
            y = float(y_of[kind])
            if spans:
                xs = np.array([[s.at.timestamp(), s.end.timestamp()] for s in spans if s.end]).ravel()
                plot_item.addItem(pg.PlotDataItem(xs, np.full(len(xs), y), connect="pairs",
                                                  pen=pg.mkPen(colour, width=8)))
                starts = [(n, i) for n, i in enumerate(self.items) if i.kind == kind and i.end is not None]
                moments += starts  # their start is clickable too
            if moments:
                dots = pg.ScatterPlotItem([i.at.timestamp() for _, i in moments], [y] * len(moments), size=9,
                                          brush=[pg.mkBrush(colour if i.detail.get("time_known", True)
                                                            else theme.PANEL) for _, i in moments],
                                          pen=pg.mkPen(colour), data=[n for n, _ in moments])
                dots.sigClicked.connect(self._on_dots_clicked)
                plot_item.addItem(dots)
        # Items whose time is not known (a plate linked as a whole) sit at their link time: drawn hollow, and left
        # out of the initial view so they do not squeeze the incident into a corner.
        timed = [i for i in self.items if i.detail.get("time_known", True)] or self.items
        first = min(i.at.timestamp() for i in timed)
        last = max((i.end or i.at).timestamp() for i in timed)
        margin = max(30.0, (last - first) * 0.04)
        plot_item.setXRange(first - margin, last + margin, padding=0)
        plot_item.setYRange(-0.6, len(lanes) - 0.4, padding=0)

    def _on_dots_clicked(self, _item: object, points: Sequence[object]) -> None:
        if points:
            self.select(int(points[0].data()))  # type: ignore[attr-defined]

    def select(self, index: int) -> None:
        row = self.list.topLevelItem(index)
        if row is not None:
            self.list.setCurrentItem(row)
            self.list.scrollToItem(row)

    def _on_double_clicked(self, row: QTreeWidgetItem, _column: int) -> None:
        index = self.list.indexOfTopLevelItem(row)
        if 0 <= index < len(self.items):
            self.item_activated.emit(self.items[index])
