"""The centre's dashboards: alerts per day, LPR reads and hits per hour, video searches per month, time from an
alert to its first camera view, and cameras offline, over one date range.

Each chart loads through ``ReportRepository`` (which checks the actor may view reports) on the background pool,
so a year of data never freezes the wall; a change of date range reloads every chart, and an answer that
arrives after a newer request is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from c4desk.domain.permissions import Actor, PermissionDenied
from c4desk.store.reports import AlertDay, FirstViews, LprHour, OfflineBucket, ReportRepository, SearchMonth, Step
from c4desk.ui.analytics.date_range import DateRangeBar, local_zone
from c4desk.ui.analytics.plots import DAY, PlotPanel, XAxis
from c4desk.ui.background import run_in_background

HOURLY_OFFLINE_UP_TO = timedelta(days=7)  # longer ranges show cameras offline per day
# Longer ranges show LPR per day (the hours summed): 8,760 hourly points a year are ink, not information.
HOURLY_LPR_UP_TO = timedelta(days=14)
PLOT_MIN_HEIGHT = 250
# Outcome -> palette index (plots.PALETTE): useful green, nothing grey, offline red, no outcome purple, open amber.
# Alert type -> palette index, the same in every period (a colour that changed with the range would mislead);
# the stacking order too. Types not listed follow, by name, in the colours left.
ALERT_COLOURS = {"multiple_gunshots": 4, "single_gunshot": 1, "probable_gunfire": 3, "hotlist_hit": 0,
                 "possible_hotlist_hit": 5}
OTHER_ALERT_COLOURS = (6, 2, 7)
OUTCOME_COLOURS = (("useful video", 2), ("nothing relevant", 7), ("camera offline", 4), ("done, no outcome", 3),
                   ("open", 1))


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class _Chart:
    """One chart's loader: ``load(actor, since, until)`` runs on a pool thread, ``draw(result)`` on the GUI
    thread."""

    panel: PlotPanel
    load: Callable[[Actor, datetime, datetime], Any]
    draw: Callable[[Any], None]


class DashboardPanel(QWidget):
    """``reports``: the store's report repository; ``actor``: who is looking; ``tz``: the zone days and months
    are counted in (the workstation's by default). Emits ``loaded()`` when every chart of a range is drawn."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, reports: ReportRepository, actor: Actor | Callable[[], Actor], *, tz: tzinfo | None = None,
                 today: Callable[[], date] | None = None, days: int = 90, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reports = reports
        self._actor = actor
        self._tz = tz or local_zone()
        self._generation = 0
        self._pending = 0
        self._errors: list[str] = []
        self._loaded_once = False

        self.range_bar = DateRangeBar(days=days, today=today)
        self._period = self.range_bar.span()  # of the load in flight (or last drawn)
        self.status = QLabel()
        self.alerts_plot = PlotPanel("Alerts per day by type", y_label="alerts", x_axis=XAxis.TIME,
                                     time_format="%Y-%m-%d")
        self.lpr_plot = PlotPanel("LPR reads and hotlist hits", y_label="reads", right_label="hits",
                                  x_axis=XAxis.TIME, time_format="%Y-%m-%d %H:%M")
        self.searches_plot = PlotPanel("Video search tasks per month", y_label="tasks", right_label="hours spent",
                                       x_axis=XAxis.CATEGORY)
        self.first_view_plot = PlotPanel("Time from alert to first camera view", y_label="minutes",
                                         x_axis=XAxis.TIME)
        self.offline_plot = PlotPanel("Cameras offline", y_label="cameras", right_label="camera-hours",
                                      x_axis=XAxis.TIME)
        self._charts = (
            _Chart(self.alerts_plot, self._load_alerts, self._draw_alerts),
            _Chart(self.lpr_plot, self._load_lpr, self._draw_lpr),
            _Chart(self.searches_plot, self._load_searches, self._draw_searches),
            _Chart(self.first_view_plot, self._load_first_views, self._draw_first_views),
            _Chart(self.offline_plot, self._load_offline, self._draw_offline),
        )
        self._layout()
        self.range_bar.range_changed.connect(lambda *_: self.reload())

    @property
    def plots(self) -> tuple[PlotPanel, ...]:
        return tuple(c.panel for c in self._charts)

    def _layout(self) -> None:
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.alerts_plot, 0, 0, 1, 2)
        grid.addWidget(self.lpr_plot, 1, 0)
        grid.addWidget(self.searches_plot, 1, 1)
        grid.addWidget(self.first_view_plot, 2, 0)
        grid.addWidget(self.offline_plot, 2, 1)
        for plot in self.plots:
            plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # charts shrink; rows scroll
        scroll.setWidget(grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.range_bar)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:  # the first look loads; a hidden dock costs nothing at start-up
            self.reload()

    # -- loading -------------------------------------------------------------------------------------
    def actor(self) -> Actor:
        return self._actor() if callable(self._actor) else self._actor

    def reload(self) -> None:
        """Load every chart for the bar's range, each on the background pool."""
        self._loaded_once = True
        self._generation += 1
        generation = self._generation
        since, until = self._period = self.range_bar.span()
        actor = self.actor()  # asked here, on the GUI thread
        self._pending = len(self._charts)
        self._errors = []
        self.status.setText("Loading ...")
        for chart in self._charts:
            self._start(chart, generation, actor, since, until)

    def _start(self, chart: _Chart, generation: int, actor: Actor, since: datetime, until: datetime) -> None:
        chart.panel.set_message("loading ...")

        def work() -> object:
            return chart.load(actor, since, until)

        run_in_background(work, lambda result: self._done(generation, chart, result),
                          lambda exc: self._failed(generation, chart, exc))

    def _done(self, generation: int, chart: _Chart, result: object) -> None:
        if generation != self._generation:
            return
        chart.panel.clear()
        chart.draw(result)
        if chart.panel.x_axis is XAxis.TIME:  # every time chart spans the period, data or not
            since, until = self._period
            chart.panel.set_x_range(since.timestamp(), until.timestamp())
        chart.panel.finish()
        self._finish_one()

    def _failed(self, generation: int, chart: _Chart, exc: BaseException) -> None:
        if generation != self._generation:
            return
        chart.panel.clear()
        message = str(exc) if isinstance(exc, PermissionDenied) else f"loading failed: {exc}"
        chart.panel.set_message(message)
        if message not in self._errors:
            self._errors.append(message)
            self.failed.emit(message)
        self._finish_one()

    def _finish_one(self) -> None:
        self._pending -= 1
        if self._pending:
            return
        first, last = self.range_bar.first_day(), self.range_bar.last_day()
        self.status.setText("; ".join(self._errors) if self._errors
                            else f"{first} to {last} ({(last - first).days + 1} days)")
        self.loaded.emit()

    # -- the charts (load on a pool thread, draw on the GUI thread) -----------------------------------
    def _day_x(self, day: date) -> float:
        """A local day's noon, so its bar stands over the day on the time axis."""
        return datetime.combine(day, time(12), tzinfo=self._tz).timestamp()

    def _load_alerts(self, actor: Actor, since: datetime, until: datetime) -> list[AlertDay]:
        return self._reports.alerts_per_day(actor, since, until, tz=self._tz)

    def _draw_alerts(self, days: list[AlertDay]) -> None:
        plot = self.alerts_plot
        totals: dict[str, int] = {}
        for d in days:
            for kind, n in d.counts.items():
                totals[kind] = totals.get(kind, 0) + n
        known = [k for k in ALERT_COLOURS if k in totals]
        others = sorted(k for k in totals if k not in ALERT_COLOURS)
        colours = {**{k: ALERT_COLOURS[k] for k in known},
                   **{k: OTHER_ALERT_COLOURS[i % len(OTHER_ALERT_COLOURS)] for i, k in enumerate(others)}}
        xs = [self._day_x(d.day) for d in days]
        base = [0.0] * len(days)
        for kind in [*known, *others]:
            counts = [float(d.counts.get(kind, 0)) for d in days]
            plot.add_bars(kind.replace("_", " "), xs, counts, width=0.8 * DAY, base=base, colour_index=colours[kind])
            base = [b + c for b, c in zip(base, counts, strict=True)]
        total = sum(totals.values())
        plot.set_message(f"{total} alert(s)" if total else "no alerts in this period")

    def _load_lpr(self, actor: Actor, since: datetime, until: datetime) -> list[LprHour]:
        return self._reports.lpr_per_hour(actor, since, until)

    def _draw_lpr(self, hours: list[LprHour]) -> None:
        plot = self.lpr_plot
        hourly = len(hours) <= HOURLY_LPR_UP_TO / timedelta(hours=1)
        if hourly:
            xs = [h.hour.timestamp() + 1800 for h in hours]  # mid-hour
            reads, hits, possible = ([h.reads for h in hours], [h.hits for h in hours],
                                     [h.possible_hits for h in hours])
        else:
            days: dict[date, list[int]] = {}
            for h in hours:
                sums = days.setdefault(h.hour.astimezone(self._tz).date(), [0, 0, 0])
                sums[0] += h.reads
                sums[1] += h.hits
                sums[2] += h.possible_hits
            xs = [self._day_x(d) for d in days]
            reads, hits, possible = ([v[0] for v in days.values()], [v[1] for v in days.values()],
                                     [v[2] for v in days.values()])
        per = "hour" if hourly else "day"
        plot.add_line(f"reads per {per}", xs, reads, colour_index=0)
        plot.add_line(f"hits per {per}", xs, hits, colour_index=4, right=True)
        plot.add_line(f"possible hits per {per}", xs, possible, colour_index=1, right=True)
        total = (sum(reads), sum(hits), sum(possible))
        plot.set_message(f"per {per}; {total[0]} reads, {total[1]} hits, {total[2]} possible" if any(total)
                         else "no reads in this period")

    def _load_searches(self, actor: Actor, since: datetime, until: datetime) -> list[SearchMonth]:
        return self._reports.video_searches_per_month(actor, since, until, tz=self._tz)

    def _draw_searches(self, months: list[SearchMonth]) -> None:
        plot = self.searches_plot
        plot.set_categories([m.month.strftime("%b %y") for m in months])
        xs = list(range(len(months)))
        parts = {"useful video": [m.useful_video for m in months],
                 "nothing relevant": [m.nothing_relevant for m in months],
                 "camera offline": [m.camera_offline for m in months],
                 "done, no outcome": [m.done - m.useful_video - m.nothing_relevant - m.camera_offline
                                      for m in months],
                 "open": [m.open for m in months]}
        base = [0.0] * len(months)
        for name, colour in OUTCOME_COLOURS:
            counts = [float(v) for v in parts[name]]
            if any(counts):
                plot.add_bars(name, xs, counts, width=0.6, base=base, colour_index=colour)
                base = [b + c for b, c in zip(base, counts, strict=True)]
        plot.add_line("hours spent", xs, [m.minutes / 60 for m in months], colour_index=0, points=True, right=True)
        tasks, minutes = sum(m.tasks for m in months), sum(m.minutes for m in months)
        plot.set_message(f"{tasks} task(s), {minutes / 60:.0f} h" if tasks else "no video searches in this period")

    def _load_first_views(self, actor: Actor, since: datetime, until: datetime) -> FirstViews:
        return self._reports.alert_first_view(actor, since, until)

    def _draw_first_views(self, views: FirstViews) -> None:
        plot = self.first_view_plot
        seen = [a for a in views.alerts if a.seconds is not None]
        plot.add_scatter("alert to first view", [a.received_at.timestamp() for a in seen],
                         [(a.seconds or 0.0) / 60 for a in seen], colour_index=5)
        median = views.median_seconds
        if median is not None:
            plot.add_hline(median / 60, f"median {seconds_text(median)}")
        if not views.alerts:
            plot.set_message("no alerts in this period")
            return
        p90 = views.quantile_seconds(0.9)
        beyond = 0
        if p90 is not None and seen:
            # Most answers take under a minute and a few take half an hour: scaled to the slowest, the bulk would be
            # a line along zero. The chart shows up to twice the 90th percentile; the slower few are counted in the
            # note (and are in the CSV).
            top = max(2 * p90 / 60, 1.0)
            plot.cap_y(top)
            beyond = sum(1 for a in seen if (a.seconds or 0.0) / 60 > top)
        plot.set_message(f"median {seconds_text(median)} · 90% within {seconds_text(p90)} · "
                         f"{views.not_viewed}/{len(views.alerts)} never viewed"
                         + (f" · {beyond} slower, above the chart" if beyond else ""))

    def _load_offline(self, actor: Actor, since: datetime, until: datetime) -> tuple[Step, list[OfflineBucket]]:
        step = Step.HOUR if until - since <= HOURLY_OFFLINE_UP_TO else Step.DAY
        return step, self._reports.cameras_offline(actor, since, until, step=step, tz=self._tz)

    def _draw_offline(self, result: tuple[Step, list[OfflineBucket]]) -> None:
        step, buckets = result
        plot = self.offline_plot
        xs = [b.start.timestamp() for b in buckets]
        plot.add_line(f"cameras offline (per {step.value})", xs, [b.cameras for b in buckets], colour_index=4,
                      step=True)
        plot.add_line("camera-hours offline", xs, [b.camera_minutes / 60 for b in buckets], colour_index=5,
                      right=True)
        worst = max((b.cameras for b in buckets), default=0)
        hours = sum(b.camera_minutes for b in buckets) / 60
        plot.set_message(f"per {step.value}; at most {worst} camera(s) at once, {hours:.1f} camera-hours"
                         if worst else f"per {step.value}; no camera offline")
