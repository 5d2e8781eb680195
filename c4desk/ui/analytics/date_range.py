"""The period every figure is computed over: two dates (local calendar days, both included) and quick presets.

The bar speaks aware UTC datetimes to its users (``since`` at local midnight of the first day, ``until`` at local
midnight after the last), so the store never sees a local or naive time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

PRESETS = (("7 days", 7), ("30 days", 30), ("90 days", 90), ("Year", 365))
DEBOUNCE_MS = 400  # typing a date edits it digit by digit; reload once the analyst pauses


def local_zone() -> tzinfo:
    """The workstation's time zone with its DST rules (a year of days must start at the right local midnight
    in winter and summer), falling back to today's fixed offset when the zone has no name."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        localtime = Path("/etc/localtime")
        if localtime.is_symlink():
            target = str(localtime.resolve())
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    fixed = datetime.now().astimezone().tzinfo
    return fixed if fixed is not None else UTC


def local_midnight_utc(day: date) -> datetime:
    """The instant a local calendar day starts, in UTC."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


class DateRangeBar(QWidget):
    """Emits ``range_changed(since, until)`` (aware UTC, ``until`` exclusive) whenever the period changes."""

    range_changed = Signal(object, object)

    def __init__(self, days: int = 30, today: Callable[[], date] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today or date.today
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.preset_buttons: dict[int, QPushButton] = {}
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("From"))
        layout.addWidget(self.from_edit)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.to_edit)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Last:"))
        for label, n in PRESETS:
            button = QPushButton(label)
            button.setToolTip(f"The {n} days up to and including today")
            button.clicked.connect(lambda _=False, n=n: self.set_last_days(n))
            self.preset_buttons[n] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.set_last_days(days, emit=False)
        self.from_edit.dateChanged.connect(self._on_edited)
        self.to_edit.dateChanged.connect(self._on_edited)

    # -- the period ----------------------------------------------------------------------------------
    def first_day(self) -> date:
        return _to_date(self.from_edit.date())

    def last_day(self) -> date:
        return _to_date(self.to_edit.date())

    def since(self) -> datetime:
        return local_midnight_utc(min(self.first_day(), self.last_day()))

    def until(self) -> datetime:
        return local_midnight_utc(max(self.first_day(), self.last_day()) + timedelta(days=1))

    def span(self) -> tuple[datetime, datetime]:
        return self.since(), self.until()

    def set_days(self, first: date, last: date, *, emit: bool = True) -> None:
        """Show ``first``..``last`` (both included); emits once, at once (no debounce) when ``emit``."""
        for edit, day in ((self.from_edit, first), (self.to_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        if emit:
            self._debounce.stop()
            self._emit()

    def set_last_days(self, n: int, *, emit: bool = True) -> None:
        today = self._today()
        self.set_days(today - timedelta(days=n - 1), today, emit=emit)

    def _on_edited(self) -> None:
        self._debounce.start()

    def _emit(self) -> None:
        self.range_changed.emit(self.since(), self.until())


def _to_date(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())
