"""The audit viewer for supervisors and admins: filter the trail, read it, export it as CSV, verify its chain.

Everything goes through ``AuditLog`` (which checks READ_AUDIT and records each read, export and verification),
on a pool thread via ``run_in_background``; the widget only shows results. A refusal (a role without READ_AUDIT)
comes back from the service and is shown, so hiding the menu entry is a convenience, not the control.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor
from c4desk.hub.audit_anchors import AnchorReport
from c4desk.store.audit_log import AuditLog, AuditRecord, VerifyReport
from c4desk.ui import theme
from c4desk.ui.background import run_in_background
from c4desk.ui.record_table import RecordModel
from c4desk.ui.timefmt import local_datetime

ROW_LIMIT = 5000
RANGES: dict[str, timedelta | None] = {
    "Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1), "Last 7 days": timedelta(days=7),
    "Last 30 days": timedelta(days=30), "All time": None, "Custom": None,
}
COLUMNS = (
    ("#", lambda r: r.id),  # the row id `audit verify` names
    ("Time", lambda r: local_datetime(r.at)),
    ("User", lambda r: r.username),
    ("Workstation", lambda r: r.workstation),
    ("Event", lambda r: r.event_type),
    ("Object", lambda r: r.object),
    ("Outcome", lambda r: r.outcome),
    ("Detail", lambda r: json.dumps(r.detail, sort_keys=True, ensure_ascii=False) if r.detail else ""),
)
_Index = QModelIndex | QPersistentModelIndex
_FLAGGED = "#4a1f22"  # a dark red that keeps the text readable


class AuditModel(RecordModel):
    """The records, newest first; failures (denials, failed logons) in the alarm colour, and rows the last
    verification named on a red background."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, key=lambda r: r.id, limit=ROW_LIMIT)
        self.flagged: set[int] = set()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            record: AuditRecord = self.record(index.row())
            return QColor(theme.BAD) if record.outcome != "success" else None
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            return QColor(_FLAGGED) if self.record(index.row()).id in self.flagged else None
        return super().data(index, role)

    def flag(self, ids: set[int]) -> None:
        self.flagged = ids
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))


def _to_qt(at: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(at.timestamp() * 1000))


def _from_qt(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC)


