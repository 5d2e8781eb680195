"""The analyst's plate search: exact, wildcard, partial and OCR-tolerant, with history, trail and CSV export.

Filters: time range, cameras, region (the plate's state or country as the reader reported it) and direction.
Results show the camera's plate crop beside the plate text when ``images`` is given.

Every query runs through ``run_in_background``; a search over months of reads never freezes the wall.

Searches act for the person logged in (``actor``): the store checks SEARCH_PLATES and audits each query. A role
without that right (the wall operator) sees the Search button disabled and why; a refusal that still comes back
(Enter in the field, a role changed meanwhile) is said on the status line, never raised.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Action, PermissionDenied
from c4desk.domain.plates import LprRead
from c4desk.integrations.owner_lookup import OwnerLookupClient, OwnerLookupError, OwnerRecord
from c4desk.store.plate_search import PlateHistory, PlateSearch, ReadFilter
from c4desk.ui.background import run_in_background
from c4desk.ui.cases.common import ActorSource, StatusLine, actor_of, describe_error, guard, may, refusal
from c4desk.ui.lpr.plate_images import PlateImages
from c4desk.ui.lpr.read_table import PlateReadTable
from c4desk.ui.timefmt import local_datetime

PAGE = 100
TRAIL_READS = 500  # the newest reads a history view draws as the plate's trail
RANGES = (("Last hour", timedelta(hours=1)), ("Last 24 hours", timedelta(days=1)), ("Last 7 days", timedelta(days=7)),
          ("Last 90 days", timedelta(days=90)), ("Any time", None))
CSV_FIELDS = ("plate", "region", "read_at", "camera_id", "confidence", "direction")


class PlateSearchPanel(QWidget):
    """Signals ``trail_requested(plate, reads)`` with the selected plate's reads (oldest first) for the map."""

    trail_requested = Signal(str, list)

    def __init__(self, search: PlateSearch, owner_lookup: Callable[[], OwnerLookupClient | None] | None = None,
                 parent: QWidget | None = None, *, actor: ActorSource, images: PlateImages | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._actor = actor
        self._owner_lookup = owner_lookup
        self._offset = 0
        self._results: list[LprRead] = []
        self._generation = 0  # answers to an older query are dropped

        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("Plate: 6PZ193, AB*12 (* any run), 6?Z193 (? one character)")
        self.partial = QCheckBox("Anywhere in plate")
        self.fuzzy = QCheckBox("OCR-tolerant (0/O, 1/I, 8/B ...)")
        self.range = QComboBox()
        for label, _ in RANGES:
            self.range.addItem(label)
        self.range.setCurrentIndex(1)
        self.cameras = QLineEdit()
        self.cameras.setPlaceholderText("Cameras: lpr01, lpr02 (all if empty)")
        self.direction = QComboBox()
        self.direction.addItems(["Any direction", "in", "out"])
        self.region = QLineEdit()
        self.region.setPlaceholderText("Region: CT")
        self.region.setToolTip("The plate's state or country as read (CT, NY, ...); all regions if empty")
        self.region.setMaxLength(16)
        self.region.setMaximumWidth(100)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.export_button = QPushButton("Export CSV")
        self.prev_button, self.next_button = QPushButton("< Newer"), QPushButton("Older >")
        self.status = StatusLine()
        self.table = PlateReadTable(images=images)
        self.history = QLabel("Select a read to see the plate's history")
        self.history.setWordWrap(True)
        self.history.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout()
        self._connect_signals()

    def _layout(self) -> None:
        row1 = QHBoxLayout()
        row1.addWidget(self.pattern, 3)
        row1.addWidget(self.cameras, 2)
        row1.addWidget(self.region, 1)
        row1.addWidget(self.search_button)
        row2 = QHBoxLayout()
        for option in (self.partial, self.fuzzy, self.range, self.direction):
            row2.addWidget(option)
        row2.addStretch(1)
        row3 = QHBoxLayout()
        row3.addWidget(self.status, 1)
        for button in (self.prev_button, self.next_button, self.export_button):
            row3.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addLayout(row3)
        layout.addWidget(splitter, 1)
        self._update_buttons()
        guard(self.search_button, self._actor, Action.SEARCH_PLATES, "Search (Enter)")
        if not may(self._actor, Action.SEARCH_PLATES):
            self.status.error(refusal(actor_of(self._actor), Action.SEARCH_PLATES))
            self.history.clear()  # no history to select

    def _connect_signals(self) -> None:
        self.pattern.returnPressed.connect(self.run_search)
        self.cameras.returnPressed.connect(self.run_search)
        self.region.returnPressed.connect(self.run_search)
        self.search_button.clicked.connect(self.run_search)
        self.prev_button.clicked.connect(lambda: self._page(-PAGE))
        self.next_button.clicked.connect(lambda: self._page(PAGE))
        self.export_button.clicked.connect(self.on_export)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

    # -- searching ---------------------------------------------------------------------------------------
    def read_filter(self) -> ReadFilter:
        span = RANGES[self.range.currentIndex()][1]
        cameras = tuple(c.strip() for c in self.cameras.text().split(",") if c.strip())
        direction = self.direction.currentText() if self.direction.currentIndex() > 0 else ""
        return ReadFilter(since=datetime.now(UTC) - span if span else None, cameras=cameras,
                          region=self.region.text().strip().upper(), direction=direction)

    def run_search(self) -> None:
        self._offset = 0
        self._query()

    def _page(self, delta: int) -> None:
        self._offset = max(0, self._offset + delta)
        self._query()

    def _query(self) -> None:
        text = self.pattern.text().strip()
        if not text:
            self.status.info("Type a plate or a pattern")
            return
        self._generation += 1
        generation, offset = self._generation, self._offset
        where, partial, fuzzy = self.read_filter(), self.partial.isChecked(), self.fuzzy.isChecked()
        search, actor = self._search, actor_of(self._actor)
        self.status.info("Searching ...")

        def work() -> list[LprRead]:
            return search.search(text, actor=actor, partial=partial, fuzzy=fuzzy, where=where, limit=PAGE,
                                 offset=offset)

        def done(reads: list[LprRead]) -> None:
            if generation == self._generation:
                self._show(reads)

        run_in_background(work, done, lambda exc: self._failed(generation, exc))

    def _show(self, reads: list[LprRead]) -> None:
        self._results = reads
        self.table.records.set_records(reads)
        first = self._offset + 1 if reads else 0
        self.status.info(f"Reads {first}-{self._offset + len(reads)}, newest first" if reads else "No reads")
        self._update_buttons()
        plates = {r.plate_norm for r in reads}
        if len(plates) == 1:
            self.show_history(plates.pop())  # one plate found: its history, owner and trail at once, no click

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, PermissionDenied):
            self._clear_results()  # what an earlier search found is no longer theirs to see
        self.status.error("; ".join(str(e) for e in exc.errors) if isinstance(exc, ValidationError)
                          else describe_error(exc) if isinstance(exc, PermissionDenied) else f"Search failed: {exc}")

    def _clear_results(self) -> None:
        self._results = []
        self.table.records.set_records([])
        self.history.setText("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.prev_button.setEnabled(self._offset > 0)
        self.next_button.setEnabled(len(self._results) == PAGE)
        self.export_button.setEnabled(bool(self._results))

    # -- the selected plate ------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        if len(rows) == 1:
            self.show_history(self.table.records.record(rows.pop()).plate_norm)

    def show_history(self, plate: str) -> None:
        search, lookup, actor = self._search, self._owner_lookup, actor_of(self._actor)

        def work() -> tuple[PlateHistory | None, list[LprRead], OwnerRecord | None, str]:
            history = search.history(plate, actor=actor, recent=TRAIL_READS)  # one audited query, trail included
            reads = history.recent if history is not None else []
            owner, problem = None, ""
            client = lookup() if lookup else None
            if client is not None:
                try:
                    owner = client.lookup(plate)
                except OwnerLookupError as exc:
                    problem = str(exc)
            return history, reads, owner, problem

        def shown(result: tuple[PlateHistory | None, list[LprRead], OwnerRecord | None, str]) -> None:
            if isValid(self.history):  # the panel may be gone (its window closed) before the answer comes
                self._show_history(plate, *result)

        def failed(exc: BaseException) -> None:
            if isValid(self.history):
                self.history.setText(f"History of {plate}: {describe_error(exc)}" if isinstance(exc, PermissionDenied)
                                     else f"History of {plate} failed: {exc}")

        run_in_background(work, shown, failed)

    def _show_history(self, plate: str, history: PlateHistory | None, reads: list[LprRead],
                      owner: OwnerRecord | None, problem: str) -> None:
        if history is None:
            self.history.setText(f"{plate}: no reads")
            return
        lines = [f"<b>{plate}</b>: {history.reads} read(s), first {local_datetime(history.first_seen)}, "
                 f"last {local_datetime(history.last_seen)}"]
        lines += [f"&nbsp;&nbsp;{c.camera_id}: {c.reads} read(s), last {local_datetime(c.last_seen)}"
                  for c in history.cameras[:8]]
        if owner is not None:
            vehicle = ", ".join(f"{v}" for v in owner.vehicle.values())
            lines.append(f"Registered to <b>{owner.name}</b>, {owner.address}" + (f" ({vehicle})" if vehicle else ""))
        elif problem:
            lines.append(f"Owner look-up: {problem}")
        self.history.setText("<br>".join(lines))
        self.trail_requested.emit(plate, sorted(reads, key=lambda r: r.read_at))

    # -- export ------------------------------------------------------------------------------------------
    def on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export reads", "plate-reads.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_FIELDS)
            for r in self._results:
                writer.writerow([r.plate_norm, r.region, r.read_at.isoformat(), r.camera_id,
                                 "" if r.confidence is None else f"{r.confidence:.2f}", r.direction])
        self.status.info(f"Exported {len(self._results)} read(s) to {path}")
