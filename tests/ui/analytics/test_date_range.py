"""DateRangeBar: presets and typed dates become aware UTC [since, until) over whole local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from c4desk.ui.analytics.date_range import DateRangeBar, local_midnight_utc

TODAY = date(2025, 6, 15)


def make_bar(qtbot: QtBot, days: int = 30) -> DateRangeBar:
    bar = DateRangeBar(days=days, today=lambda: TODAY)
    qtbot.addWidget(bar)
    return bar


def test_initial_period_is_whole_local_days_up_to_today(qtbot: QtBot) -> None:
    bar = make_bar(qtbot, days=30)
    since, until = bar.span()
    assert since.tzinfo is UTC and until.tzinfo is UTC
    assert since == datetime.combine(TODAY - timedelta(days=29), time()).astimezone().astimezone(UTC)
    assert until == local_midnight_utc(TODAY + timedelta(days=1))
    assert bar.first_day() == date(2025, 5, 17) and bar.last_day() == TODAY


def test_presets_emit_at_once(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    for n, first in ((7, date(2025, 6, 9)), (90, date(2025, 3, 18)), (365, date(2024, 6, 16))):
        with qtbot.waitSignal(bar.range_changed, timeout=100) as blocker:
            bar.preset_buttons[n].click()
        assert blocker.args == [local_midnight_utc(first), local_midnight_utc(TODAY + timedelta(days=1))]


def test_typed_dates_emit_once_after_a_pause_and_swapped_ends_still_make_a_period(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    seen: list[tuple[datetime, datetime]] = []
    bar.range_changed.connect(lambda s, u: seen.append((s, u)))
    bar.from_edit.setDate(QDate(2025, 1, 2))
    bar.from_edit.setDate(QDate(2025, 1, 3))  # a second keystroke within the debounce
    assert seen == []
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=2000)
    assert seen[0][0] == local_midnight_utc(date(2025, 1, 3))
    bar.set_days(date(2025, 2, 10), date(2025, 2, 1))  # to before from: the period is the days between
    assert bar.span() == (local_midnight_utc(date(2025, 2, 1)), local_midnight_utc(date(2025, 2, 11)))
