"""PlotPanel: what it plots is what it exports (CSV rows, PNG pixels), on a time axis and on categories."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from c4desk.ui import theme
from c4desk.ui.analytics.plots import DAY, Kind, PlotPanel, XAxis


def shown(qtbot: QtBot, panel: PlotPanel) -> PlotPanel:
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def colour_share(image: QImage, colour: str, tolerance: int = 12) -> float:
    """The share of sampled pixels within ``tolerance`` of ``colour`` (every 4th pixel each way)."""
    target = QColor(colour)
    hits = total = 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            c = image.pixelColor(x, y)
            total += 1
            if (abs(c.red() - target.red()) <= tolerance and abs(c.green() - target.green()) <= tolerance
                    and abs(c.blue() - target.blue()) <= tolerance):
                hits += 1
    return hits / total


def test_time_series_export_csv_with_local_times_and_blank_gaps(qtbot: QtBot, tmp_path: Path) -> None:
    panel = shown(qtbot, PlotPanel("Alerts per day", y_label="alerts", x_axis=XAxis.TIME))
    t0 = datetime(2025, 3, 1, tzinfo=UTC).timestamp()
    panel.add_bars("gunshot", [t0, t0 + DAY, t0 + 2 * DAY], [3, 0, 5], width=0.8 * DAY)
    panel.add_line("lpr_hit", [t0, t0 + 2 * DAY], [1, 2.5])
    assert [s.kind for s in panel.series] == [Kind.BARS, Kind.LINE]
    assert panel.csv_button.isEnabled() and panel.png_button.isEnabled()

    out = tmp_path / "alerts.csv"
    panel.export_csv(out)
    rows = read_csv(out)
    assert rows[0] == ["time", "gunshot", "lpr_hit"]
    days = [datetime.fromtimestamp(t0 + i * DAY).astimezone().isoformat(timespec="seconds") for i in range(3)]
    assert rows[1:] == [[days[0], "3", "1"], [days[1], "0", ""], [days[2], "5", "2.5"]]
    assert datetime.fromisoformat(rows[1][0]).timestamp() == t0  # the local time names the same instant


def test_categories_and_intervals_export_named_rows_with_bounds(qtbot: QtBot, tmp_path: Path) -> None:
    panel = shown(qtbot, PlotPanel("Clearance", x_axis=XAxis.CATEGORY, legend=False))
    panel.set_categories(["With video", "Without video"])
    panel.add_bars("rate", [0, 1], [62.5, 40.0])
    panel.add_error_bars("rate 95%", [0, 1], [62.5, 40.0], [50.1, 31.0], [73.0, 49.5])
    out = tmp_path / "clearance.csv"
    panel.export_csv(out)
    rows = read_csv(out)
    assert rows == [["x", "rate", "rate 95%", "rate 95% low", "rate 95% high"],
                    ["With video", "62.5", "62.5", "50.1", "73"],
                    ["Without video", "40", "40", "31", "49.5"]]


def test_png_export_draws_the_bars_in_their_colour(qtbot: QtBot, tmp_path: Path) -> None:
    panel = shown(qtbot, PlotPanel("Bars", x_axis=XAxis.CATEGORY))
    panel.set_categories(["a", "b"])
    panel.add_bars("count", [0, 1], [4, 7], colour_index=0)
    out = tmp_path / "bars.png"
    panel.export_png(out, width=900)
    image = QImage(str(out))
    assert image.width() == 900
    assert colour_share(image, theme.ACCENT) > 0.05  # the bars
    assert colour_share(image, theme.PANEL) > 0.3  # the dark background

    paper = panel.print_image(width=600, height=300, scale=2)
    assert paper.width() == 1200
    assert colour_share(paper, "#ffffff", 2) > 0.3  # black on white for print
    assert colour_share(paper, theme.ACCENT) > 0.05
    # printing leaves the screen colours alone
    assert colour_share(panel.image(600), theme.PANEL) > 0.3


def test_clear_forgets_the_data_and_disables_export(qtbot: QtBot) -> None:
    panel = shown(qtbot, PlotPanel("Lines"))
    panel.add_line("a", [0, 1, 2], [1, 2, 3])
    panel.clear()
    assert panel.series == []
    assert not panel.csv_button.isEnabled()
    assert not panel.png_button.isEnabled()


def test_records_with_repeated_times_export_one_row_per_point(qtbot: QtBot, tmp_path: Path) -> None:
    panel = shown(qtbot, PlotPanel("First view", x_axis=XAxis.TIME, y_label="minutes"))
    t = datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp()
    panel.add_scatter("alert to first view", [t, t, t + 60], [1.5, 0.25, 3])
    out = tmp_path / "views.csv"
    panel.export_csv(out)
    when = [datetime.fromtimestamp(x).astimezone().isoformat(timespec="seconds") for x in (t, t + 60)]
    assert read_csv(out) == [["series", "time", "value"], ["alert to first view", when[0], "1.5"],
                             ["alert to first view", when[0], "0.25"], ["alert to first view", when[1], "3"]]


def test_a_right_hand_axis_series_is_in_the_legend_and_cleared_with_the_rest(qtbot: QtBot, tmp_path: Path) -> None:
    panel = shown(qtbot, PlotPanel("Searches", x_axis=XAxis.CATEGORY, y_label="tasks", right_label="hours"))
    panel.set_categories(["Jan", "Feb"])
    panel.add_bars("useful video", [0, 1], [3, 4])
    panel.add_line("hours spent", [0, 1], [120.0, 80.5], right=True)
    panel.finish()
    assert [label.text for _, label in panel.legend.items] == ["useful video", "hours spent"]
    assert panel.plot.getPlotItem().getAxis("right").isVisible()
    out = tmp_path / "searches.csv"
    panel.export_csv(out)
    assert read_csv(out) == [["x", "useful video", "hours spent"], ["Jan", "3", "120"], ["Feb", "4", "80.5"]]
    panel.clear()
    assert panel.legend.items == [] and panel.series == []
    bare = PlotPanel("No right axis")
    qtbot.addWidget(bare)
    with pytest.raises(ValueError, match="no right-hand axis"):
        bare.add_line("x", [0], [1], right=True)


def test_step_lines_hold_each_value_until_the_next(qtbot: QtBot) -> None:
    panel = shown(qtbot, PlotPanel("Offline", x_axis=XAxis.TIME))
    panel.add_line("cameras offline", [0, 3600, 7200], [1, 0, 2], step=True)
    (curve,) = panel.plot.getPlotItem().listDataItems()
    xs, ys = curve.getOriginalDataset()
    assert list(xs) == [0, 3600, 3600, 7200, 7200, 10800] and list(ys) == [1, 1, 0, 0, 2, 2]
    assert panel.series[0].x == (0.0, 3600.0, 7200.0)  # the CSV keeps the buckets, not the drawing's corners