class AuditViewer(QWidget):
    def __init__(self, audit: AuditLog, actor: Actor, parent: QWidget | None = None, *,
                 anchors: Callable[[], AnchorReport] | None = None) -> None:
        """``anchors`` checks the signed anchors of the chain's head (hub/audit_anchors.py) along with the chain."""
        super().__init__(parent)
        self._anchors = anchors
        self.setObjectName("AuditViewer")
        self.setWindowTitle("Audit trail")
        self._audit = audit
        self._actor = actor
        self.records: list[AuditRecord] = []

        self.range = QComboBox()
        self.range.addItems(list(RANGES))
        self.range.setCurrentText("Last 24 hours")
        now = datetime.now(UTC)
        self.since = self._time_edit(now - timedelta(days=1))
        self.until = self._time_edit(now + timedelta(hours=1))
        self.user = QLineEdit()
        self.user.setPlaceholderText("user")
        self.user.setMaximumWidth(140)
        self.event_type = QComboBox()
        self.event_type.addItem("All events", "")
        for kind in AuditType:
            self.event_type.addItem(kind.value.replace("_", " "), kind.value)
        self.text = QLineEdit()
        self.text.setPlaceholderText("text in object, workstation or detail")
        self.search = QPushButton("Search")
        self.export = QPushButton("Export CSV…")
        self.verify = QPushButton("Verify chain")
        self.status = QLabel()
        self.status.setStyleSheet(f"color: {theme.MUTED};")
        self.verify_result = QLabel()
        self.verify_result.setWordWrap(True)
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_result.setVisible(False)

        self.model = AuditModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((56, 150, 90, 110, 130, 170, 70)):
            self.table.setColumnWidth(column, width)

        self.to_label = QLabel("to")
        filters = QHBoxLayout()
        for widget in (QLabel("Time"), self.range, self.since, self.to_label, self.until, self.user,
                       self.event_type, self.text, self.search):
            filters.addWidget(widget)
        filters.setStretchFactor(self.text, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.export)
        actions.addWidget(self.verify)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.verify_result)
        layout.addLayout(actions)
        self._connect_signals()
        self._on_range_changed(self.range.currentText())

    def _connect_signals(self) -> None:
        self.range.currentTextChanged.connect(self._on_range_changed)
        self.search.clicked.connect(self.load)
        for line in (self.user, self.text):
            line.returnPressed.connect(self.load)
        self.event_type.activated.connect(self.load)
        self.export.clicked.connect(self._on_export_clicked)
        self.verify.clicked.connect(self.run_verify)

    @staticmethod
    def _time_edit(at: datetime) -> QDateTimeEdit:
        edit = QDateTimeEdit(_to_qt(at))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")  # unambiguous in every locale
        return edit

    # -- filters --------------------------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The query's keyword arguments for the current filter fields."""
        choice = self.range.currentText()
        since = until = None
        if choice == "Custom":
            since, until = _from_qt(self.since.dateTime()), _from_qt(self.until.dateTime())
        elif (span := RANGES[choice]) is not None:
            since = datetime.now(UTC) - span
        return {"since": since, "until": until, "username": self.user.text().strip() or None,
                "event_type": self.event_type.currentData() or None, "text": self.text.text().strip() or None,
                "limit": ROW_LIMIT}

    def _on_range_changed(self, choice: str) -> None:
        custom = choice == "Custom"
        for widget in (self.since, self.to_label, self.until):
            widget.setVisible(custom)

    # -- work through the AuditLog, off the GUI thread ------------------------------------------------------

    def load(self) -> None:
        filters = self.filters()
        audit, actor = self._audit, self._actor
        self.search.setEnabled(False)
        self.status.setText("Loading…")
        run_in_background(lambda: audit.query(actor, **filters), self._on_loaded, self._on_failed)

    def _on_loaded(self, records: list[AuditRecord]) -> None:
        self.search.setEnabled(True)
        self.records = records
        self.model.set_records(records)
        more = " (limit reached: narrow the filters)" if len(records) >= ROW_LIMIT else ""
        self.status.setText(f"{len(records)} records, newest first{more}")

    def _on_failed(self, exc: BaseException) -> None:
        self.search.setEnabled(True)
        self.export.setEnabled(True)
        self.verify.setEnabled(True)
        message = "; ".join(str(e) for e in exc.errors) if isinstance(exc, ValidationError) else str(exc)
        self.status.setText(f"<span style='color:{theme.BAD}'>{message}</span>")

    def _on_export_clicked(self) -> None:
        name = f"audit-{datetime.now(UTC).strftime('%Y%m%dT%H%MZ')}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export audit records", name, "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the records the current filters select to ``path`` (the export itself is audited)."""
        filters = self.filters()
        audit, actor = self._audit, self._actor
        self.export.setEnabled(False)
        self.status.setText("Exporting…")

        def done(count: int) -> None:
            self.export.setEnabled(True)
            self.status.setText(f"Exported {count} records to {path}")

        run_in_background(lambda: audit.export_csv(actor, path, **filters), done, self._on_failed)

    def run_verify(self) -> None:
        audit, actor = self._audit, self._actor
        self.verify.setEnabled(False)
        self.verify_result.setVisible(True)
        self.verify_result.setStyleSheet(f"color: {theme.MUTED};")
        self.verify_result.setText("Verifying the hash chain…")
        anchors = self._anchors

        def work() -> tuple[VerifyReport, AnchorReport | None]:
            return audit.verify_report(actor), anchors() if anchors is not None else None

        run_in_background(work, self._on_verified, self._on_failed)

    def _on_verified(self, result: tuple[VerifyReport, AnchorReport | None]) -> None:
        report, anchors = result
        self.verify.setEnabled(True)
        anchor_problems = [str(p) for p in anchors.problems] if anchors is not None else []
        anchor_line = f"\n{anchors.summary()}" if anchors is not None else ""
        if report.ok and not anchor_problems:
            head = f"; head #{report.head_id} {report.head_hash[:16]}…" if report.head_id is not None else ""
            self.verify_result.setStyleSheet(f"color: {theme.OK};")
            self.verify_result.setText(f"Chain intact: {report.records} records{head}{anchor_line}")
        else:
            problems = [str(p) for p in report.problems] + anchor_problems
            lines = problems[:8]
            if len(problems) > 8:
                lines.append(f"… and {len(problems) - 8} more (c4desk audit verify lists all)")
            self.verify_result.setStyleSheet(f"color: {theme.BAD}; font-weight: 600;")
            self.verify_result.setText(f"TAMPERED: {len(problems)} problem(s) in {report.records} "
                                       "records\n" + "\n".join(lines) + anchor_line)
        self.verify_result.setToolTip(report.head_hash)
        self.model.flag({p.row_id for p in report.problems})
