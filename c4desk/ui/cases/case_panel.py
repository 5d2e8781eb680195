"""The Cases dock: the case list with its filters and "New case" on the left, the open case on the right.

The list is read through ``CaseRepository.list`` (and the video-component flags in one query) on a pool thread;
filtering is the repository's. Bus events reach the panel through the window's bridge (``on_bus_event``): a case
changed anywhere (another seat, the CLI, a clip tagged on the wall) reloads the list and, if it is the open
case, the detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from c4desk.domain.events import CaseChanged, ClipChanged, ClipTagged
from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.cases import CASE_STATUSES, Case, CaseFilter
from c4desk.ui.cases.case_detail import CaseDetail
from c4desk.ui.cases.common import ActorSource, EvidenceContext, StatusLine, guard, run_for
from c4desk.ui.cases.intake_dialog import CaseIntakeDialog
from c4desk.ui.cases.new_case_dialog import CASE_TYPES, NewCaseDialog
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.cases.tables import status_table
from c4desk.ui.record_table import Column
from c4desk.ui.timefmt import local_datetime

FILTER_DELAY_MS = 250


@dataclass(frozen=True)
class CaseListing:
    case: Case
    video: bool


COLUMNS: tuple[Column, ...] = (
    ("Number", lambda r: r.case.number),
    ("Status", lambda r: r.case.status),
    ("Video", lambda r: "yes" if r.video else ""),
    ("Type", lambda r: r.case.case_type),
    ("Opened", lambda r: local_datetime(r.case.opened_at)[:16]),
    ("Lead", lambda r: r.case.lead_investigator),
    ("Title", lambda r: r.case.title),
)


class CasePanel(QWidget):
    """``case_opened(Case)`` when a case is shown in the detail."""

    case_opened = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, *, evidence: EvidenceContext | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._generation = 0
        self._want_open: int | str | None = None
        self.text = QLineEdit()
        self.text.setPlaceholderText("Number or title")
        self.text.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("Any status", "")
        for status in CASE_STATUSES:
            self.status_filter.addItem(status.capitalize(), status)
        self.status_filter.setCurrentIndex(1)  # open cases: what the centre works on
        self.type_filter = QComboBox()
        self.type_filter.addItem("Any type", "")
        for case_type in CASE_TYPES:
            self.type_filter.addItem(case_type.capitalize(), case_type)
        self.new_button = QPushButton("New case...")
        self.table = status_table(COLUMNS, lambda r: r.case.id, 1, lambda r: r.case.status)
        for column, width in enumerate((84, 56, 52, 80, 118, 90)):
            self.table.setColumnWidth(column, width)
        self.detail = CaseDetail(services, actor, evidence=evidence)
        self.status = StatusLine()
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self.new_action = QAction("New case...", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.new_action)
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.refresh_action)
        self.dialog: NewCaseDialog | None = None
        # Set by the main window: a new case then opens with what the analyst worked on (see intake_dialog).
        self.session_work: SessionWork | None = None
        # An explicit small minimum: docked beside others, every dock's minimum width adds to the window's.
        self.setMinimumWidth(240)
        self._layout()
        self._connect_signals()
        guard(self.new_button, actor, Action.EDIT_CASES, "Open a new case (Ctrl+N)")
        self.reload()

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.text, 2)
        filters.addWidget(self.status_filter)
        filters.addWidget(self.type_filter)
        filters.addWidget(self.new_button)
        left = QWidget()
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(filters)
        box.addWidget(self.table, 1)
        box.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 780])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    def _connect_signals(self) -> None:
        self.text.textChanged.connect(lambda _t: self._filter_timer.start())
        self.text.returnPressed.connect(self.reload)
        self.status_filter.currentIndexChanged.connect(self.reload)
        self.type_filter.currentIndexChanged.connect(self.reload)
        self._filter_timer.timeout.connect(self.reload)
        self.new_button.clicked.connect(self.on_new_case)
        self.new_action.triggered.connect(self.on_new_case)
        self.refresh_action.triggered.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.detail.changed.connect(lambda _id: self.reload())

    def sizeHint(self) -> QSize:
        # Modest: a bottom dock must not push the wall out of the window (the splitter shares what it gets).
        return QSize(900, 340)

    # -- the list ------------------------------------------------------------------------------------------
    def case_filter(self) -> CaseFilter:
        return CaseFilter(status=self.status_filter.currentData() or None,
                          case_type=self.type_filter.currentData() or None, text=self.text.text().strip() or None)

    def reload(self) -> None:
        self._generation += 1
        generation, cases, where = self._generation, self._services.cases, self.case_filter()

        def work() -> list[CaseListing]:
            found = cases.list(where)
            video = cases.video_components([c.id for c in found])
            return [CaseListing(c, video.get(c.id, False)) for c in found]

        def done(rows: list[CaseListing]) -> None:
            if generation == self._generation:
                self._show(rows)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.failed(exc)

        run_for(self, work, done, failed)

    def _show(self, rows: list[CaseListing]) -> None:
        current = self.current_case()
        want = self._want_open if self._want_open is not None else (current.id if current else None)
        self.table.records.set_records(rows)
        self.status.info(f"{len(rows)} case(s)" + ("" if len(rows) < 500 else ", the newest 500"))
        if want is not None:
            row = next((i for i, r in enumerate(rows) if want in (r.case.id, r.case.number)), None)
            if row is not None:
                self._want_open = None
                self.table.selectRow(row)

    def current_case(self) -> Case | None:
        """The case open in the detail (the one a clip tagged on the wall goes to by default)."""
        return self.detail.case

    def open_case(self, key: int | str) -> None:
        """Show a case (id or number) in the detail, and select it in the list when the filters show it."""
        self._want_open = key
        self.detail.show_case(key)
        self.reload()

    def _on_selection(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        if len(rows) == 1:
            listing: CaseListing = self.table.records.record(rows.pop())
            if self.detail.case is None or self.detail.case.id != listing.case.id:
                self.detail.show_case(listing.case.id)
            self.case_opened.emit(listing.case)

    # -- new case ------------------------------------------------------------------------------------------
    def on_new_case(self) -> None:
        if not self.new_button.isEnabled():
            return
        work = self.session_work
        dialog = (CaseIntakeDialog(self._services, self._actor, work, self) if work is not None
                  else NewCaseDialog(self._services.cases, self._actor, self))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda case: self.open_case(case.id))
        self.dialog = dialog
        dialog.open()

    # -- events --------------------------------------------------------------------------------------------
    def on_bus_event(self, event: object) -> None:
        """Case and clip events (from the window's bridge, on the GUI thread): show the stored state."""
        if isinstance(event, (CaseChanged, ClipChanged, ClipTagged)):
            self._filter_timer.start()  # a burst of events (a batch submit) reloads once
            case_id = getattr(event, "case_id", None)
            current = self.detail.case
            if current is not None and case_id == current.id:
                self.detail.reload()
