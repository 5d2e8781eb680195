"""New case (Ctrl+N) with the session's work already in it: the alerts answered, the trail followed, the plate run,
the clips tagged, the video search it took; Enter files it all.

The draft comes from ``session_work.propose``; every item is a tick box, the search's outcome and minutes can be
changed, and the number is the centre's next own one until the analyst types the agency's over it. Stored by
``CaseIntakeService.open_case`` in one transaction: all of it, or nothing and the refused item named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.hop_trail import Trail
from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.case_intake import CaseIntake, SearchLog
from c4desk.store.cases import Case
from c4desk.store.clips import EDITABLE, Clip
from c4desk.ui.cases.common import OUTCOME_LABELS, ActorSource, actor_of, error_fields, guard, run_for
from c4desk.ui.cases.new_case_dialog import NewCaseDialog
from c4desk.ui.cases.session_work import Proposal, SessionWork, propose, searched
from c4desk.ui.timefmt import local_time

STILL_SEARCHING = ""
_REF = Qt.ItemDataRole.UserRole


class CaseIntakeDialog(NewCaseDialog):
    """``saved(Case)`` once the case and everything ticked are stored."""

    def __init__(self, services: Services, actor: ActorSource, work: SessionWork,
                 parent: QWidget | None = None) -> None:
        super().__init__(services.cases, actor, parent)
        self.setWindowTitle("New case from this session")
        self._services = services
        self._work = work
        self.proposal: Proposal | None = None
        self.items = QListWidget()
        self.items.setMinimumHeight(150)
        self.search_box = QGroupBox("Log the video search")
        self.search_box.setCheckable(True)
        self.searched = QLabel()
        self.searched.setWordWrap(True)
        self.outcome = QComboBox()
        for value, label in OUTCOME_LABELS.items():
            self.outcome.addItem(label, value)
        self.outcome.addItem("Still searching", STILL_SEARCHING)
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 100_000)
        self.minutes.setSuffix(" min")
        self.submit = QCheckBox("Submit the ticked clips for supervisor review")
        self._fields.update({"links": self.items, "clips": self.items, "cameras": self.searched,
                             "outcome": self.outcome, "minutes_spent": self.minutes})
        self._layout_session()
        self.outcome.currentIndexChanged.connect(
            lambda _i: self.minutes.setEnabled(self.outcome.currentData() != STILL_SEARCHING))
        self.items.itemChanged.connect(lambda _item: self._update_search())
        self.resize(620, 640)
        self._suggested = ""  # the centre's number put in the field (not typed by the analyst)
        self._trails: list[Trail] = []
        self._cameras: tuple[str, ...] = ()
        self._window: tuple[datetime, datetime] | None = None
        self.save_button.setEnabled(False)
        self.status.info("Gathering this session's work ...")
        self._load()

    def _layout_session(self) -> None:
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        attach = QGroupBox("Attach from this session")
        QVBoxLayout(attach).addWidget(self.items)
        form = QFormLayout(self.search_box)
        form.addRow("Searched", self.searched)
        row = QHBoxLayout()
        row.addWidget(self.outcome, 1)
        row.addWidget(QLabel("time spent"))
        row.addWidget(self.minutes)
        form.addRow("Outcome", row)
        layout.insertWidget(1, attach, 1)
        layout.insertWidget(2, self.search_box)
        layout.insertWidget(3, self.submit)
        self.opened.setEnabled(False)  # the session's case is opened when it is filed

    # -- the draft ------------------------------------------------------------------------------------
    def _load(self) -> None:
        services, actor, work = self._services, actor_of(self._actor), self._work
        year = datetime.now().year  # the centre's numbering follows its local calendar

        def gather() -> tuple[str, list[Trail], list[Clip]]:
            trails = [t for i in work.trail_ids if (t := services.trails.get(i)) is not None]
            unfiled = [c for c in services.clips.my_clips(actor, statuses=EDITABLE) if c.case_id is None]
            unfiled.sort(key=lambda c: (c.start_at, c.id))
            return services.case_intake.suggest_number(year), trails, unfiled

        run_for(self, gather, self._show, self._load_failed)

    def _show(self, found: tuple[str, Sequence[Trail], Sequence[Clip]]) -> None:
        number, trails, unfiled = found
        self._trails = list(trails)
        proposal = self.proposal = propose(self._work, trails, unfiled, datetime.now(UTC))
        if not self.number.text().strip():  # not already typed over while the draft was gathered
            self.number.setText(number)
            self._suggested = number
            self.number.selectAll()
        if proposal.case_type:
            self.case_type.setCurrentText(proposal.case_type)
        if not self.title.text():
            self.title.setText(proposal.title)
        self.items.blockSignals(True)
        for kind, ref, label in proposal.links:
            self._add_item(label, (kind, ref), True)
        for clip, ticked in proposal.clips:
            self._add_item(f"Clip {clip.id}: {clip.camera_name or clip.camera_id} {local_time(clip.start_at)}"
                           f"-{local_time(clip.end_at)}" + (f" ({', '.join(clip.tags)})" if clip.tags else ""),
                           ("clip", str(clip.id)), ticked)
        self.items.blockSignals(False)
        if not proposal.links and not proposal.clips:
            self.items.addItem("Nothing worked in this session yet: the case opens empty")
        self.minutes.setValue(proposal.minutes)
        self._update_search()
        self.status.info(f"{len(proposal.links) + sum(t for _c, t in proposal.clips)} item(s) ticked: "
                         "Enter opens the case with them")
        self._enable_saving()

    def _add_item(self, label: str, ref: tuple[str, str], ticked: bool) -> None:
        item = QListWidgetItem(label)
        item.setData(_REF, ref)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.items.addItem(item)

    def _load_failed(self, exc: BaseException) -> None:
        self.status.error(f"Could not gather this session's work: {exc}. The case can still be opened empty.")
        self._enable_saving()

    def ticked(self) -> list[tuple[str, str]]:
        """(kind, ref) of every ticked item, in the list's order."""
        refs: list[tuple[str, str]] = []
        for i in range(self.items.count()):
            item = self.items.item(i)
            ref = item.data(_REF)
            if ref and item.checkState() == Qt.CheckState.Checked:
                refs.append((str(ref[0]), str(ref[1])))
        return refs

    def _update_search(self) -> None:
        """The search covers the ticked trails' cameras and the ticked clips'; a ticked clip is useful video."""
        ids = {(kind, ref) for kind, ref in self.ticked()}
        trails = [t for t in self._trails if ("trail", str(t.id)) in ids]
        clips = [c for c, _t in (self.proposal.clips if self.proposal else ()) if ("clip", str(c.id)) in ids]
        self._cameras, self._window = searched(trails, clips)
        self.search_box.setChecked(bool(self._cameras))
        self.search_box.setEnabled(bool(self._cameras))
        span = f"; {local_time(self._window[0])}-{local_time(self._window[1])}" if self._window else ""
        self.searched.setText(", ".join(self._cameras) + span if self._cameras
                              else "no cameras: tick a trail or a clip")
        self.outcome.setCurrentIndex(self.outcome.findData("useful_video" if clips else STILL_SEARCHING))
        self.submit.setEnabled(bool(clips))
        self.submit.setChecked(bool(clips))

    def _on_failed(self, exc: BaseException) -> None:
        super()._on_failed(exc)
        if self._suggested and self.number.text().strip() == self._suggested and "number" in error_fields(exc):
            # Another seat opened a case with the same centre number meanwhile: offer the next one.
            taken, intake, year = self._suggested, self._services.case_intake, datetime.now().year

            def offer(number: str) -> None:
                if self.number.text().strip() == taken:
                    self.number.setText(number)
                    self._suggested = number
                    self.number.selectAll()
                    self.status.error(f"{taken} was taken meanwhile; {number} is filled in: Enter opens the case")

            run_for(self, lambda: intake.suggest_number(year), offer)

    def _enable_saving(self) -> None:
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Open the case with the ticked items (Enter)")

    # -- storing --------------------------------------------------------------------------------------
    def new_case_store(self) -> Callable[[str, str, str, str, datetime | None, str], Case]:
        intake, actor = self._services.case_intake, actor_of(self._actor)
        ticked = self.ticked()
        links = tuple((kind, ref) for kind, ref in ticked if kind != "clip")
        clip_ids = tuple(int(ref) for kind, ref in ticked if kind == "clip")
        search = None
        if self.search_box.isChecked() and self._cameras:
            outcome = str(self.outcome.currentData())
            search = SearchLog(self._cameras, self._window, outcome, self.minutes.value() if outcome else 0)
        submit = self.submit.isChecked() and bool(clip_ids)

        def open_case(number: str, case_type: str, title: str, lead: str, _opened: datetime | None,
                      description: str) -> Case:
            return intake.open_case(actor, CaseIntake(number=number, case_type=case_type, title=title, lead=lead,
                                                      description=description, links=links, clip_ids=clip_ids,
                                                      search=search, submit_clips=submit))

        return open_case
