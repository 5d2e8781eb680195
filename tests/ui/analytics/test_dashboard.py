"""The dashboards on the demo city's year (real SQLite): every chart draws real figures, a new date range
reloads every chart, loading runs off the GUI thread and never freezes it, exports write what is plotted."""

from __future__ import annotations

import csv
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from c4desk.domain.alerts import GunshotReport
from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.audit import append_audit
from c4desk.store.reports import ReportRepository
from c4desk.ui.analytics.dashboard import DashboardPanel
from c4desk.ui.analytics.date_range import local_zone
from c4desk.ui.analytics.plots import Kind, Series
from tests.ui.analytics.conftest import DEMO_TODAY, SUPERVISOR, screenshot


class ThreadRecordingReports:
    """The real ReportRepository, noting which thread each call ran on (the GUI must not run them)."""

    def __init__(self, reports: ReportRepository) -> None:
        self._reports = reports
        self.threads: list[tuple[str, threading.Thread]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._reports, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.append((name, threading.current_thread()))
            return method(*args, **kwargs)

        return call


def make_dashboard(qtbot: QtBot, reports: Any, days: int = 365, actor: Actor = SUPERVISOR) -> DashboardPanel:
    panel = DashboardPanel(reports, actor, today=lambda: DEMO_TODAY, days=days)
    qtbot.addWidget(panel)
    panel.resize(1600, 1000)
    return panel


def show_and_load(qtbot: QtBot, panel: DashboardPanel) -> None:
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        panel.show()  # the first showing loads
    qtbot.waitExposed(panel)


def data(series: list[Series]) -> list[tuple[str, tuple[float, ...], tuple[float, ...]]]:
    return [(s.name, s.x, s.y) for s in series]


def test_every_chart_draws_the_demo_year_off_the_gui_thread(qtbot: QtBot, demo_services: Services) -> None:
    reports = ThreadRecordingReports(demo_services.reports)
    panel = make_dashboard(qtbot, reports)
    gaps: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(tick)
    timer.start()
    show_and_load(qtbot, panel)
    timer.stop()
    screenshot(panel, "dashboard-year")

    assert {name for name, _ in reports.threads} == {"alerts_per_day", "lpr_per_hour", "video_searches_per_month",
                                                    "alert_first_view", "cameras_offline"}
    assert all(t is not threading.main_thread() for _, t in reports.threads)
    assert max(gaps) < 1.0, f"the GUI thread stalled for {max(gaps):.2f} s while a year loaded"

    alerts = {s.name: s for s in panel.alerts_plot.series}
    assert {"multiple gunshots", "single gunshot", "hotlist hit"} <= alerts.keys()
    assert all(len(s.x) == 365 for s in alerts.values())  # one bar per day, zero-filled
    assert sum(sum(s.y) for s in alerts.values()) > 300
    lpr = {s.name: s for s in panel.lpr_plot.series}
    assert len(lpr["reads per day"].x) in (365, 366) and sum(lpr["reads per day"].y) > 10_000
    assert sum(lpr["hits per day"].y) > 50
    searches = {s.name: s for s in panel.searches_plot.series}
    assert sum(searches["useful video"].y) > 0 and sum(searches["hours spent"].y) > 0
    offline = panel.offline_plot.series[0]
    assert offline.name == "cameras offline (per day)" and max(offline.y) >= 1
    # The year's response views (view_live records naming the alert): most opened within a minute, some never.
    first = panel.first_view_plot
    (dots,) = [s for s in first.series if s.kind is Kind.POINTS]
    assert len(dots.x) > 600 and sorted(dots.y)[len(dots.y) // 2] < 1.0  # minutes: the median under one
    assert re.fullmatch(r"median \d+ s · 90% within .+ · \d+/\d+ never viewed( · \d+ slower, above the chart)?",
                        first.message.text()), first.message.text()
    top = first.plot.getPlotItem().viewRange()[1][1]
    assert top < max(dots.y) and top < 30  # the bulk in view, the slowest few above it (counted in the note)
    screenshot(first, "first-view-year")
    for plot in panel.plots:
        assert plot.message.text() and "failed" not in plot.message.text(), plot.title
    assert panel.status.text() == "2025-07-01 to 2026-06-30 (365 days)"


def test_a_new_date_range_reloads_every_chart(qtbot: QtBot, demo_services: Services) -> None:
    panel = make_dashboard(qtbot, demo_services.reports)
    show_and_load(qtbot, panel)
    before = {plot.title: data(plot.series) for plot in panel.plots}

    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        panel.range_bar.preset_buttons[7].click()
    screenshot(panel, "dashboard-week")
    after = {plot.title: data(plot.series) for plot in panel.plots}
    for plot in panel.plots:
        assert after[plot.title] != before[plot.title], plot.title
    since, until = panel.range_bar.span()
    assert until - since == timedelta(days=7)
    alerts = panel.alerts_plot.series
    assert all(len(s.x) == 7 for s in alerts)
    zone = local_zone()
    days = {datetime.fromtimestamp(x, zone).date() for x in alerts[0].x}
    assert days == {DEMO_TODAY - timedelta(days=i) for i in range(7)}
    reads = next(s for s in panel.lpr_plot.series if s.name.startswith("reads"))
    assert reads.name == "reads per hour" and len(reads.x) == 7 * 24
    assert panel.offline_plot.series[0].name == "cameras offline (per hour)"


def test_exports_write_the_plotted_figures(qtbot: QtBot, demo_services: Services, tmp_path: Path) -> None:
    panel = make_dashboard(qtbot, demo_services.reports, days=30)
    show_and_load(qtbot, panel)
    plot = panel.alerts_plot
    out = tmp_path / "alerts.csv"
    plot.export_csv(out)
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    names = [s.name for s in plot.series]
    assert rows[0] == ["time", *names]
    assert len(rows) == 31  # header + 30 days, as dates
    assert rows[-1][0] == DEMO_TODAY.isoformat()
    totals = [sum(int(v) for v in row[1:]) for row in rows[1:]]
    assert totals == [int(sum(s.y[i] for s in plot.series)) for i in range(30)]

    searches = tmp_path / "searches.csv"
    panel.searches_plot.export_csv(searches)
    header, *months = list(csv.reader(searches.read_text(encoding="utf-8").splitlines()))
    assert header[0] == "x" and "hours spent" in header and months[-1][0] == "Jun 26"

    png = tmp_path / "alerts.png"
    plot.export_png(png, width=1400)
    image = QImage(str(png))
    assert image.width() == 1400 and image.height() > 200


def test_a_role_without_reports_sees_why_and_no_figures(qtbot: QtBot, demo_services: Services) -> None:
    panel = make_dashboard(qtbot, demo_services.reports, actor=Actor("wall1", Role.WALL_OPERATOR))
    failures: list[str] = []
    panel.failed.connect(failures.append)
    show_and_load(qtbot, panel)
    assert failures == ["wall1 (wall_operator) may not view reports"]
    assert all(plot.series == [] for plot in panel.plots)
    assert panel.status.text() == failures[0]


def test_an_answer_to_an_older_range_is_dropped(qtbot: QtBot, demo_services: Services) -> None:
    panel = make_dashboard(qtbot, demo_services.reports, days=365)
    loads: list[None] = []
    panel.loaded.connect(lambda: loads.append(None))
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        panel.show()
        panel.range_bar.set_last_days(2)  # asked before the year's answers came back
    qtbot.wait(300)
    assert loads == [None]  # the year's answers were dropped, not drawn over the two days
    assert all(len(s.x) == 2 for s in panel.alerts_plot.series)


def test_time_to_first_view_comes_from_the_audit_trail(qtbot: QtBot, services: Services) -> None:
    """An alert received 90 s before the wall opened a camera for it (the VIEW_LIVE audit record naming it)."""
    now = datetime.now(UTC)
    report = GunshotReport(id="FV-1", type="multiple_gunshots", rounds=3, lat=41.764, lon=-72.674,
                           detected_at=now - timedelta(seconds=95), address="Main St & Pearl St")
    services.alerts.add_or_update_gunshot(report, received_at=now - timedelta(seconds=90))
    services.alerts.add_or_update_gunshot(replace(report, id="FV-2"), received_at=now - timedelta(seconds=60))
    with services.db.session(write=True) as session:
        append_audit(session, username="analyst1", workstation="ws-test", event_type=AuditType.VIEW_LIVE.value,
                     object="camera:cam01", detail={"alert_id": "FV-1", "camera_id": "cam01"})
    panel = DashboardPanel(services.reports, SUPERVISOR, days=2)
    qtbot.addWidget(panel)
    show_and_load(qtbot, panel)

    (dots,) = panel.first_view_plot.series
    assert dots.kind is Kind.POINTS and len(dots.y) == 1
    assert dots.y[0] == pytest.approx(1.5, abs=0.05)  # minutes
    assert dots.x[0] == pytest.approx((now - timedelta(seconds=90)).timestamp(), abs=1)
    assert panel.first_view_plot.message.text().startswith("median 90 s")
    assert "1/2 never viewed" in panel.first_view_plot.message.text()
