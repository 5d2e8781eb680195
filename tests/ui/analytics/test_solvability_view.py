"""The solvability view on real services (SQLite): a hand-counted case set, the chart's bars and whiskers, the
counts, Fisher p, the exclusions, filters that re-run the study, the printed report and a refused role."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from c4desk.domain.permissions import Actor, Role
from c4desk.domain.statistics import fisher_exact_p, wilson_interval
from c4desk.hub.services import Services
from c4desk.store.case_history import CaseHistoryRepository, HistoricCase
from c4desk.store.reports import ReportRepository
from c4desk.ui.analytics.plots import Kind
from c4desk.ui.analytics.solvability_view import SolvabilityView

TODAY = date(2025, 6, 30)
SUPERVISOR = Actor("sup1", Role.SUPERVISOR, "ws-test")


def opened(days_ago: int) -> datetime:
    return datetime(2025, 6, 29, 15, tzinfo=UTC) - timedelta(days=days_ago)


def case(number: str, *, video: bool, cleared: bool, days_ago: int = 10, case_type: str = "shooting",
         excluded: str = "") -> HistoricCase:
    at = opened(days_ago)
    return HistoricCase(number=number, case_type=case_type, opened_at=at, status="cleared" if cleared else "open",
                        cleared_at=at + timedelta(days=2) if cleared else None, video_component=video,
                        excluded_reason=excluded)


@pytest.fixture
def cases(services: Services) -> None:
    """Shootings in the last 30 days: with video 8 of 10 cleared, without 3 of 10; two excluded; a robbery
    (cleared, with video) and an old shooting (200 days ago, not cleared, without video)."""
    rows = [case(f"W{i}", video=True, cleared=i < 8) for i in range(10)]
    rows += [case(f"N{i}", video=False, cleared=i < 3) for i in range(10)]
    rows += [case("X1", video=True, cleared=False, excluded="victim refused to cooperate"),
             case("X2", video=False, cleared=False, excluded="suspect deceased")]
    rows += [case("R1", video=True, cleared=True, case_type="robbery"),
             case("OLD", video=False, cleared=False, days_ago=200)]
    CaseHistoryRepository(services.db).import_cases(rows, actor=SUPERVISOR, source="test")


def make_view(qtbot: QtBot, services: Services, actor: Actor = SUPERVISOR) -> SolvabilityView:
    view = SolvabilityView(ReportRepository(services.db), actor, today=lambda: TODAY)
    qtbot.addWidget(view)
    view.resize(1300, 650)
    view.show()
    qtbot.waitExposed(view)
    return view


def run(qtbot: QtBot, view: SolvabilityView, action: object = None) -> None:
    with qtbot.waitSignal(view.loaded, timeout=5000):
        if callable(action):
            action()
        else:
            view.reload()


def bars(view: SolvabilityView) -> dict[str, float]:
    return {s.name: s.y[0] for s in view.chart.series if s.kind is Kind.BARS}


def test_shows_rates_intervals_counts_p_and_exclusions(qtbot: QtBot, services: Services, cases: None,
                                                       tmp_path: Path) -> None:
    view = make_view(qtbot, services)
    view.range_bar.set_last_days(30, emit=False)
    view.types_edit.setText("Shooting")
    run(qtbot, view)

    assert bars(view) == {"With video": pytest.approx(80.0), "Without video": pytest.approx(30.0)}
    whiskers = {s.name: (s.lower[0], s.upper[0]) for s in view.chart.series if s.kind is Kind.ERROR}
    for name, (cleared, n) in (("With video", (8, 10)), ("Without video", (3, 10))):
        bounds = wilson_interval(cleared, n)
        assert bounds is not None
        assert whiskers[f"{name} 95% interval"] == pytest.approx((bounds[0] * 100, bounds[1] * 100))
    cells = [[view.table.item(r, c).text() for c in range(5)] for r in range(2)]
    assert cells == [["With video", "10", "8", "80.0%", "49.0% - 94.3%"],
                     ["Without video", "10", "3", "30.0%", "10.8% - 60.3%"]]
    expected_p = fisher_exact_p(8, 2, 3, 7)
    assert f"p = {expected_p:.3f}" in view.summary.text()
    assert "+167%" in view.summary.text()
    excluded = [[view.excluded.item(r, c).text() for c in range(3)] for r in range(view.excluded.rowCount())]
    assert excluded == [["X1", "shooting", "victim refused to cooperate"], ["X2", "shooting", "suspect deceased"]]
    assert view.print_button.isEnabled()

    view.chart.export_csv(tmp_path / "chart.csv")
    rows = list(csv.reader((tmp_path / "chart.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[1][:2] == ["With video", "80"] and rows[2][0] == "Without video"


def test_date_range_and_types_rerun_the_study(qtbot: QtBot, services: Services, cases: None) -> None:
    view = make_view(qtbot, services)
    view.range_bar.set_last_days(30, emit=False)
    run(qtbot, view)  # all types: the robbery joins the with-video group
    assert view.result is not None and view.result.with_video.cases == 11
    assert bars(view)["With video"] == pytest.approx(9 / 11 * 100)

    run(qtbot, view, lambda: view.range_bar.preset_buttons[365].click())  # the old shooting joins "without"
    assert view.result.without_video.cases == 11
    assert bars(view)["Without video"] == pytest.approx(3 / 11 * 100)

    view.types_edit.setText("robbery")
    run(qtbot, view, view.run_button.click)
    assert (view.result.with_video.cases, view.result.without_video.cases) == (1, 0)
    assert "Without video" not in bars(view)  # no cases: no bar, and no made-up rate
    assert view.table.item(1, 3).text() == "n/a"
    assert "Not enough cases" in view.summary.text()


def test_report_is_written_as_pdf_and_html(qtbot: QtBot, services: Services, cases: None, tmp_path: Path) -> None:
    view = make_view(qtbot, services)
    view.range_bar.set_last_days(30, emit=False)
    view.types_edit.setText("shooting")
    run(qtbot, view)
    pdf = view.write_report(tmp_path / "solvability.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and re.search(rb"/Subtype\s*/Image", data)
    html = view.write_report(tmp_path / "solvability.html").read_text(encoding="utf-8")
    assert "<td>With video</td>" in html and "49.0% - 94.3%" in html
    assert "victim refused to cooperate" in html and "data:image/png;base64," in html
    assert "cases opened 2025-06-01 to 2025-06-30, shooting" in html


def test_a_role_without_reports_is_told_so(qtbot: QtBot, services: Services, cases: None) -> None:
    view = make_view(qtbot, services, Actor("wall1", Role.WALL_OPERATOR))
    with qtbot.waitSignal(view.failed, timeout=5000) as blocker:
        view.reload()
    assert "may not view reports" in blocker.args[0]
    assert view.result is None and not view.print_button.isEnabled()
