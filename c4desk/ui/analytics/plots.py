"""One plot panel for every chart of the centre's figures: a dark pyqtgraph plot, a title, a legend, and a toolbar
that exports the picture (PNG) and the numbers behind it (CSV).

The panel keeps the data it plotted (``series``), so CSV export and the tests read exactly what is on screen.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from c4desk.ui import theme

# Series colours that stay apart on the dark background and on paper; charts pick them by index so a meaning
# (useful video = green) keeps its colour across charts and periods.
PALETTE = (theme.ACCENT, theme.WARN, theme.OK, "#a371f7", theme.BAD, "#39c5cf", "#db61a2", theme.MUTED)
DAY = 86_400.0
LEGEND_COLUMNS = 4


@dataclass(frozen=True)
class Style:
    background: str
    text: str
    muted: str


SCREEN = Style(theme.PANEL, theme.TEXT, theme.MUTED)
PAPER = Style("#ffffff", "#111111", "#555555")  # printed reports: black on white


class XAxis(Enum):
    NUMBER = "number"  # plain numbers (hour of day 0-23, minutes)
    TIME = "time"  # epoch seconds, shown as local dates/times
    CATEGORY = "category"  # 0, 1, 2 ... named by tick labels


class Kind(Enum):
    LINE = "line"
    BARS = "bars"
    ERROR = "error"  # a value with a lower and upper bound (a confidence interval)
    POINTS = "points"  # a scatter of records


@dataclass(frozen=True)
class Series:
    """What one plotted item shows, kept for CSV export and for tests that check the chart, not its pixels."""

    name: str
    kind: Kind
    x: tuple[float, ...]
    y: tuple[float, ...]
    lower: tuple[float, ...] = ()
    upper: tuple[float, ...] = ()


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


class PlotPanel(QWidget):
    """A titled chart with Export PNG / Export CSV. After ``clear()``, draw with ``add_bars``/``add_line``/
    ``add_scatter``/``add_error_bars`` (plus ``add_hline``/``add_text`` for reference lines and labels, which are
    not data), then ``finish()``; ``set_message`` puts a note beside the title ("loading ...", "no alerts")."""

    def __init__(self, title: str, *, x_label: str = "", y_label: str = "", x_axis: XAxis = XAxis.NUMBER,
                 legend: bool = True, right_label: str = "", time_format: str = "",
                 parent: QWidget | None = None) -> None:
        """``right_label`` adds a second y axis on the right (``add_line(..., right=True)``) for a series of
        another unit; ``time_format`` (strftime, local time) writes CSV times as e.g. dates, not instants."""
        super().__init__(parent)
        self.title = title
        self.x_axis = x_axis
        self._time_format = time_format
        self._x_label = x_label or ("time" if x_axis is XAxis.TIME else "x")
        self._categories: list[str] = []
        self._series: list[Series] = []
        self._legend_wanted = legend
        # Every drawing call, so a print copy of the chart can be drawn again at paper size (``print_image``).
        self._ops: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.setObjectName("plotPanel")

        axis_items = {"bottom": pg.DateAxisItem(orientation="bottom")} if x_axis is XAxis.TIME else {}
        self.plot = pg.PlotWidget(background=theme.PANEL, axisItems=axis_items)
        self.plot.setMinimumHeight(160)
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        # A year of hourly points: draw only what is in view, thinned to the pixels (peaks kept).
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self._axis_labels = {"bottom": x_label, "left": y_label, "right": right_label}
        self._right = self._right_view() if right_label else None
        self._outlines: list[pg.ErrorBarItem] = []  # items drawn in the foreground colour (whiskers)
        self._labels: list[pg.TextItem] = []
        self._top_left = self._top_right = 0.0  # the highest value drawn against each y axis
        self._y_cap: float | None = None
        self.legend = self._legend_row(item) if legend else None
        self._apply_style(SCREEN)

        self.title_label = QLabel(f"<b>{title}</b>")
        self.message = QLabel()
        self.message.setStyleSheet(f"color: {theme.MUTED}; background: transparent;")
        # A long note must not widen the chart (and push a dock into scrolling sideways): it is cut instead,
        # and the whole note is the tooltip.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.png_button = QPushButton("Export PNG")
        self.csv_button = QPushButton("Export CSV")
        for button in (self.png_button, self.csv_button):
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.png_button.clicked.connect(self.on_export_png)
        self.csv_button.clicked.connect(self.on_export_csv)

        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        header.addWidget(self.title_label)
        header.addWidget(self.message, 1)
        header.addWidget(self.png_button)
        header.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)
        self._update_buttons()

    # -- content -------------------------------------------------------------------------------------
    @property
    def series(self) -> list[Series]:
        return list(self._series)

    def clear(self) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        item.enableAutoRange()  # ``finish``/``set_y_range`` fixed the range for the previous data
        if self._right is not None:
            self._right.clear()
            self._right.enableAutoRange()
        if self.legend is not None:
            self.legend.clear()  # the right view's entries are not the plot item's to remove
        self._series = []
        self._outlines = []
        self._labels = []
        self._ops = []
        self._top_left = self._top_right = 0.0
        self._y_cap = None
        self._categories = []
        self.set_message("")
        self._update_buttons()

    def set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)

    def set_categories(self, labels: Sequence[str]) -> None:
        """Name the x positions 0..n-1 (a category axis): outcome names, month names, 'with video' ..."""
        self._ops.append(("set_categories", (labels,), {}))
        self._categories = list(labels)
        ticks = [(float(i), label) for i, label in enumerate(self._categories)]
        self.plot.getPlotItem().getAxis("bottom").setTicks([ticks])

    def add_line(self, name: str, x: Sequence[float], y: Sequence[float], *, colour_index: int | None = None,
                 points: bool = False, right: bool = False, step: bool = False) -> None:
        """A line (with dots when ``points``; as steps when ``step``, each value held until the next x), on the
        right-hand axis when ``right``."""
        self._ops.append(("add_line", (name, x, y),
                          {"colour_index": colour_index, "points": points, "right": right, "step": step}))
        pen = pg.mkPen(self._next_colour(colour_index), width=2)
        symbol = {"symbol": "o", "symbolSize": 5, "symbolBrush": pen.color(), "symbolPen": None} if points else {}
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if step and len(xs):
            # Each value held until the next x (the last for one more interval), drawn as corner points: pyqtgraph's
            # own stepMode breaks under clip-to-view and downsampling.
            ends = np.append(xs[1:], xs[-1] + (xs[-1] - xs[-2] if len(xs) > 1 else 1.0))
            xs, ys = np.column_stack((xs, ends)).ravel(), np.repeat(ys, 2)
        curve = pg.PlotDataItem(xs, ys, pen=pen, name=name, **symbol)
        self._add_item(curve, right=right)
        if self.legend is not None and right:  # the plot item lists its own named items, not the right view's
            self.legend.addItem(curve, name)
        self._remember(Series(name, Kind.LINE, _floats(x), _floats(y)), right=right, top=_top(ys))

    def add_scatter(self, name: str, x: Sequence[float], y: Sequence[float], *, colour_index: int | None = None,
                    size: float = 5) -> None:
        """Dots, one per record (x values may repeat; CSV export then lists one row per dot)."""
        self._ops.append(("add_scatter", (name, x, y), {"colour_index": colour_index, "size": size}))
        brush = pg.mkBrush(self._next_colour(colour_index))
        dots = pg.ScatterPlotItem(np.asarray(x, dtype=float), np.asarray(y, dtype=float), size=size, brush=brush,
                                  pen=None, name=name)
        self._add_item(dots)
        self._remember(Series(name, Kind.POINTS, _floats(x), _floats(y)), top=_top(y))

    def add_bars(self, name: str, x: Sequence[float], y: Sequence[float], *, width: float = 0.8,
                 offset: float = 0.0, base: Sequence[float] | None = None,
                 colour_index: int | None = None) -> None:
        """Bars centred on ``x + offset``; ``base`` stacks them on earlier bars (bottom of each bar)."""
        self._ops.append(("add_bars", (name, x, y),
                          {"width": width, "offset": offset, "base": base, "colour_index": colour_index}))
        brush = pg.mkBrush(self._next_colour(colour_index))
        xs = np.asarray(x, dtype=float) + offset
        heights = np.asarray(y, dtype=float)
        y0 = np.zeros(len(heights)) if base is None else np.asarray(base, dtype=float)
        bars = pg.BarGraphItem(x=xs, height=heights, width=width, y0=y0, brush=brush, pen=pg.mkPen(theme.BG))
        self.plot.addItem(bars)
        if self.legend is not None:
            self.legend.addItem(bars, name)
        self._remember(Series(name, Kind.BARS, _floats(x), _floats(y)), top=_top(y0 + heights))

    def add_error_bars(self, name: str, x: Sequence[float], y: Sequence[float], lower: Sequence[float],
                       upper: Sequence[float], *, offset: float = 0.0, beam: float = 0.2) -> None:
        """Whiskers from ``lower`` to ``upper`` around ``y`` (e.g. a 95% confidence interval)."""
        self._ops.append(("add_error_bars", (name, x, y, lower, upper), {"offset": offset, "beam": beam}))
        ys = np.asarray(y, dtype=float)
        errors = pg.ErrorBarItem(x=np.asarray(x, dtype=float) + offset, y=ys,
                                 top=np.asarray(upper, dtype=float) - ys, bottom=ys - np.asarray(lower, dtype=float),
                                 beam=beam, pen=pg.mkPen(self._style.text, width=1.5))
        self.plot.addItem(errors)
        self._outlines.append(errors)
        self._remember(Series(name, Kind.ERROR, _floats(x), _floats(y), _floats(lower), _floats(upper)),
                       top=_top(upper))

    def add_hline(self, y: float, label: str = "") -> None:
        """A dashed reference line (a speed limit, a target); not data, so not in the CSV."""
        self._ops.append(("add_hline", (y, label), {}))
        line = pg.InfiniteLine(pos=y, angle=0, pen=pg.mkPen(theme.BAD, width=1, style=Qt.PenStyle.DashLine),
                               label=label or None, labelOpts={"color": theme.BAD, "position": 0.05})
        self.plot.addItem(line)

    def add_text(self, x: float, y: float, text: str) -> None:
        """A value written over a bar or point (anchored bottom-centre); not data, so not in the CSV."""
        self._ops.append(("add_text", (x, y, text), {}))
        label = pg.TextItem(text, color=self._style.text, anchor=(0.5, 1.0))
        label.setPos(x, y)
        self.plot.addItem(label)
        self._labels.append(label)

    def set_x_range(self, low: float, high: float) -> None:
        """Show exactly this x span (a dashboard's period), whether or not data fills it."""
        self._ops.append(("set_x_range", (low, high), {}))
        self.plot.getPlotItem().setXRange(low, high, padding=0.01)

    def cap_y(self, top: float) -> None:
        """``finish`` stops the left axis at ``top`` even if values go higher (a long tail that would flatten the
        bulk); the caller says in the message how many are above it."""
        self._ops.append(("cap_y", (top,), {}))
        self._y_cap = top

    def set_y_range(self, low: float, high: float) -> None:
        self._ops.append(("set_y_range", (low, high), {}))
        self.plot.getPlotItem().setYRange(low, high, padding=0.02)

    def _add_item(self, item: pg.GraphicsObject, *, right: bool = False) -> None:
        if right:
            if self._right is None:
                raise ValueError(f"{self.title}: no right-hand axis (give right_label)")
            self._right.addItem(item)
        else:
            self.plot.addItem(item)

    @staticmethod
    def _legend_row(item: pg.PlotItem) -> pg.LegendItem:
        """The legend in the plot item's title row, above the data (a legend floating in the plot hides bars);
        the row shrinks to nothing while the legend is empty. Inside the plot item, so PNG exports include it."""
        legend = pg.LegendItem(offset=None, colCount=LEGEND_COLUMNS)
        item.layout.removeItem(item.titleLabel)
        item.titleLabel.hide()
        legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        # pyqtgraph's legend floats over a view box at a fixed pixel size; in the layout it must scale with the
        # plot, or an exported (larger) image gets a legend of screen size.
        legend.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
        item.layout.addItem(legend, 0, 1)
        item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignLeft)
        item.layout.setRowMinimumHeight(0, 0)
        item.layout.setRowMaximumHeight(0, 1000)
        item.legend = legend  # named items added to the plot item list themselves in it
        return legend

    def _right_view(self) -> pg.ViewBox:
        """A second view box sharing the x axis, scaled by the right-hand axis (pyqtgraph's MultiplePlotAxes)."""
        item = self.plot.getPlotItem()
        view = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(view)
        item.getAxis("right").linkToView(view)
        view.setZValue(item.vb.zValue() + 1)  # its line over the main view's bars
        view.setXLink(item.vb)

        def follow() -> None:
            view.setGeometry(item.vb.sceneBoundingRect())
            view.linkedViewChanged(item.vb, view.XAxis)

        item.vb.sigResized.connect(follow)
        follow()
        return view

    def _apply_style(self, style: Style) -> None:
        self._style = style
        self.plot.setBackground(style.background)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom", "right"):
            if name == "right" and not self._axis_labels["right"]:
                continue
            axis = item.getAxis(name)
            axis.enableAutoSIPrefix(False)  # rates and counts read as they are, never "(x0.001)"
            axis.setPen(pg.mkPen(style.muted))
            axis.setTextPen(pg.mkPen(style.text))
            if self._axis_labels[name]:
                item.setLabel(name, self._axis_labels[name], color=style.muted)
        if self.legend is not None:
            self.legend.setLabelTextColor(style.text)
            for _sample, label in self.legend.items:
                label.setText(label.text)  # setLabelTextColor only applies to text set afterwards
        for outline in self._outlines:
            outline.setData(pen=pg.mkPen(style.text, width=1.5))
        for label in self._labels:
            label.setColor(style.text)

    def _next_colour(self, index: int | None) -> str:
        return colour(len(self._series) if index is None else index)

    def finish(self) -> None:
        """After drawing counts and durations: each y axis runs from 0 to the highest value (0..1 when there
        is none), so a small change never looks like a cliff and an empty chart does not centre on 0."""
        self._ops.append(("finish", (), {}))
        left = min(self._top_left, self._y_cap) if self._y_cap is not None else self._top_left
        for top, view in ((left, self.plot.getPlotItem().vb), (self._top_right, self._right)):
            if view is not None:
                view.setYRange(0, top if top > 0 else 1, padding=0.05)

    def _remember(self, series: Series, *, right: bool = False, top: float = 0.0) -> None:
        if right:
            self._top_right = max(self._top_right, top)
        else:
            self._top_left = max(self._top_left, top)
        self._series.append(series)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_data = any(s.x for s in self._series)
        self.png_button.setEnabled(has_data)
        self.csv_button.setEnabled(has_data)

    # -- export --------------------------------------------------------------------------------------
    def image(self, width: int = 1200, *, light: bool = False) -> QImage:
        """The chart (plot area, axes and legend) rendered at ``width`` pixels, for PNG files and reports;
        ``light`` draws it black on white for paper, then puts the screen colours back."""
        if light:
            self._apply_style(PAPER)
        try:
            exporter = pyqtgraph.exporters.ImageExporter(self.plot.getPlotItem())
            exporter.parameters()["width"] = width
            result = exporter.export(toBytes=True)
        finally:
            if light:
                self._apply_style(SCREEN)
        assert isinstance(result, QImage)
        return result

    def print_image(self, width: int = 760, height: int = 360, scale: int = 2) -> QImage:
        """The chart redrawn black on white in a ``width`` x ``height`` plot (about the text width of a page, so
        its labels print at a readable size), rendered at ``scale`` times that for sharp print."""
        copy = PlotPanel(self.title, x_label=self._axis_labels["bottom"], y_label=self._axis_labels["left"],
                         x_axis=self.x_axis, legend=self._legend_wanted, right_label=self._axis_labels["right"],
                         time_format=self._time_format)
        for name, args, kwargs in self._ops:
            getattr(copy, name)(*args, **kwargs)
        # A hidden widget gets no resize event, so size the plot item itself (what PlotWidget's resize would do).
        copy.plot.getPlotItem().setGeometry(QRectF(0, 0, width, height))
        try:
            return copy.image(width * scale, light=True)
        finally:
            copy.deleteLater()

    def export_png(self, path: Path, width: int = 1200) -> None:
        if not self.image(width).save(str(path), "PNG"):  # type: ignore[call-overload]  # stub wants bytes
            raise OSError(f"could not write {path}")

    def export_csv(self, path: Path) -> None:
        """One row per x value, one column per series (and its bounds for intervals); blank where a series has
        no value at that x. Times are local ISO 8601 with their UTC offset (or ``time_format``). When an x repeats
        within a series (a scatter of records), one row per point instead: series, x, y."""
        if any(len(set(s.x)) < len(s.x) for s in self._series):
            self._export_long_csv(path)
            return
        columns: list[tuple[str, dict[float, float]]] = []
        for s in self._series:
            columns.append((s.name, dict(zip(s.x, s.y, strict=True))))
            if s.kind is Kind.ERROR:
                columns.append((f"{s.name} low", dict(zip(s.x, s.lower, strict=True))))
                columns.append((f"{s.name} high", dict(zip(s.x, s.upper, strict=True))))
        xs = sorted({x for s in self._series for x in s.x})
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([self._x_label, *(name for name, _ in columns)])
            for x in xs:
                writer.writerow([self.format_x(x), *(_cell(values.get(x)) for _, values in columns)])

    def _export_long_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["series", self._x_label, "value"])
            for s in self._series:
                for x, y in zip(s.x, s.y, strict=True):
                    writer.writerow([s.name, self.format_x(x), _cell(y)])

    def format_x(self, x: float) -> str:
        if self.x_axis is XAxis.TIME:
            local = datetime.fromtimestamp(x).astimezone()
            return local.strftime(self._time_format) if self._time_format else local.isoformat(timespec="seconds")
        if self.x_axis is XAxis.CATEGORY and x.is_integer() and 0 <= int(x) < len(self._categories):
            return self._categories[int(x)]
        return _cell(x)

    def on_export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart", f"{_slug(self.title)}.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path))
            self.set_message(f"Saved {path}")

    def on_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export data", f"{_slug(self.title)}.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))
            self.set_message(f"Saved {path}")


def _top(values: Sequence[float] | np.ndarray) -> float:
    array = np.asarray(values, dtype=float)
    return float(np.nanmax(array)) if array.size else 0.0


def _floats(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "chart"
