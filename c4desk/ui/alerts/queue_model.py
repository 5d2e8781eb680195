"""The alert queue's rows, always in queue order: open first, then priority (1 first), then newest detection.

That is the order of ``AlertRepository.queue``, kept here too so an alert arriving from the bus lands in its
place without a reload. ``urgent(alert_id)`` is emitted when an upsert makes an alert new and priority 1 that
was not so before (a new detection, or an update that escalated one still untouched); a reload never emits
it, so opening the workstation on a backlog does not ring.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.ui import theme
from c4desk.ui.alerts import text
from c4desk.ui.timefmt import local_datetime

_Index = QModelIndex | QPersistentModelIndex
COL_PRIORITY, COL_DETECTED, COL_TYPE, COL_ROUNDS, COL_WHERE, COL_STATUS, COL_ASSIGNED = range(7)
HEADERS = ("P", "Detected", "Type", "Rounds", "Where", "Status", "Assigned")
ID_ROLE = Qt.ItemDataRole.UserRole
PRIORITY_ROLE = Qt.ItemDataRole.UserRole + 1
CLOSED_ROLE = Qt.ItemDataRole.UserRole + 2

AGE_REFRESH_MS = 10_000
FLASH_MS = 8_000
FLASH_PERIOD_MS = 400
STATUS_COLOURS = {AlertStatus.NEW: theme.BAD, AlertStatus.ACKNOWLEDGED: theme.WARN,
                  AlertStatus.IN_PROGRESS: theme.ACCENT, AlertStatus.CLOSED: theme.MUTED}
FLASH_ON = QColor(theme.BAD).darker(220)
URGENT_TINT = QColor(theme.BAD).darker(400)


def queue_key(alert: Alert) -> tuple[bool, int, float, str]:
    return alert.status is AlertStatus.CLOSED, alert.priority, -alert.detected_at.timestamp(), alert.id


def is_urgent(alert: Alert | None) -> bool:
    return alert is not None and alert.status is AlertStatus.NEW and alert.priority == 1


class AlertQueueModel(QAbstractTableModel):
    urgent = Signal(str)

    def __init__(self, now: Callable[[], datetime] | None = None, limit: int = 500) -> None:
        super().__init__()
        self._now = now or (lambda: datetime.now(UTC))
        self._limit = limit
        self._rows: list[Alert] = []
        self._keys: list[tuple[bool, int, float, str]] = []
        self._flash_until: dict[str, float] = {}
        self._flash_on = False
        self._since_reload: dict[str, Alert] | None = None
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_REFRESH_MS)
        self._age_timer.timeout.connect(self.refresh_ages)
        self._age_timer.start()
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(FLASH_PERIOD_MS)
        self._flash_timer.timeout.connect(self._on_flash_tick)

    # --- Qt model ----------------------------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        alert, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(alert, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(alert, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL_STATUS:
                return QColor(STATUS_COLOURS[alert.status])
            return QColor(theme.MUTED) if alert.status is AlertStatus.CLOSED else None
        if role == Qt.ItemDataRole.BackgroundRole:
            if alert.id in self._flash_until and self._flash_on:
                return FLASH_ON
            return URGENT_TINT if is_urgent(alert) else None
        if role == Qt.ItemDataRole.FontRole and alert.status is AlertStatus.NEW:
            font = QFont()
            font.setBold(True)
            return font
        if role == ID_ROLE:
            return alert.id
        if role == PRIORITY_ROLE:
            return alert.priority
        if role == CLOSED_ROLE:
            return alert.status is AlertStatus.CLOSED
        return None

    def _display(self, alert: Alert, col: int) -> str:
        if col == COL_PRIORITY:
            return f"P{alert.priority}"
        if col == COL_DETECTED:
            return text.detected(alert, self._now())
        if col == COL_TYPE:
            return text.type_label(alert.type)
        if col == COL_ROUNDS:
            return "" if alert.rounds is None else str(alert.rounds)
        if col == COL_WHERE:
            return text.where(alert)
        if col == COL_STATUS:
            return text.status_label(alert.status)
        return alert.assigned_to or ""

    def _tooltip(self, alert: Alert, col: int) -> str:
        if col == COL_DETECTED:
            return f"detected {local_datetime(alert.detected_at)}, received {local_datetime(alert.received_at)}"
        if col == COL_WHERE and alert.lat is not None and alert.lon is not None:
            return f"{text.where(alert)}\n{alert.lat:.6f}, {alert.lon:.6f}"
        return f"{alert.id} ({alert.source})"

    # --- records -------------------------------------------------------------------------------------------
    def alerts(self) -> list[Alert]:
        return list(self._rows)

    def alert(self, alert_id: str) -> Alert | None:
        row = self.row_of(alert_id)
        return None if row is None else self._rows[row]

    def record(self, row: int) -> Alert:
        return self._rows[row]

    def row_of(self, alert_id: str) -> int | None:
        return next((i for i, a in enumerate(self._rows) if a.id == alert_id), None)

    def set_records(self, alerts: Sequence[Alert]) -> None:
        """Replace every row (a reload); sorted here whatever order they come in. Never emits ``urgent``."""
        rows = sorted({a.id: a for a in alerts}.values(), key=queue_key)[: self._limit]
        self.beginResetModel()
        self._rows = rows
        self._keys = [queue_key(a) for a in rows]
        self.endResetModel()

    def begin_reload(self) -> None:
        """Remember upserts from now on, so a reload's (older) snapshot cannot undo them."""
        self._since_reload = {}

    def finish_reload(self, alerts: Sequence[Alert]) -> None:
        newer = self._since_reload or {}
        self._since_reload = None
        self.set_records([a for a in alerts if a.id not in newer])
        for alert in newer.values():
            self._place(alert)

    def upsert(self, alert: Alert) -> None:
        """Put the alert in its place (moving it if its status or priority changed)."""
        if self._since_reload is not None:
            self._since_reload[alert.id] = alert
        before = self.alert(alert.id)
        self._place(alert)
        if is_urgent(alert) and not is_urgent(before):
            self.urgent.emit(alert.id)

    def _place(self, alert: Alert) -> None:
        key = queue_key(alert)
        old = self.row_of(alert.id)
        if old is None:
            self._insert(bisect_left(self._keys, key), alert, key)
            return
        new = bisect_left(self._keys[:old] + self._keys[old + 1:], key)
        if new != old:
            # A move, not remove + insert, so the view's selection and current row follow the alert.
            self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), new + 1 if new > old else new)
            del self._rows[old], self._keys[old]
            self._rows.insert(new, alert)
            self._keys.insert(new, key)
            self.endMoveRows()
        else:
            self._rows[old], self._keys[old] = alert, key
        self.dataChanged.emit(self.index(new, 0), self.index(new, len(HEADERS) - 1))

    def _insert(self, row: int, alert: Alert, key: tuple[bool, int, float, str]) -> None:
        if row >= self._limit:
            return
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, alert)
        self._keys.insert(row, key)
        self.endInsertRows()
        if len(self._rows) > self._limit:
            self.beginRemoveRows(QModelIndex(), self._limit, len(self._rows) - 1)
            del self._rows[self._limit:], self._keys[self._limit:]
            self.endRemoveRows()

    # --- live cues ---------------------------------------------------------------------------------------------
    def flash(self, alert_id: str, ms: int = FLASH_MS) -> None:
        """Blink the alert's row for ``ms`` milliseconds."""
        self._flash_until[alert_id] = time.monotonic() + ms / 1000.0
        self._flash_on = True
        self._emit_row(alert_id)
        if not self._flash_timer.isActive():
            self._flash_timer.start()

    def is_flashing(self, alert_id: str) -> bool:
        return alert_id in self._flash_until

    def _on_flash_tick(self) -> None:
        now = time.monotonic()
        self._flash_on = not self._flash_on
        for alert_id, until in list(self._flash_until.items()):
            if now >= until:
                del self._flash_until[alert_id]
            self._emit_row(alert_id)
        if not self._flash_until:
            self._flash_timer.stop()

    def _emit_row(self, alert_id: str) -> None:
        row = self.row_of(alert_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1),
                                  [Qt.ItemDataRole.BackgroundRole])

    def refresh_ages(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_DETECTED), self.index(len(self._rows) - 1, COL_DETECTED),
                                  [Qt.ItemDataRole.DisplayRole])
