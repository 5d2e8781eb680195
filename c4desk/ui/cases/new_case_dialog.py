"""Open a new case, or change an open one's title, type, lead and description.

The service validates (unique number, lengths, one-line fields); a refused field is outlined and named in the
message, and nothing is stored. The dialog stays open until the case is stored, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Action
from c4desk.store.cases import Case, CaseRepository
from c4desk.ui.cases.common import (
    ActorSource,
    StatusLine,
    actor_of,
    from_qdatetime,
    guard,
    run_for,
    show_refusal,
    to_qdatetime,
)

CASE_TYPES = ("shooting", "homicide", "robbery", "carjacking", "burglary", "assault", "auto theft", "hit and run",
              "missing person", "other")


class NewCaseDialog(QDialog):
    """``saved(Case)`` after the case is stored; ``case`` holds it. Give ``case`` to edit an existing one."""

    saved = Signal(object)

    def __init__(self, cases: CaseRepository, actor: ActorSource, parent: QWidget | None = None, *,
                 case: Case | None = None) -> None:
        super().__init__(parent)
        self._cases = cases
        self._actor = actor
        self._editing = case
        self.case: Case | None = None
        self.setWindowTitle(f"Case {case.number}" if case else "New case")
        self.number = QLineEdit(case.number if case else "")
        self.number.setPlaceholderText("The agency's case or incident number, e.g. 26-0412")
        self.number.setReadOnly(case is not None)
        self.case_type = QComboBox()
        self.case_type.setEditable(True)
        self.case_type.addItems(CASE_TYPES)
        if case is not None:
            self.case_type.setCurrentText(case.case_type)
        self.title = QLineEdit(case.title if case else "")
        self.title.setPlaceholderText("Shots fired, Main St & Pearl St")
        self.lead = QLineEdit(case.lead_investigator if case else "")
        self.lead.setPlaceholderText("Lead investigator")
        self.opened = QDateTimeEdit(to_qdatetime(case.opened_at) if case else QDateTime.currentDateTime())
        self.opened.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.opened.setCalendarPopup(True)
        self.opened.setEnabled(case is None)  # the opening time is part of the record; changed by status only
        self.description = QPlainTextEdit(case.description if case else "")
        self.description.setPlaceholderText("What happened; what the case needs from the centre")
        self.description.setMaximumHeight(110)
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save changes" if case else "Open case")
        guard(self.save_button, actor, Action.EDIT_CASES, "Store the case (Enter)")
        self._fields: dict[str, QWidget] = {"number": self.number, "case_type": self.case_type, "title": self.title,
                                            "lead_investigator": self.lead, "opened_at": self.opened,
                                            "description": self.description}
        form = QFormLayout()
        form.addRow("Number", self.number)
        form.addRow("Type", self.case_type)
        form.addRow("Title", self.title)
        form.addRow("Lead", self.lead)
        form.addRow("Opened", self.opened)
        form.addRow("Description", self.description)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        self.resize(520, 380)
        (self.title if case else self.number).setFocus()

    def on_save(self) -> None:
        cases, actor, editing = self._cases, actor_of(self._actor), self._editing
        number, case_type = self.number.text(), self.case_type.currentText()
        title, lead, description = self.title.text(), self.lead.text(), self.description.toPlainText()
        opened: datetime | None = from_qdatetime(self.opened.dateTime()) if editing is None else None
        if opened is not None and abs((opened - datetime.now(UTC)).total_seconds()) < 120:
            opened = None  # "now": let the service stamp it with its own clock
        store = self.new_case_store()

        def work() -> Case:
            if editing is None:
                return store(number, case_type, title, lead, opened, description)
            return cases.update(actor, editing, title=title, case_type=case_type, lead=lead,
                                description=description)

        self.save_button.setEnabled(False)
        self.status.info("Saving ...")
        run_for(self, work, self._on_saved, self._on_failed)

    def new_case_store(self) -> Callable[[str, str, str, str, datetime | None, str], Case]:
        """How a new case is stored, called on a worker thread: (number, type, title, lead, opened, description)."""
        cases, actor = self._cases, actor_of(self._actor)

        def create(number: str, case_type: str, title: str, lead: str, opened: datetime | None,
                   description: str) -> Case:
            return cases.create(actor, number, case_type, title=title, lead=lead, opened_at=opened,
                                description=description)

        return create

    def _on_saved(self, case: Case) -> None:
        self.case = case
        self.saved.emit(case)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Store the case (Enter)")
        show_refusal(exc, self._fields, self.status)
