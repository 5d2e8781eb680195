"""The alert list: newest first, priority and state at a glance. (The full queue comes with the alerts work.)"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Signal
from PySide6.QtWidgets import QWidget

from c4desk.domain.alerts import Alert
from c4desk.ui.record_table import RecordTable
from c4desk.ui.timefmt import local_time


def _rounds(a: Alert) -> str:
    return "" if a.rounds is None else str(a.rounds)


COLUMNS = (
    ("P", lambda a: a.priority),
    ("Detected", lambda a: local_time(a.detected_at)),
    ("Type", lambda a: a.type.replace("_", " ")),
    ("Rounds", _rounds),
    ("Where", lambda a: a.address or f"{a.lat:.5f}, {a.lon:.5f}"),
    ("Status", lambda a: a.status.value.replace("_", " ")),
)


class AlertTable(RecordTable):
    alert_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, key=lambda a: a.id, parent=parent)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 80)
        self.setColumnWidth(2, 130)
        self.setColumnWidth(3, 55)
        self.setColumnWidth(4, 170)

    def select_alert(self, alert_id: str) -> None:
        row = self.records.row_of(alert_id)
        if row is not None:
            self.selectRow(row)
            self.scrollTo(self.records.index(row, 0))

    def _on_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in selected.indexes()}
        if len(rows) == 1:
            self.alert_selected.emit(self.records.record(rows.pop()).id)
