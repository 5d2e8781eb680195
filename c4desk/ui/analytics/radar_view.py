"""The speed-radar pilot: did the strobe lights slow traffic down? Speeds at one site before and after a change date.

Mean, 85th-percentile speed and share over the limit before and after, by hour of day, and how often each light
colour would have shown. By default the two periods are equally long (``window`` days either side of the change),
so a season or a school holiday weighs the same on both sides; 0 compares every reading on record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Actor, PermissionDenied
from c4desk.domain.radar import BeforeAfter, RadarSite, SpeedStats
from c4desk.store.radar import RadarRepository
from c4desk.ui.analytics.date_range import local_midnight_utc, local_zone
from c4desk.ui.analytics.plots import PlotPanel, XAxis
from c4desk.ui.analytics.report_print import Report
from c4desk.ui.background import run_in_background

METHOD = ("Before: readings in the chosen days before the change date (from local midnight); after: as many days "
          "from it on. The 85th percentile is interpolated between ordered speeds (the traffic engineer's operating "
          "speed). Over the limit means strictly faster. Light events: readings at or above a band's speed, counted "
          "in the band's colour (per 1,000 readings in brackets). Hours of day are local.")
HOURS = list(range(24))
DEFAULT_WINDOW_DAYS = 28
PERIODS = ("Before", "After")


def _number(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _change(before: float | None, after: float | None, *, percent_points: bool = False) -> str:
    if before is None or after is None:
        return "n/a"
    if percent_points:
        return f"{(after - before) * 100:+.1f} pts"
    return f"{after - before:+.1f}"


def summary_rows(result: BeforeAfter) -> list[tuple[str, str, str, str]]:
    """(measure, before, after, change) rows of the comparison table (also the printed/CSV form)."""
    b, a = result.before.overall, result.after.overall
    rows = [("Readings", str(b.readings), str(a.readings), f"{a.readings - b.readings:+d}"),
            ("Mean speed (km/h)", _number(b.mean_kmh), _number(a.mean_kmh), _change(b.mean_kmh, a.mean_kmh)),
            ("85th percentile (km/h)", _number(b.p85_kmh), _number(a.p85_kmh), _change(b.p85_kmh, a.p85_kmh)),
            (f"Over the limit ({result.speed_limit_kmh:g} km/h)", _share(b.share_over_limit),
             _share(a.share_over_limit), _change(b.share_over_limit, a.share_over_limit, percent_points=True))]
    for colour in b.lights:
        before_n, after_n = b.lights.get(colour, 0), a.lights.get(colour, 0)
        rows.append((f"{colour.capitalize()} light events", f"{before_n} ({_per_thousand(before_n, b)})",
                     f"{after_n} ({_per_thousand(after_n, a)})", f"{after_n - before_n:+d}"))
    return rows


def _per_thousand(count: int, stats: SpeedStats) -> str:
    return "n/a" if not stats.readings else f"{1000 * count / stats.readings:.0f}/1000"


class RadarView(QWidget):
    """``radar``: the store's radar repository; ``actor``: who asks (the service checks VIEW_REPORTS); ``tz``:
    the zone hours of day are counted in (the workstation's by default)."""

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, radar: RadarRepository, actor: Actor | Callable[[], Actor], *, tz: tzinfo | None = None,
                 today: Callable[[], date] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._radar = radar
        self._actor = actor
        self._tz = tz or local_zone()
        self._today = today or date.today
        self._generation = 0
        self._sites: list[RadarSite] = []
        self._asked = False
        self.result: BeforeAfter | None = None

        self.site_combo = QComboBox()
        self.site_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.change_edit = QDateEdit()
        self.change_edit.setCalendarPopup(True)
        self.change_edit.setDisplayFormat("yyyy-MM-dd")
        start = self._today() - timedelta(days=DEFAULT_WINDOW_DAYS)
        self.change_edit.setDate(QDate(start.year, start.month, start.day))
        self.window_spin = QSpinBox()
        self.window_spin.setRange(0, 730)
        self.window_spin.setValue(DEFAULT_WINDOW_DAYS)
        self.window_spin.setSuffix(" days")
        self.window_spin.setSpecialValueText("all readings")
        self.window_spin.setToolTip("Compare this many days before the change with as many days from it on "
                                    "(equal periods); 0 compares every reading on record")
        self.compare_button = QPushButton("Compare")
        self.print_button = QPushButton("Print/Save report...")
        self.print_button.setEnabled(False)
        self.method = QLabel(METHOD)
        self.method.setWordWrap(True)
        self.method.setObjectName("placeholder")  # the theme's muted note style
        self.status = QLabel("Pick a site and the date the lights changed")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Measure", "Before", "After", "Change"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.mean_plot = PlotPanel("Mean speed by hour of day", x_label="hour of day", y_label="km/h")
        self.p85_plot = PlotPanel("85th-percentile speed by hour of day", x_label="hour of day", y_label="km/h")
        self.over_plot = PlotPanel("Share over the limit by hour of day", x_label="hour of day", y_label="%")
        self.lights_plot = PlotPanel("Light events by colour", y_label="events", x_axis=XAxis.CATEGORY)
        self._layout()
        self._connect_signals()

    @property
    def plots(self) -> tuple[PlotPanel, ...]:
        return self.mean_plot, self.p85_plot, self.over_plot, self.lights_plot

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 2, 4, 2)
        for label, widget in (("Site", self.site_combo), ("Lights changed on", self.change_edit),
                              ("Period either side", self.window_spin)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.compare_button)
        controls.addStretch(1)
        controls.addWidget(self.print_button)
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate(self.plots):
            grid.addWidget(plot, i // 2, i % 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.method)
        left.setMinimumWidth(470)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(grid_host)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([470, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def _connect_signals(self) -> None:
        self.compare_button.clicked.connect(self.compare)
        self.print_button.clicked.connect(self.on_print)
        self.site_combo.activated.connect(lambda _: self.compare())
        self.change_edit.editingFinished.connect(self.compare)
        self.window_spin.editingFinished.connect(self.compare)

    # -- loading -------------------------------------------------------------------------------------
    def actor(self) -> Actor:
        return self._actor() if callable(self._actor) else self._actor

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._asked:  # the first look loads; a hidden tab costs nothing at start-up
            self.load_sites()

    def load_sites(self, then_compare: bool = True) -> None:
        """Read the sites (off the GUI thread), then compare at the selected one."""
        self._asked = True
        radar = self._radar
        run_in_background(radar.sites, lambda sites: self._show_sites(sites, then_compare),
                          lambda exc: self._fail(f"Radar sites could not be read: {exc}"))

    def _show_sites(self, sites: list[RadarSite], then_compare: bool) -> None:
        current = self.site_combo.currentData()
        self._sites = sites
        self.site_combo.clear()
        for site in sites:
            self.site_combo.addItem(f"{site.name} ({site.speed_limit_kmh:g} km/h)", site.id)
        if current is not None and (index := self.site_combo.findData(current)) >= 0:
            self.site_combo.setCurrentIndex(index)
        if not sites:
            self.status.setText("No radar sites yet: add one (c4desk radar) or load the demo data")
        elif then_compare:
            self.compare()

    def set_site(self, site_id: str) -> None:
        index = self.site_combo.findData(site_id)
        if index < 0:
            raise KeyError(site_id)
        self.site_combo.setCurrentIndex(index)

    def set_change_date(self, day: date) -> None:
        self.change_edit.setDate(QDate(day.year, day.month, day.day))

    def change_at(self) -> datetime:
        d = self.change_edit.date()
        return local_midnight_utc(date(d.year(), d.month(), d.day()))

    def compare(self) -> None:
        site_id = self.site_combo.currentData()
        if site_id is None:
            return
        self._generation += 1
        generation = self._generation
        change_at, days = self.change_at(), self.window_spin.value()
        since, until = (change_at - timedelta(days=days), change_at + timedelta(days=days)) if days else (None, None)
        radar, actor, tz = self._radar, self.actor(), self._tz
        self.status.setText("Comparing ...")

        def work() -> BeforeAfter:
            return radar.before_after(actor, site_id, change_at, tz=tz, since=since, until=until)

        def done(result: BeforeAfter) -> None:
            if generation == self._generation:
                self.show_result(result)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._fail(str(exc) if isinstance(exc, PermissionDenied | LookupError) else f"Comparison failed: {exc}")

        run_in_background(work, done, failed)

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)

    # -- showing -------------------------------------------------------------------------------------
    def show_result(self, result: BeforeAfter) -> None:
        self.result = result
        rows = summary_rows(result)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        # The whole table in view: its figures are the point of the page, never behind a sideways scroll.
        self.table.resizeColumnsToContents()
        columns = sum(self.table.columnWidth(c) for c in range(self.table.columnCount()))
        self.table.setMinimumWidth(columns + 2 * self.table.frameWidth() + 4)
        self._draw_hours(self.mean_plot, result, lambda s: s.mean_kmh)
        self._draw_hours(self.p85_plot, result, lambda s: s.p85_kmh)
        for plot in (self.mean_plot, self.p85_plot):
            plot.add_hline(result.speed_limit_kmh, f"limit {result.speed_limit_kmh:g}")
        self._draw_over_limit(result)
        self._draw_lights(result)
        before, after = result.before.overall.readings, result.after.overall.readings
        day = result.change_at.astimezone(self._tz).date().isoformat()
        self.status.setText(f"{result.site_id}: {before} reading(s) before {day}, {after} from then on")
        self.print_button.setEnabled(True)
        self.loaded.emit(result)

    @staticmethod
    def _draw_hours(plot: PlotPanel, result: BeforeAfter, value: Callable[[SpeedStats], float | None]) -> None:
        plot.clear()
        for i, (name, period) in enumerate(zip(PERIODS, (result.before, result.after), strict=True)):
            points = [(h, v) for h, s in enumerate(period.by_hour) if (v := value(s)) is not None]
            if points:
                plot.add_line(name, [h for h, _ in points], [v for _, v in points], colour_index=7 if i == 0 else 0,
                              points=True)
        if not plot.series:
            plot.set_message("no readings")

    def _draw_over_limit(self, result: BeforeAfter) -> None:
        plot = self.over_plot
        plot.clear()
        for i, (name, period) in enumerate(zip(PERIODS, (result.before, result.after), strict=True)):
            hours = [(h, s.share_over_limit * 100) for h, s in enumerate(period.by_hour)
                     if s.share_over_limit is not None]
            if hours:
                plot.add_bars(name, [h for h, _ in hours], [v for _, v in hours], width=0.4,
                              offset=-0.2 if i == 0 else 0.2, colour_index=7 if i == 0 else 0)
        if not plot.series:
            plot.set_message("no readings")

    def _draw_lights(self, result: BeforeAfter) -> None:
        plot = self.lights_plot
        plot.clear()
        colours = list(result.before.overall.lights)
        if not colours:
            plot.set_message("the site has no light policy")
            return
        plot.set_categories([c.capitalize() for c in colours])
        for i, (name, period) in enumerate(zip(PERIODS, (result.before, result.after), strict=True)):
            counts = [period.overall.lights.get(c, 0) for c in colours]
            plot.add_bars(name, list(range(len(colours))), counts, width=0.38, offset=-0.2 if i == 0 else 0.2,
                          colour_index=7 if i == 0 else 0)

    # -- the printable report ------------------------------------------------------------------------
    def build_report(self) -> Report:
        if self.result is None:
            raise RuntimeError("compare first")
        result = self.result
        site = next((s for s in self._sites if s.id == result.site_id), None)
        day = result.change_at.astimezone(self._tz).date().isoformat()
        days = self.window_spin.value()
        period = f"{days} days either side" if days else "every reading on record"
        report = Report(f"Speed-radar pilot: {site.name if site else result.site_id}",
                        f"Lights changed on {day}; {period}; limit {result.speed_limit_kmh:g} km/h")
        report.heading("Before and after")
        report.table(["Measure", "Before", "After", "Change"], [list(row) for row in summary_rows(result)])
        for plot in self.plots:
            if plot.series:
                report.image(plot.print_image(), plot.title)
        report.heading("Method")
        report.paragraph(METHOD)
        return report

    def write_report(self, path: Path) -> Path:
        return self.build_report().write(path)

    def on_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save radar report", "radar-report.pdf",
                                              "PDF (*.pdf);;HTML (*.html)")
        if not path:
            return
        try:
            self.write_report(Path(path))
        except (OSError, ValueError) as exc:
            self.status.setText(f"Report not written: {exc}")
            return
        self.status.setText(f"Report written to {path}")
