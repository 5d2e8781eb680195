"""Attach a still (a snapshot the wall took) to a case, with a label saying what it shows.

A still is linked like any other item (``CaseRepository.link`` kind ``snapshot``): the link is audited, the
still's file keeps the SHA-256 taken at capture, and the export copies it into the package and checks it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.cases import Case, CaseFilter, CaseLink
from c4desk.ui.cases.common import ActorSource, StatusLine, actor_of, guard, run_for


class StillDialog(QDialog):
    """``linked(CaseLink)`` once the still is attached; ``link`` holds it."""

    linked = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, snapshot_id: int, parent: QWidget | None = None, *,
                 case: str | None = None, label: str = "", cases: Sequence[Case] | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._snapshot_id = snapshot_id
        self.link: CaseLink | None = None
        self.setWindowTitle(f"Attach still {snapshot_id} to a case")
        self.case = QComboBox()
        if case:
            self.case.addItem(case, case)
        self.label = QLineEdit(label)
        self.label.setPlaceholderText("What the still shows (default: the camera's name)")
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Attach")
        guard(self.save_button, actor, Action.EDIT_CASES, "Link the still to the case")
        form = QFormLayout()
        form.addRow("Case", self.case)
        form.addRow("Label", self.label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        if cases is not None:
            self.set_cases(cases)
        else:
            run_for(self, lambda: services.cases.list(CaseFilter(status="open")), self.set_cases,
                              self.status.failed)

    def set_cases(self, cases: Sequence[Case]) -> None:
        wanted = self.case.currentData()
        self.case.clear()
        for case in cases:
            self.case.addItem(f"{case.number}  {case.title}".strip(), case.number)
        index = self.case.findData(wanted)
        if index < 0 and wanted:
            self.case.addItem(str(wanted), wanted)
            index = self.case.count() - 1
        self.case.setCurrentIndex(max(0, index))

    def on_save(self) -> None:
        number = self.case.currentData()
        if not number:
            self.status.error("case: choose the case the still belongs to")
            return
        cases, actor, snapshot_id, label = self._services.cases, actor_of(self._actor), self._snapshot_id, \
            self.label.text()
        self.save_button.setEnabled(False)
        run_for(self, lambda: cases.link(actor, str(number), "snapshot", snapshot_id, label=label),
                          self._on_linked, self._on_failed)

    def _on_linked(self, link: CaseLink) -> None:
        self.link = link
        self.linked.emit(link)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Link the still to the case")
        self.status.failed(exc)
