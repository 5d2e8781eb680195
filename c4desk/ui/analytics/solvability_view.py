"""The solvability study on screen: are cases with a video component cleared more often than cases without?

Both clearance rates with their 95% Wilson intervals (bars with whiskers), the counts, the relative increase,
Fisher's exact p, and every case left out with its reason; "Print/Save report" writes it all as PDF or HTML.
The figures come from ``ReportRepository.solvability`` (which checks the actor may view reports), off the GUI
thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Actor, PermissionDenied
from c4desk.domain.statistics import GroupRate, SolvabilityResult
from c4desk.store.reports import ReportRepository
from c4desk.store.solvability import normalise_types
from c4desk.ui import theme
from c4desk.ui.analytics.date_range import DateRangeBar
from c4desk.ui.analytics.plots import PlotPanel, XAxis
from c4desk.ui.analytics.report_print import Report
from c4desk.ui.background import run_in_background

GROUPS = ("With video", "Without video")
SIGNIFICANCE = 0.05
METHOD = ("Clearance rate = cleared cases / cases. 95% intervals are Wilson score intervals. The p-value is the "
          "two-sided Fisher exact test on the 2x2 table (with/without video x cleared/not cleared). A case has a "
          "video component when its record says so (RMS import), otherwise when a video search found useful video "
          "or a clip tagged to it was not rejected. Cases marked unsolvable for reasons outside video are left out "
          "and listed.")


def percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def interval(ci: tuple[float, float] | None) -> str:
    return "n/a" if ci is None else f"{ci[0] * 100:.1f}% - {ci[1] * 100:.1f}%"


def increase(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.0f}%"


def p_value(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def verdict(result: SolvabilityResult) -> str:
    """One honest sentence on what the test says (and does not say)."""
    if result.fisher_p is None:
        return "Not enough cases to compare: each group needs at least one case."
    if result.fisher_p < SIGNIFICANCE:
        return (f"The difference is statistically significant at the 5% level (Fisher p = {p_value(result.fisher_p)})."
                " It shows association, not that video caused the clearances.")
    return (f"The difference is not statistically significant at the 5% level (Fisher p = "
            f"{p_value(result.fisher_p)}): it could be chance with these counts.")


class SolvabilityView(QWidget):
    """``reports``: the store's report repository; ``actor``: who is asking (the service checks VIEW_REPORTS).

    Emits ``loaded(result)`` after each run (tests wait on it) and ``failed(message)``."""

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, reports: ReportRepository, actor: Actor | Callable[[], Actor], *,
                 today: Callable[[], date] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reports = reports
        self._asked = False
        self._actor = actor
        self._generation = 0
        self.result: SolvabilityResult | None = None
        self._period: tuple[datetime, datetime] | None = None
        self._types: tuple[str, ...] = ()

        self.range_bar = DateRangeBar(days=365, today=today)
        self.types_edit = QLineEdit()
        self.types_edit.setPlaceholderText("Case types, comma-separated (all if empty), e.g. firearm_assault")
        self.run_button = QPushButton("Run")
        self.print_button = QPushButton("Print/Save report...")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.chart = PlotPanel("Clearance rate with and without video", y_label="cleared (%)",
                               x_axis=XAxis.CATEGORY, legend=False)
        self.table = _table(["Group", "Cases", "Cleared", "Rate", "95% interval"])
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.excluded_title = QLabel("Excluded cases")
        self.excluded = _table(["Case", "Type", "Reason"])
        self._layout()
        self._connect_signals()
        self._update_buttons()

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Types:"))
        controls.addWidget(self.types_edit, 1)
        controls.addWidget(self.run_button)
        controls.addWidget(self.print_button)
        figures = QWidget()
        column = QVBoxLayout(figures)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table)
        column.addWidget(self.summary)
        column.addWidget(self.excluded_title)
        column.addWidget(self.excluded, 1)
        # A wrapped label must get the height its text needs, not what the table leaves over.
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + rows + 2 * self.table.frameWidth())
        figures.setMinimumWidth(460)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.chart)
        splitter.addWidget(figures)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.range_bar)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def _connect_signals(self) -> None:
        self.range_bar.range_changed.connect(lambda *_: self.reload())
        self.types_edit.returnPressed.connect(self.reload)
        self.run_button.clicked.connect(self.reload)
        self.print_button.clicked.connect(self.on_print)

    # -- loading -------------------------------------------------------------------------------------
    def actor(self) -> Actor:
        return self._actor() if callable(self._actor) else self._actor

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._asked:  # the first look runs the study; a hidden tab costs nothing at start-up
            self.reload()

    def reload(self) -> None:
        """Run the study for the bar's period and the typed case types, off the GUI thread."""
        self._asked = True
        self._generation += 1
        generation = self._generation
        since, until = self.range_bar.span()
        types = normalise_types(self.types_edit.text().split(","))
        reports, actor = self._reports, self.actor()
        self.status.setText("Computing ...")

        def work() -> SolvabilityResult:
            return reports.solvability(actor, since=since, until=until, types=types)

        def done(result: SolvabilityResult) -> None:
            if generation == self._generation:
                self._period, self._types = (since, until), types
                self.show_result(result)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            message = str(exc) if isinstance(exc, PermissionDenied) else f"The study failed: {exc}"
            self.status.setText(message)
            self.failed.emit(message)

        run_in_background(work, done, failed)

    # -- showing -------------------------------------------------------------------------------------
    def show_result(self, result: SolvabilityResult) -> None:
        self.result = result
        groups = (result.with_video, result.without_video)
        self._draw_chart(self.chart, groups)
        for row, (name, group) in enumerate(zip(GROUPS, groups, strict=True)):
            for column, text in enumerate(_group_cells(name, group)):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        colour = theme.OK if result.fisher_p is not None and result.fisher_p < SIGNIFICANCE else theme.MUTED
        self.summary.setText(
            f"Relative increase with video: <b>{increase(result.relative_increase)}</b><br>"
            f"Fisher's exact test (two-sided): <b>p = {p_value(result.fisher_p)}</b><br>"
            f"<span style='color:{colour}'>{verdict(result)}</span>")
        self.excluded.setRowCount(len(result.excluded))
        for row, exclusion in enumerate(result.excluded):
            for column, text in enumerate((exclusion.number, exclusion.case_type, exclusion.reason)):
                self.excluded.setItem(row, column, QTableWidgetItem(text))
        self.excluded_title.setText(f"Excluded cases ({len(result.excluded)}): not counted in either group")
        total = result.with_video.cases + result.without_video.cases
        self.status.setText(f"{total} case(s) counted, {len(result.excluded)} excluded; {self._describe_scope()}")
        self._update_buttons()
        self.loaded.emit(result)

    @staticmethod
    def _draw_chart(chart: PlotPanel, groups: tuple[GroupRate, GroupRate]) -> None:
        chart.clear()
        chart.set_categories(GROUPS)
        for i, group in enumerate(groups):
            if group.rate is None or group.ci95 is None:
                chart.add_text(float(i), 2.0, "no cases")
                continue
            rate = group.rate * 100
            chart.add_bars(GROUPS[i], [i], [rate], width=0.55, colour_index=0 if i == 0 else 7)
            low, high = group.ci95[0] * 100, group.ci95[1] * 100
            chart.add_error_bars(f"{GROUPS[i]} 95% interval", [i], [rate], [low], [high], beam=0.15)
            chart.add_text(float(i), high + 3, f"{rate:.1f}%  ({group.cleared}/{group.cases})")
        chart.set_y_range(0, 110)

    def _describe_scope(self) -> str:
        if self._period is None:
            return ""
        since, until = self._period
        first, last = since.astimezone().date(), (until - timedelta(seconds=1)).astimezone().date()
        types = ", ".join(self._types) if self._types else "all types"
        return f"cases opened {first.isoformat()} to {last.isoformat()}, {types}"

    def _update_buttons(self) -> None:
        self.print_button.setEnabled(self.result is not None)

    # -- the printable report ------------------------------------------------------------------------
    def build_report(self) -> Report:
        if self.result is None:
            raise RuntimeError("run the study first")
        result = self.result
        report = Report("Solvability: cases with and without video", self._describe_scope())
        report.heading("Clearance rates")
        report.table(["Group", "Cases", "Cleared", "Rate", "95% interval"],
                     [[name, group.cases, group.cleared, percent(group.rate), interval(group.ci95)] for name, group in
                      zip(GROUPS, (result.with_video, result.without_video), strict=True)])
        report.paragraph(f"Relative increase with video: {increase(result.relative_increase)}. "
                         f"Fisher's exact test (two-sided): p = {p_value(result.fisher_p)}.")
        report.paragraph(verdict(result))
        report.image(self.chart.print_image(), "Clearance rate by group; whiskers are 95% Wilson intervals.")
        report.heading(f"Excluded cases ({len(result.excluded)})")
        if result.excluded:
            report.table(["Case", "Type", "Reason"], [[e.number, e.case_type, e.reason] for e in result.excluded])
        else:
            report.paragraph("None.")
        report.heading("Method")
        report.paragraph(METHOD)
        return report

    def write_report(self, path: Path) -> Path:
        return self.build_report().write(path)

    def on_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save solvability report", "solvability-report.pdf",
                                              "PDF (*.pdf);;HTML (*.html)")
        if not path:
            return
        try:
            self.write_report(Path(path))
        except (OSError, ValueError) as exc:
            self.status.setText(f"Report not written: {exc}")
            return
        self.status.setText(f"Report written to {path}")


def _group_cells(name: str, group: GroupRate) -> tuple[str, str, str, str, str]:
    return name, str(group.cases), str(group.cleared), percent(group.rate), interval(group.ci95)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    if headers[0] == "Group":
        table.setRowCount(len(GROUPS))
    return table
