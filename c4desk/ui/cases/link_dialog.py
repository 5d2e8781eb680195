"""Attach an alert, a plate (its whole history), a plate read, a hop trail, a still or a bookmark to a case.

The item box offers the recent ones of the chosen kind (loaded in the background) and accepts a typed id; the
service checks the item exists and takes its own time and description for the case's timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from c4desk.domain.permissions import Action
from c4desk.domain.plates import normalise_plate
from c4desk.hub.services import Services
from c4desk.store.cases import CaseLink
from c4desk.ui.cases.common import ActorSource, StatusLine, actor_of, guard, mark_invalid, run_for
from c4desk.ui.timefmt import local_datetime

KINDS = {"alert": "Alert", "plate": "Plate (its history)", "plate_read": "Plate read", "trail": "Hop trail",
         "snapshot": "Still", "bookmark": "Bookmark"}
RECENT = 100
Choices = list[tuple[str, str]]  # (text shown, ref)


def recent_items(services: Services, kind: str) -> Choices:
    """The recent items of ``kind`` to choose from (runs on a worker thread)."""
    if kind == "alert":
        return [(f"{a.id}  {a.type.replace('_', ' ')}  {a.address}  {local_datetime(a.detected_at)}", a.id)
                for a in services.alerts.recent(RECENT)]
    if kind == "trail":
        return [(f"{t.id}  {t.label or t.plate or 'trail'}  ({len(t.steps)} camera(s))", str(t.id))
                for t in services.trails.recent(50)]
    reads = services.plate_reads.recent(RECENT) if kind in ("plate", "plate_read") else []
    if kind == "plate_read":
        return [(f"{r.id}  {r.plate_raw} on {r.camera_id}  {local_datetime(r.read_at)}", str(r.id))
                for r in reads if r.id is not None]
    if kind == "plate":
        plates = dict.fromkeys(normalise_plate(r.plate_raw) for r in reads)
        return [(plate, plate) for plate in plates if plate]
    return []


class LinkDialog(QDialog):
    """``linked(CaseLink)`` once attached; ``link`` holds it."""

    linked = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, case_number: str, parent: QWidget | None = None, *,
                 kind: str = "alert", ref: str = "", load: Callable[[Services, str], Choices] = recent_items) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._case_number = case_number
        self._load = load
        self._generation = 0
        self.link: CaseLink | None = None
        self.setWindowTitle(f"Link to case {case_number}")
        self.kind = QComboBox()
        for value, text in KINDS.items():
            self.kind.addItem(text, value)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.item = QComboBox()
        self.item.setEditable(True)
        self.item.setMinimumWidth(520)
        line = self.item.lineEdit()
        if line is not None:
            line.setPlaceholderText("Choose, or type the id / plate")
        self.label = QLineEdit()
        self.label.setPlaceholderText("Label on the timeline (default: the item's own description)")
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Link")
        guard(self.save_button, actor, Action.EDIT_CASES, "Attach the item to the case")
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Item", self.item)
        form.addRow("Label", self.label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self.load_choices)
        self.item.currentIndexChanged.connect(self._show_start)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        self.load_choices()
        if ref:
            self.item.setEditText(ref)

    def _show_start(self) -> None:
        line = self.item.lineEdit()
        if line is not None:
            line.setCursorPosition(0)  # the id is at the start of the text

    def load_choices(self) -> None:
        self._generation += 1
        generation, kind, services, load = self._generation, str(self.kind.currentData()), self._services, \
            self._load
        self.item.clear()

        def show(choices: Choices) -> None:
            if generation != self._generation:
                return
            typed = self.item.currentText()
            for text, ref in choices:
                self.item.addItem(text, ref)
            self.item.setEditText(typed)
            if not self.status.is_error:  # a refusal shown meanwhile stays until the next try
                self.status.info(f"{len(choices)} recent item(s) to choose from" if choices else
                                 "Type the item's id")

        run_for(self, lambda: load(services, kind), show, self.status.failed)

    def chosen_ref(self) -> str:
        """The chosen item's ref, or what was typed (its first word: an id is never two words)."""
        text = self.item.currentText().strip()
        index = self.item.findText(text)
        if index >= 0:
            return str(self.item.itemData(index))
        return text if self.kind.currentData() == "plate" else (text.split() or [""])[0]

    def on_save(self) -> None:
        cases, actor, number = self._services.cases, actor_of(self._actor), self._case_number
        kind, ref, label = str(self.kind.currentData()), self.chosen_ref(), self.label.text()
        if not ref:
            mark_invalid(self.item, "choose or type an item")
            self.status.error("item: choose or type the item to link")
            return
        self.save_button.setEnabled(False)
        run_for(self, lambda: cases.link(actor, number, kind, ref, label=label), self._on_linked,
                          self._on_failed)

    def _on_linked(self, link: CaseLink) -> None:
        self.link = link
        self.linked.emit(link)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Attach the item to the case")
        mark_invalid(self.item, str(exc))
        self.status.failed(exc)
