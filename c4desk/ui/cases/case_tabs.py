"""The tabs of an open case: what is linked, its clips, its video searches, its notes and its exports.

Widgets only: each tab is a table with its buttons. ``CaseDetail`` fills the tables and wires the buttons to
the services, so every service call of a case is in one module.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from c4desk.store.cases import VideoSearchTask
from c4desk.ui.cases.common import OUTCOME_LABELS
from c4desk.ui.cases.tables import clip_table, set_widths, status_table
from c4desk.ui.record_table import Column, RecordTable
from c4desk.ui.timefmt import local_datetime, local_time

LINK_COLUMNS: tuple[Column, ...] = (
    ("Kind", lambda link: link.kind.replace("_", " ")),
    ("Item", lambda link: link.ref),
    ("When", lambda link: local_datetime(link.at)),
    ("Label", lambda link: link.label),
    ("Linked by", lambda link: link.linked_by),
)
TASK_COLUMNS: tuple[Column, ...] = (
    ("#", lambda t: t.id),
    ("Asked", lambda t: local_datetime(t.requested_at)),
    ("By", lambda t: t.requested_by),
    ("Cameras", lambda t: ", ".join(t.camera_ids)),
    ("Window", lambda t: f"{local_datetime(t.window_start)} - {local_time(t.window_end)}" if t.window_start else ""),
    ("Outcome", lambda t: OUTCOME_LABELS.get(t.outcome, "still searching")),
    ("Minutes", lambda t: "" if t.minutes_spent is None else t.minutes_spent),
    ("Looking for", lambda t: t.description),
)
EXPORT_COLUMNS: tuple[Column, ...] = (
    ("#", lambda e: e.id),
    ("Exported", lambda e: local_datetime(e.exported_at)),
    ("By", lambda e: e.exported_by),
    ("Files", lambda e: e.files),
    ("Size", lambda e: f"{e.bytes / 1e6:.1f} MB"),
    ("Manifest SHA-256", lambda e: e.manifest_sha256),
    ("Package", lambda e: e.path),
)
NOTE_COLUMNS: tuple[Column, ...] = (
    ("Written", lambda n: local_datetime(n.created_at)),
    ("By", lambda n: n.author),
    ("Note", lambda n: n.body.replace("\n", " / ")),
)


def _row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _tab(table: QWidget, buttons: QHBoxLayout) -> QWidget:
    tab = QWidget()
    layout = QVBoxLayout(tab)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.addLayout(buttons)
    layout.addWidget(table, 1)
    return tab


class LinksTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = RecordTable(LINK_COLUMNS, key=lambda link: link.id)
        set_widths(self.table, 84, 80, 150, 360)
        self.link_button = QPushButton("Link item...")
        self.unlink_button = QPushButton("Unlink")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_tab(self.table, _row(self.link_button, self.unlink_button)))


class ClipsTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = clip_table(multi=True)
        self.tag_button = QPushButton("Tag clip...")
        self.submit_button = QPushButton("Submit for review")
        self.discard_button = QPushButton("Discard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_tab(self.table, _row(self.tag_button, self.submit_button, self.discard_button)))


class TasksTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = status_table(TASK_COLUMNS, lambda t: t.id, 5, lambda t: t.outcome or "searching")
        set_widths(self.table, 36, 150, 90, 120, 230, 140, 60)
        self.log_button = QPushButton("Log video search...")
        self.outcome_button = QPushButton("Record outcome...")
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = _row(self.log_button, self.outcome_button)
        buttons.addWidget(self.summary)
        layout.addWidget(_tab(self.table, buttons))

    def summarise(self, tasks: Sequence[VideoSearchTask]) -> None:
        done = [t for t in tasks if t.outcome]
        minutes = sum(t.minutes_spent or 0 for t in done)
        useful = sum(1 for t in done if t.outcome == "useful_video")
        self.summary.setText(f"{len(tasks)} search(es), {useful} with useful video, {minutes} min spent")


class NotesTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = RecordTable(NOTE_COLUMNS, key=lambda n: n.id)
        set_widths(self.table, 150, 90)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("An intelligence note for the case (Ctrl+Enter adds it)")
        self.add_button = QPushButton("Add note")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        editor = QWidget()
        box = QVBoxLayout(editor)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.editor, 1)
        box.addLayout(_row(self.add_button))
        splitter.addWidget(editor)
        splitter.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)


class ExportsTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = RecordTable(EXPORT_COLUMNS, key=lambda e: e.id)
        set_widths(self.table, 36, 150, 80, 50, 70, 220)
        self.export_button = QPushButton("Export evidence...")
        self.verify_button = QPushButton("Verify package")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_tab(self.table, _row(self.export_button, self.verify_button)))
