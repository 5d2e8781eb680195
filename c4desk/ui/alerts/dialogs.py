"""The queue's two small dialogs: a required reason (close, reopen) and whom to assign an alert to.

Both are opened with ``open()`` (window-modal, not a nested event loop), so the keyboard flow and the tests
drive them like any other widget.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

CLOSE_REASONS = (
    "Confirmed gunfire: units dispatched",
    "Unfounded: nothing found on scene",
    "Fireworks",
    "Vehicle backfire",
    "Construction or industrial noise",
    "Duplicate of another alert",
    "Handled by patrol",
    "Test or training",
)
REOPEN_REASONS = (
    "New information",
    "Further shots reported",
    "Closed by mistake",
)


class ReasonDialog(QDialog):
    """Asks for a reason (typed, or one of the common ones). OK stays disabled while it is blank."""

    def __init__(self, title: str, prompt: str, reasons: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.addItems(list(reasons))
        self.combo.setCurrentIndex(-1)
        self.combo.setMinimumWidth(320)
        self.line = QLineEdit()
        self.line.setPlaceholderText("Choose or type a reason (required)")
        self.line.setMaxLength(500)
        self.combo.setLineEdit(self.line)
        self.combo.setCurrentIndex(-1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.combo)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.combo.currentTextChanged.connect(self._on_text_changed)
        self._on_text_changed("")

    @property
    def ok_button(self) -> QWidget:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def reason(self) -> str:
        return self.combo.currentText().strip()

    def accept(self) -> None:
        if self.reason():  # Enter in the field must not get round the disabled OK button
            super().accept()

    def _on_text_changed(self, _text: str) -> None:
        self.ok_button.setEnabled(bool(self.reason()))


class AssignDialog(QDialog):
    """Whom to give the alert to: a user name (known ones offered), or blank for nobody."""

    def __init__(self, users: Sequence[str], current: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Assign alert")
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.addItems(sorted(set(users)))
        line = QLineEdit()
        line.setPlaceholderText("User name (blank: unassign)")
        line.setMaxLength(64)
        self.combo.setLineEdit(line)
        self.combo.setEditText(current or "")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Assign to:"))
        layout.addWidget(self.combo)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def user(self) -> str | None:
        return self.combo.currentText().strip() or None
