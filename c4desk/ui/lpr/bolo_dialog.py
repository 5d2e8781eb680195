"""Manual BOLO entry: a plate (wildcards allowed), reason, priority and expiry; stored (and audited) by the
hotlist repository as the logged-in ``Actor`` (it needs EDIT_BOLO; a refusal is shown, and audited by the store),
so the hub's matcher picks it up at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor
from c4desk.domain.plate_match import HotlistEntry
from c4desk.store.hotlists import HotlistRepository
from c4desk.ui.background import run_in_background


class BoloDialog(QDialog):
    def __init__(self, hotlists: HotlistRepository, actor: Actor, parent: QWidget | None = None,
                 plate: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("New BOLO")
        self._hotlists = hotlists
        self._actor = actor
        self.stored: HotlistEntry | None = None
        self.plate = QLineEdit(plate)
        self.plate.setPlaceholderText("6PZ193, or partial: 6PZ*, 6?Z193")
        self.region = QLineEdit()
        self.region.setPlaceholderText("state, e.g. CT (optional)")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why officers should look out for it")
        self.priority = QSpinBox()
        self.priority.setRange(1, 3)
        self.has_expiry = QCheckBox("Expires")
        self.has_expiry.setChecked(True)
        self.expiry = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int((datetime.now(UTC) + timedelta(days=7))
                                                                    .timestamp())))
        self.expiry.setCalendarPopup(True)
        self.expiry.setDisplayFormat("yyyy-MM-dd HH:mm")  # unambiguous in every locale
        self.error = QLabel()
        self.error.setStyleSheet("color: #f85149")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        form = QFormLayout(self)
        form.addRow("Plate", self.plate)
        form.addRow("State", self.region)
        form.addRow("Reason", self.reason)
        form.addRow("Priority (1 = urgent)", self.priority)
        form.addRow(self.has_expiry, self.expiry)
        form.addRow(self.error)
        form.addRow(self.buttons)
        form.addRow(QLabel(f"Entered by {actor.username}; every change is audited."))
        self.has_expiry.toggled.connect(self.expiry.setEnabled)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def save(self) -> None:
        plate, reason = self.plate.text().strip(), self.reason.text().strip()
        if not plate or not reason:
            self.error.setText("A plate and a reason are required")
            return
        expires = (self.expiry.dateTime().toSecsSinceEpoch() if self.has_expiry.isChecked() else None)
        expires_at = datetime.fromtimestamp(expires, UTC) if expires is not None else None
        if expires_at is not None and expires_at <= datetime.now(UTC):
            self.error.setText("The expiry is in the past")
            return
        hotlists, actor, priority, region = self._hotlists, self._actor, self.priority.value(), self.region.text()
        self.buttons.setEnabled(False)

        def work() -> HotlistEntry:
            return hotlists.add_bolo(plate, reason=reason, actor=actor, priority=priority,
                                     region=region.strip().upper(), expires_at=expires_at)

        run_in_background(work, self._saved, self._failed)

    def _saved(self, entry: HotlistEntry) -> None:
        self.stored = entry
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText("; ".join(str(e) for e in exc.errors) if isinstance(exc, ValidationError) else str(exc))
        self.error.setAlignment(Qt.AlignmentFlag.AlignLeft)
