"""Attach an alert, a plate (its whole history), a plate read, a hop trail, a still or a bookmark to a case; or
put one of the analyst's clips that is in no case yet into it (a clip tagged before the case was opened).

The item box offers the recent ones of the chosen kind (loaded in the background) and accepts a typed id; the
service checks the item exists and takes its own time and description for the case's timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plates import normalise_plate
from c4desk.hub.services import Services
from c4desk.store.cases import CaseLink
from c4desk.store.clips import Clip
from c4desk.ui.cases.common import ActorSource, StatusLine, actor_of, guard, mark_invalid, run_for
from c4desk.ui.timefmt import local_datetime

CLIP = "clip"  # not a case link: the clip itself is attached to the case (ClipRepository.attach)
KINDS = {"alert": "Alert", "plate": "Plate (its history)", "plate_read": "Plate read", "trail": "Hop trail",
         "snapshot": "Still", "bookmark": "Bookmark", CLIP: "Clip of mine not in a case"}
RECENT = 100
Choices = list[tuple[str, str]]  # (text shown, ref)


def recent_items(services: Services, kind: str, actor: Actor) -> Choices:
    """The recent items of ``kind`` to choose from (runs on a worker thread). Plate reads are read for ``actor``
    (SEARCH_PLATES, checked by the store)."""
    if kind == "alert":
        return [(f"{a.id}  {a.type.replace('_', ' ')}  {a.address}  {local_datetime(a.detected_at)}", a.id)
                for a in services.alerts.recent(RECENT)]
    if kind == "trail":
        return [(f"{t.id}  {t.label or t.plate or 'trail'}  ({len(t.steps)} camera(s))", str(t.id))
                for t in services.trails.recent(50)]
    reads = services.plate_reads.recent(RECENT, actor=actor) if kind in ("plate", "plate_read") else []
    if kind == "plate_read":
        return [(f"{r.id}  {r.plate_raw} on {r.camera_id}  {local_datetime(r.read_at)}", str(r.id))
                for r in reads if r.id is not None]
    if kind == "plate":
        plates = dict.fromkeys(normalise_plate(r.plate_raw) for r in reads)
        return [(plate, plate) for plate in plates if plate]
    return []


def unfiled_clips(services: Services, actor: Actor) -> Choices:
    """The actor's clips that belong to no case yet, newest first (runs on a worker thread)."""
    return [(f"{c.id}  {c.camera_name or c.camera_id}  {local_datetime(c.start_at)}  {c.duration_s:.0f} s"
             + (f"  {', '.join(c.tags)}" if c.tags else ""), str(c.id))
            for c in services.clips.my_clips(actor) if c.case_id is None]


class LinkDialog(QDialog):
    """``linked(CaseLink)`` once attached (``link`` holds it); for a clip, ``attached(Clip)``."""

    linked = Signal(object)
    attached = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, case_number: str, parent: QWidget | None = None, *,
                 kind: str = "alert", ref: str = "",
                 load: Callable[[Services, str, Actor], Choices] = recent_items) -> None:
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
            # The editable box takes Enter to complete what was typed; that same Enter links it (one key, not
            # two). Queued, so the box has chosen the completed entry first.
            line.returnPressed.connect(lambda: QTimer.singleShot(0, self, self._save_if_enabled))
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
        # The item is what is typed next: the keyboard starts there, and goes back there once a kind is chosen.
        self.kind.activated.connect(lambda _index: self.item.setFocus())
        self.load_choices()
        if ref:
            self.item.setEditText(ref)
        self.item.setFocus()

    def _show_start(self) -> None:
        line = self.item.lineEdit()
        if line is not None:
            line.setCursorPosition(0)  # the id is at the start of the text

    def load_choices(self) -> None:
        self._generation += 1
        generation, kind, services, load = self._generation, str(self.kind.currentData()), self._services, \
            self._load
        actor = actor_of(self._actor)
        self.item.clear()
        self.label.setEnabled(kind != CLIP)  # a clip keeps its own note; only links carry a label

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

        run_for(self, lambda: unfiled_clips(services, actor) if kind == CLIP else load(services, kind, actor), show,
                self.status.failed)

    def chosen_ref(self) -> str:
        """The chosen item's ref, or what was typed (its first word: an id is never two words)."""
        text = self.item.currentText().strip()
        index = self.item.findText(text)
        data = self.item.itemData(index) if index >= 0 else None
        if data is not None:  # a typed text the box took in as an entry of its own has no ref: read the text
            return str(data)
        return text if self.kind.currentData() == "plate" else (text.split() or [""])[0]

    def _save_if_enabled(self) -> None:
        if self.isVisible() and self.save_button.isEnabled():
            self.on_save()

    def on_save(self) -> None:
        cases, actor, number = self._services.cases, actor_of(self._actor), self._case_number
        kind, ref, label = str(self.kind.currentData()), self.chosen_ref(), self.label.text()
        if not ref:
            mark_invalid(self.item, "choose or type an item")
            self.status.error("item: choose or type the item to link")
            return
        if kind == CLIP:
            self._attach_clip(ref)
            return
        self.save_button.setEnabled(False)
        run_for(self, lambda: cases.link(actor, number, kind, ref, label=label), self._on_linked,
                          self._on_failed)

    def _attach_clip(self, ref: str) -> None:
        clips, actor, number = self._services.clips, actor_of(self._actor), self._case_number
        if not ref.isdigit():
            mark_invalid(self.item, "a clip is chosen by its number")
            self.status.error(f"item: a clip is referred to by its number, not {ref!r}")
            return
        self.save_button.setEnabled(False)
        run_for(self, lambda: clips.attach(actor, int(ref), number), self._on_attached, self._on_failed)

    def _on_attached(self, clip: Clip) -> None:
        self.attached.emit(clip)
        self.accept()

    def _on_linked(self, link: CaseLink) -> None:
        self.link = link
        self.linked.emit(link)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Attach the item to the case")
        mark_invalid(self.item, str(exc))
        self.status.failed(exc)
