"""One case, open: its facts and status, the video-component flag, and tabs for its timeline, linked items,
clips, video searches, notes and evidence exports.

Everything is read in one background call (``load_case_file``) and every change goes through the services on a
pool thread; after a change the case is read again, so what is shown is what was stored. Dialogs are opened
with ``open()`` (not ``exec()``): the wall keeps running while one is up. The last one opened is ``dialog``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from c4desk.domain.permissions import Action
from c4desk.evidence.verify import check_package
from c4desk.hub.services import Services
from c4desk.store.cases import (
    CASE_STATUSES,
    Case,
    CaseLink,
    ExportRecord,
    IntelNote,
    TimelineItem,
    VideoSearchTask,
)
from c4desk.store.clips import EDITABLE, Clip
from c4desk.ui import theme
from c4desk.ui.cases.case_tabs import ClipsTab, ExportsTab, LinksTab, NotesTab, TasksTab
from c4desk.ui.cases.case_timeline import CaseTimeline
from c4desk.ui.cases.clip_dialog import ClipDialog
from c4desk.ui.cases.common import ActorSource, EvidenceContext, StatusLine, actor_of, guard, run_for
from c4desk.ui.cases.export_dialog import ExportDialog
from c4desk.ui.cases.link_dialog import LinkDialog
from c4desk.ui.cases.new_case_dialog import NewCaseDialog
from c4desk.ui.cases.tables import discard_all, selected_clips, selected_records
from c4desk.ui.cases.task_dialog import TaskDialog
from c4desk.ui.timefmt import local_datetime

TAG_LEAD = timedelta(seconds=30)  # a clip tagged from the case starts this long before now (the wall gives times)


@dataclass(frozen=True)
class CaseFile:
    """Everything the detail view shows of one case, read together."""

    case: Case
    video: bool
    links: list[CaseLink]
    clips: list[Clip]
    tasks: list[VideoSearchTask]
    notes: list[IntelNote]
    timeline: list[TimelineItem]
    exports: list[ExportRecord]


def load_case_file(services: Services, key: int | str) -> CaseFile:
    cases = services.cases
    case = cases.find(key)
    return CaseFile(case=case, video=cases.video_component(case.id), links=cases.links(case.id),
                    clips=services.clips.clips_for_case(case.id), tasks=cases.tasks(case.id),
                    notes=cases.notes(case.id), timeline=cases.timeline(case.id), exports=cases.exports(case.id))


class CaseDetail(QWidget):
    """``changed(case_id)`` after this view changed a case (the list reloads); ``item_activated(TimelineItem)``."""

    changed = Signal(int)
    item_activated = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, *, evidence: EvidenceContext | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._evidence = evidence
        self._generation = 0
        self._key: int | None = None
        self.file: CaseFile | None = None
        self.dialog: QDialog | None = None

        self.heading = QLabel("No case open")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.video = QLabel()
        self.status_choice = QComboBox()
        for status in CASE_STATUSES:
            self.status_choice.addItem(status.capitalize(), status)
        self.status_button = QPushButton("Set status")
        self.edit_button = QPushButton("Edit...")
        self.tabs = QTabWidget()
        self.timeline = CaseTimeline()
        self.links = LinksTab()
        self.clips = ClipsTab()
        self.tasks = TasksTab()
        self.notes = NotesTab()
        self.exports = ExportsTab()
        for widget, title in ((self.timeline, "Timeline"), (self.links, "Linked"), (self.clips, "Clips"),
                              (self.tasks, "Video searches"), (self.notes, "Notes"), (self.exports, "Exports")):
            self.tabs.addTab(widget, title)
        self.status = StatusLine()
        self._layout()
        self._build_actions()
        self._connect_signals()
        self._update_buttons()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.video)
        top.addWidget(self.status_choice)
        top.addWidget(self.status_button)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

    def _build_actions(self) -> None:
        """Shortcuts that act while the case view (or a child) has the keyboard."""
        def action(keys: str, button: QPushButton) -> QAction:
            def press() -> None:
                if button.isEnabled():
                    button.click()

            act = QAction(button.text(), self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(press)
            self.addAction(act)
            return act

        self.link_action = action("Ctrl+K", self.links.link_button)
        self.tag_action = action("Ctrl+T", self.clips.tag_button)
        self.task_action = action("Ctrl+Shift+L", self.tasks.log_button)
        self.export_action = action("Ctrl+E", self.exports.export_button)
        self.note_action = QAction("Add note", self.notes.editor)
        self.note_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.note_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.note_action.triggered.connect(self.on_add_note)
        self.notes.editor.addAction(self.note_action)

    def _connect_signals(self) -> None:
        self.status_button.clicked.connect(self.on_set_status)
        self.edit_button.clicked.connect(self.on_edit)
        self.links.link_button.clicked.connect(lambda: self.on_link())
        self.links.unlink_button.clicked.connect(self.on_unlink)
        self.clips.tag_button.clicked.connect(lambda: self.on_tag_clip())
        self.clips.submit_button.clicked.connect(self.on_submit_clips)
        self.clips.discard_button.clicked.connect(self.on_discard_clips)
        self.tasks.log_button.clicked.connect(lambda: self.on_log_task())
        self.tasks.outcome_button.clicked.connect(self.on_task_outcome)
        self.notes.add_button.clicked.connect(self.on_add_note)
        self.notes.editor.textChanged.connect(self._update_buttons)
        self.exports.export_button.clicked.connect(self.on_export)
        self.exports.verify_button.clicked.connect(self.on_verify_export)
        self.timeline.item_activated.connect(self.item_activated)
        for table in (self.links.table, self.clips.table, self.tasks.table, self.exports.table):
            table.selectionModel().selectionChanged.connect(self._update_buttons)

    # -- loading -------------------------------------------------------------------------------------------
    @property
    def case(self) -> Case | None:
        return self.file.case if self.file else None

    def show_case(self, key: int | str | None) -> None:
        """Open the case with this id or number (None: show nothing)."""
        if key is None:
            self._generation += 1
            self._key, self.file = None, None
            self._show_nothing()
            return
        self._key = key if isinstance(key, int) else None
        self._load(key)

    def reload(self) -> None:
        if self.file is not None:
            self._load(self.file.case.id)
        elif self._key is not None:
            self._load(self._key)

    def _load(self, key: int | str) -> None:
        self._generation += 1
        generation, services = self._generation, self._services

        def done(file: CaseFile) -> None:
            if generation == self._generation:
                self._show(file)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.failed(exc)

        run_for(self, lambda: load_case_file(services, key), done, failed)

    def _show_nothing(self) -> None:
        self.heading.setText("No case open")
        self.facts.setText("Choose a case on the left, or open a new one (Ctrl+N).")
        self.video.setText("")
        for table in (self.links.table, self.clips.table, self.tasks.table, self.notes.table, self.exports.table):
            table.records.set_records([])
        self.timeline.set_items([])
        self._update_buttons()

    def _show(self, file: CaseFile) -> None:
        self.file = file
        self._key = file.case.id
        case = file.case
        self.heading.setText(f"<span style='font-size:14pt'><b>{escape(case.number)}</b></span>&nbsp;&nbsp;"
                             f"{escape(case.title) or '<i>untitled</i>'}")
        dates = [f"opened {local_datetime(case.opened_at)}"]
        if case.cleared_at:
            dates.append(f"cleared {local_datetime(case.cleared_at)}")
        if case.closed_at:
            dates.append(f"closed {local_datetime(case.closed_at)}")
        self.facts.setText(f"{escape(case.case_type.capitalize())} &middot; <b>{case.status}</b> &middot; lead "
                           f"{escape(case.lead_investigator) or 'not set'} &middot; {', '.join(dates)}"
                           f" &middot; by {case.created_by}"
                           + (f"<br>{escape(case.description)}" if case.description else ""))
        stated = " (stated by the RMS)" if case.video_component_stated is not None else ""
        colour = theme.OK if file.video else theme.MUTED
        self.video.setText(f"<span style='color:{colour}'>&#9679;</span> video component: "
                           f"<b>{'yes' if file.video else 'no'}</b>{stated}")
        self.video.setToolTip("Yes when a video search found useful video or a clip of the case was not rejected"
                              if not stated else "The value the RMS import stated for this case")
        self.status_choice.setCurrentIndex(self.status_choice.findData(case.status))
        self.links.table.records.set_records(file.links)
        self.clips.table.records.set_records(file.clips)
        self.tasks.table.records.set_records(file.tasks)
        self.tasks.summarise(file.tasks)
        self.notes.table.records.set_records(file.notes)
        self.exports.table.records.set_records(file.exports)
        self.timeline.set_items(file.timeline)
        for tab, count in ((self.links, len(file.links)), (self.clips, len(file.clips)),
                           (self.tasks, len(file.tasks)), (self.notes, len(file.notes)),
                           (self.exports, len(file.exports))):
            title = self.tabs.tabText(self.tabs.indexOf(tab)).split(" (")[0]
            self.tabs.setTabText(self.tabs.indexOf(tab), f"{title} ({count})")
        self._update_buttons()

    def _update_buttons(self) -> None:
        open_case = self.file is not None
        clips = selected_clips(self.clips.table)
        tasks = selected_records(self.tasks.table)
        a = self._actor
        guard(self.status_button, a, Action.EDIT_CASES, "Change the case's status", open_case)
        guard(self.edit_button, a, Action.EDIT_CASES, "Change the title, type, lead and description", open_case)
        guard(self.links.link_button, a, Action.EDIT_CASES, "Attach an alert, plate, trail, still ... (Ctrl+K)",
              open_case)
        guard(self.links.unlink_button, a, Action.EDIT_CASES, "Detach the selected item",
              bool(selected_records(self.links.table)))
        guard(self.clips.tag_button, a, Action.TAG_CLIPS, "Tag a span of a camera's recording (Ctrl+T)", open_case)
        guard(self.clips.submit_button, a, Action.TAG_CLIPS, "Send the selected clips to a supervisor",
              bool(clips) and all(c.status in EDITABLE for c in clips))
        guard(self.clips.discard_button, a, Action.TAG_CLIPS, "Delete the selected draft or rejected clips",
              bool(clips) and all(c.status in EDITABLE for c in clips))
        guard(self.tasks.log_button, a, Action.EDIT_CASES, "Log a video search (Ctrl+Shift+L)", open_case)
        guard(self.tasks.outcome_button, a, Action.EDIT_CASES, "Record what the selected search found",
              len(tasks) == 1)
        guard(self.notes.add_button, a, Action.EDIT_CASES, "Add the note (Ctrl+Enter)",
              open_case and bool(self.notes.editor.toPlainText().strip()))
        guard(self.exports.export_button, a, Action.EXPORT_EVIDENCE, "Write the case's evidence package (Ctrl+E)",
              open_case and self._evidence is not None)
        if self._evidence is None and open_case:
            self.exports.export_button.setToolTip("No export folder is configured for this workstation")
        self.exports.verify_button.setEnabled(bool(selected_records(self.exports.table)))
        self.exports.verify_button.setToolTip("Check the selected package against its manifest")

    # -- changes -------------------------------------------------------------------------------------------
    def _run(self, what: str, work: Callable[[], object]) -> None:
        """Run a change on a pool thread; show the outcome, then read the case again."""
        self.status.info(f"{what} ...")

        def done(_result: object) -> None:
            self.status.info(f"{what}: done")
            self._after_change()

        run_for(self, work, done, self._failed_change)

    def _failed_change(self, exc: BaseException) -> None:
        self.status.failed(exc)
        self.reload()  # part of a batch may have been stored

    def _after_change(self, _result: object = None) -> None:
        self.reload()
        if self.file is not None:
            self.changed.emit(self.file.case.id)

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._after_change)
        dialog.open()
        return dialog

    def on_set_status(self) -> None:
        if self.file is None:
            return
        cases, actor, number = self._services.cases, actor_of(self._actor), self.file.case.number
        status = str(self.status_choice.currentData())
        self._run(f"Case {number} {status}", lambda: cases.set_status(actor, number, status))

    def on_edit(self) -> None:
        if self.file is not None:
            self._open(NewCaseDialog(self._services.cases, self._actor, self, case=self.file.case))

    def on_link(self, kind: str = "alert", ref: str = "") -> None:
        if self.file is not None:
            self._open(LinkDialog(self._services, self._actor, self.file.case.number, self, kind=kind, ref=ref))

    def link_item(self, kind: str, ref: str | int, label: str = "") -> None:
        """Attach an item to the open case at once (the window's "add to case" actions)."""
        if self.file is None:
            self.status.error("Open a case first: the item is linked to the open case")
            return
        cases, actor, number = self._services.cases, actor_of(self._actor), self.file.case.number
        self._run(f"Linking {kind.replace('_', ' ')} {ref}", lambda: cases.link(actor, number, kind, ref,
                                                                               label=label))

    def on_unlink(self) -> None:
        if self.file is None:
            return
        cases, actor, number = self._services.cases, actor_of(self._actor), self.file.case.number
        links: list[CaseLink] = selected_records(self.links.table)
        self._run("Unlinking", lambda: [cases.unlink(actor, number, link.kind, link.ref) for link in links])

    def on_tag_clip(self, camera_id: str = "", start: datetime | None = None, end: datetime | None = None) -> None:
        if self.file is None:
            return
        if not camera_id and self.file.clips:
            camera_id = self.file.clips[-1].camera_id
        end = end or datetime.now(UTC).replace(microsecond=0)
        start = start or end - TAG_LEAD
        self._open(ClipDialog(self._services, self._actor, camera_id, start, end, self,
                              case=self.file.case.number))

    def on_submit_clips(self) -> None:
        clips, actor = self._services.clips, actor_of(self._actor)
        chosen = selected_clips(self.clips.table)
        self._run(f"Submitting {len(chosen)} clip(s) for review",
                  lambda: [clips.submit(actor, c.id) for c in chosen])

    def on_discard_clips(self) -> None:
        clips, actor = self._services.clips, actor_of(self._actor)
        chosen = selected_clips(self.clips.table)
        self._run(f"Discarding {len(chosen)} clip(s)", lambda: discard_all(clips, actor, chosen))

    def on_log_task(self, window: tuple[datetime, datetime] | None = None) -> None:
        if self.file is not None:
            self._open(TaskDialog(self._services, self._actor, self.file.case.number, self, window=window))

    def on_task_outcome(self) -> None:
        tasks: list[VideoSearchTask] = selected_records(self.tasks.table)
        if self.file is not None and len(tasks) == 1:
            self._open(TaskDialog(self._services, self._actor, self.file.case.number, self, task=tasks[0]))

    def on_add_note(self) -> None:
        body = self.notes.editor.toPlainText()
        if self.file is None or not body.strip() or not self.notes.add_button.isEnabled():
            return
        cases, actor, number = self._services.cases, actor_of(self._actor), self.file.case.number

        def done(_note: object) -> None:
            self.notes.editor.clear()
            self.status.info("Note added")
            self._after_change()

        run_for(self, lambda: cases.add_note(actor, number, body), done, self.status.failed)

    def on_export(self) -> None:
        if self.file is not None and self._evidence is not None:
            self._open(ExportDialog(self._services, self._actor, self.file.case.number, self._evidence, self))

    def on_verify_export(self) -> None:
        exports: list[ExportRecord] = selected_records(self.exports.table)
        if not exports:
            return
        record = exports[0]

        def show(result: object) -> None:
            problems = getattr(result, "problems", ())
            if not problems:
                self.status.info(f"Package {record.id} verified: OK, every file matches its manifest")
                self.status.setStyleSheet(f"color: {theme.OK};")
            else:
                self.status.error(f"Package {record.id}: " + "; ".join(str(p) for p in problems[:5])
                                  + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))

        self.status.info(f"Verifying package {record.id} ...")
        run_for(self, lambda: check_package(Path(record.path), record.manifest_sha256), show,
                          self.status.failed)
