"""The solvability and speed-radar views on the demo city's year (real SQLite), and the main window's Analytics
dock (Ctrl+Shift+A) on the same data."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.config import Paths, Settings
from c4desk.demo import city, history
from c4desk.hub.services import Services
from c4desk.ui.analytics.plots import Kind
from c4desk.ui.analytics.radar_view import RadarView
from c4desk.ui.analytics.solvability_view import SolvabilityView
from c4desk.ui.app import build_main_window
from tests.ui.analytics.conftest import DEMO_END, DEMO_TODAY, SUPERVISOR, screenshot


def test_solvability_of_the_demo_year(qtbot: QtBot, demo_services: Services, tmp_path: Path) -> None:
    view = SolvabilityView(demo_services.reports, SUPERVISOR, today=lambda: DEMO_TODAY)
    qtbot.addWidget(view)
    view.resize(1400, 700)
    view.types_edit.setText(", ".join(history.STUDY_TYPES))
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show()
    qtbot.waitExposed(view)
    screenshot(view, "solvability-year")

    result = view.result
    assert result is not None
    assert result.with_video.cases > 30 and result.without_video.cases > 30
    assert result.with_video.rate is not None and result.without_video.rate is not None
    bars = {s.name: s.y[0] for s in view.chart.series if s.kind is Kind.BARS}
    assert bars == {"With video": pytest.approx(result.with_video.rate * 100),
                    "Without video": pytest.approx(result.without_video.rate * 100)}
    assert len(result.excluded) == view.excluded.rowCount() > 0
    assert {view.excluded.item(r, 2).text() for r in range(view.excluded.rowCount())} <= set(history.EXCLUSIONS)
    assert "Fisher's exact test" in view.summary.text()

    pdf = view.write_report(tmp_path / "solvability.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    html = view.write_report(tmp_path / "solvability.html").read_text(encoding="utf-8")
    w = result.with_video
    assert f'<td>With video</td><td class="num">{w.cases}</td><td class="num">{w.cleared}</td>' in html


def test_radar_before_and_after_the_strobes(qtbot: QtBot, demo_services: Services, tmp_path: Path) -> None:
    view = RadarView(demo_services.radar, SUPERVISOR, today=lambda: DEMO_TODAY)
    qtbot.addWidget(view)
    view.resize(1500, 800)
    change = (DEMO_END - timedelta(days=history.RADAR_CHANGE_DAYS_AGO)).astimezone().date()
    view.set_change_date(change)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show()  # the first showing reads the sites and compares at the first
    qtbot.waitExposed(view)
    screenshot(view, "radar")

    result = view.result
    assert result is not None and result.site_id == city.RADAR_SITE_ID
    before, after = result.before.overall, result.after.overall
    assert before.readings > 1000 and after.readings > 1000
    assert after.mean_kmh is not None and before.mean_kmh is not None and after.mean_kmh < before.mean_kmh - 2
    table = {view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in (1, 2, 3)]
             for r in range(view.table.rowCount())}
    assert table["Mean speed (km/h)"][:2] == [f"{before.mean_kmh:.1f}", f"{after.mean_kmh:.1f}"]
    assert re.fullmatch(r"-\d+\.\d", table["85th percentile (km/h)"][2])
    assert any(name.endswith("light events") for name in table)
    means = {s.name: s for s in view.mean_plot.series}
    assert means["Before"].x == tuple(float(h) for h in range(24)) and len(means["After"].y) == 24
    lights = {s.name: s for s in view.lights_plot.series}
    assert sum(lights["Before"].y) == sum(before.lights.values())
    html = view.write_report(tmp_path / "radar.html").read_text(encoding="utf-8")
    assert f"<td>Mean speed (km/h)</td><td>{before.mean_kmh:.1f}</td>" in html
    assert html.count("data:image/png;base64,") == 4
    assert view.write_report(tmp_path / "radar.pdf").read_bytes().startswith(b"%PDF-")

    # a later change date moves readings from "after" to "before"
    view.window_spin.setValue(0)
    view.set_change_date(change + timedelta(days=30))
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.compare_button.click()
    assert view.result is not None and view.result.before.overall.readings > before.readings


def test_main_window_opens_analytics_with_ctrl_shift_a(qtbot: QtBot, demo_services: Services,
                                                       data_dir: Path) -> None:
    window = build_main_window(demo_services, Settings(), Paths(data_dir), user="analyst1")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert not window.analytics_dock.isVisible()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # window shortcuts need the active window
    with qtbot.waitSignal(window.analytics.dashboard.loaded, timeout=20_000):
        QTest.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.analytics_dock.isVisible()
    dashboard = window.analytics.dashboard
    assert "may not" not in dashboard.status.text()  # an analyst may view reports
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.range_bar.preset_buttons[365].click()  # the demo year ends on a fixed day, before today
    assert dashboard.alerts_plot.series
    screenshot(window, "main-window-analytics")
