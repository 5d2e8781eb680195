"""The selected alert in full, under the queue: where, the sensor's data, its activity log and a comment box."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.alerts import Alert, AlertHistoryEntry
from c4desk.ui import theme
from c4desk.ui.alerts import text
from c4desk.ui.timefmt import local_datetime


class CommentEdit(QLineEdit):
    """The comment field: Enter submits (handled by the owner), Escape hands the keyboard back to the queue."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class AlertDetails(QWidget):
    comment_submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: bold;")
        self.address = QLabel()
        self.coordinates = QLabel()
        self.coordinates.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.area = QLabel()
        self.received = QLabel()
        self.payload = QLabel()
        self.payload.setWordWrap(True)
        self.payload.setStyleSheet(f"color: {theme.MUTED};")
        self.hint = QLabel()
        self.hint.setStyleSheet(f"color: {theme.MUTED};")
        self.history = QListWidget()
        self.history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history.setWordWrap(True)
        self.comment_edit = CommentEdit()
        self.comment_edit.setPlaceholderText("Add a comment (C), Enter to save, Esc to go back")
        self.comment_edit.setMaxLength(4000)
        self.comment_button = QPushButton("Comment")

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        form.addRow("Where", self.address)
        form.addRow("Coordinates", self.coordinates)
        form.addRow("Beat / district", self.area)
        form.addRow("Received", self.received)
        form.addRow("Sensor", self.payload)
        comment_row = QHBoxLayout()
        comment_row.addWidget(self.comment_edit, 1)
        comment_row.addWidget(self.comment_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(QLabel("Activity"))
        layout.addWidget(self.history, 1)
        layout.addLayout(comment_row)

        self.comment_edit.returnPressed.connect(self._on_submit)
        self.comment_button.clicked.connect(self._on_submit)
        self.show_alert(None)

    def show_alert(self, alert: Alert | None) -> None:
        self.setEnabled(alert is not None)
        if alert is None:
            self.title.setText("No alert selected")
            for label in (self.address, self.coordinates, self.area, self.received, self.payload, self.hint):
                label.clear()
            self.history.clear()
            return
        self.title.setText(f"{text.type_label(alert.type)} · {alert.id} · {text.status_label(alert.status)}"
                           + (f" · {alert.assigned_to}" if alert.assigned_to else ""))
        self.address.setText(alert.address or "(no address)")
        self.coordinates.setText("" if alert.lat is None or alert.lon is None
                                 else f"{alert.lat:.6f}, {alert.lon:.6f}")
        self.area.setText(" / ".join(p for p in (alert.beat, alert.district) if p) or "-")
        self.received.setText(local_datetime(alert.received_at))
        rounds = [] if alert.rounds is None else [f"rounds: {alert.rounds}"]
        self.payload.setText("\n".join(rounds + text.payload_summary(alert.payload)) or "-")
        self.hint.setText(text.NEXT_STEPS[alert.status])

    def show_history(self, entries: Sequence[AlertHistoryEntry], now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.history.clear()
        for entry in entries:
            item = QListWidgetItem(text.history_line(entry, now))
            item.setToolTip(local_datetime(entry.at))
            self.history.addItem(item)
        if not entries:
            self.history.addItem("(nothing recorded yet)")
        self.history.scrollToBottom()

    def history_lines(self) -> list[str]:
        return [self.history.item(i).text() for i in range(self.history.count())]

    def _on_submit(self) -> None:
        body = self.comment_edit.text().strip()
        if body:
            self.comment_submitted.emit(body)
