"""Bookmark the moment a tile shows: a label, an optional note, and the case open in the Cases panel.

The wall opens it with the tile's camera and the moment (the playback position, or now when live); Enter stores it.
The moment itself is not editable: a bookmark says "this frame", and the analyst got there by scrubbing. Storing
goes through ``RecordingRepository.add_bookmark`` (role check and audit record in the store, same transaction) off
the GUI thread; a refusal or a bad field comes back as a message in the dialog, which stays open so nothing typed
is lost. ``reveal_on_timeline`` then brings the new flag into the timeline's view.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Action
from c4desk.store.cases import Case
from c4desk.store.recordings import Bookmark, RecordingRepository
from c4desk.ui import theme
from c4desk.ui.cases.common import (
    ActorSource,
    StatusLine,
    actor_of,
    guard,
    may,
    refusal,
    run_for,
    show_refusal,
)
from c4desk.ui.timefmt import local_datetime
from c4desk.ui.wall.timeline import TimelineWidget

__all__ = ["BookmarkDialog", "reveal_on_timeline"]

LABEL_MAX = 200  # the store's limit (RecordingRepository.add_bookmark); typing stops there instead of failing later
SAVE_TIP = "Store the bookmark on this camera's timeline (Enter)"


def moment_text(at: datetime) -> str:
    """Local date and time to the millisecond: two bookmarks a frame apart must read differently."""
    return f"{local_datetime(at)}.{at.microsecond // 1000:03d}"


class BookmarkDialog(QDialog):
    """``bookmarked(Bookmark)`` once stored (then the dialog closes); ``bookmark`` holds it."""

    bookmarked = Signal(object)

    def __init__(self, recordings: RecordingRepository, actor: ActorSource, camera_id: str, at: datetime,
                 parent: QWidget | None = None, *, camera_name: str = "", case: Case | None = None,
                 live: bool = False) -> None:
        super().__init__(parent)
        self._recordings = recordings
        self._actor = actor
        self.camera_id = camera_id
        self.at = at
        self.case = case
        self.bookmark: Bookmark | None = None
        self.setWindowTitle("Bookmark")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one moment, one dialog: none pile up on the window
        where = f"{camera_name} ({camera_id})" if camera_name and camera_name != camera_id else camera_id
        self.moment = QLabel(f"<b>{html.escape(where)}</b><br>{moment_text(at)} "
                             f"<span style='color:{theme.MUTED}'>{'live' if live else 'recorded'}</span>")
        self.moment.setTextFormat(Qt.TextFormat.RichText)
        self.label = QLineEdit()
        self.label.setMaxLength(LABEL_MAX)
        self.label.setPlaceholderText("What happens here, e.g. grey sedan enters northbound")
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Optional note")
        self.note.setMinimumHeight(60)
        self.attach = QCheckBox()
        if case is not None:
            text = f"Attach to case {case.number}" + (f"  {case.title}" if case.title else "")
            self.attach.setText(text.replace("&", "&&"))  # a button's "&" is a mnemonic: "Main & Pearl" kept
            self.attach.setChecked(True)
        else:
            self.attach.setText("No case is open in the Cases panel")
            self.attach.setEnabled(False)
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Bookmark")
        self.save_button.setDefault(True)
        guard(self.save_button, actor, Action.TAG_CLIPS, SAVE_TIP)
        if not may(actor, Action.TAG_CLIPS):
            self.status.error(refusal(actor_of(actor), Action.TAG_CLIPS))
        self._fields: dict[str, QWidget] = {"label": self.label, "note": self.note, "case_id": self.attach}
        self._layout()
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        # Enter in the label presses the default button; Ctrl+Enter stores from the note too.
        QShortcut(QKeySequence("Ctrl+Return"), self, self._save_if_enabled)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Moment", self.moment)
        form.addRow("Label", self.label)
        form.addRow("Note", self.note)
        form.addRow("Case", self.attach)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(480, 260)
        self.label.setFocus()

    def case_id(self) -> int | None:
        return self.case.id if self.case is not None and self.attach.isChecked() else None

    def on_save(self) -> None:
        recordings, actor = self._recordings, actor_of(self._actor)
        camera_id, at, case_id = self.camera_id, self.at, self.case_id()
        label, note = self.label.text().strip(), self.note.toPlainText()

        def work() -> Bookmark:
            return recordings.add_bookmark(actor, camera_id, at, label, note, case_id)

        self.save_button.setEnabled(False)
        self.status.info("Storing ...")
        run_for(self, work, self._on_stored, self._on_failed)

    def _on_stored(self, bookmark: Bookmark) -> None:
        self.bookmark = bookmark
        self.bookmarked.emit(bookmark)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        guard(self.save_button, self._actor, Action.TAG_CLIPS, SAVE_TIP)
        show_refusal(exc, self._fields, self.status)

    def _save_if_enabled(self) -> None:
        if self.save_button.isEnabled():
            self.on_save()


def reveal_on_timeline(timeline: TimelineWidget, at: datetime) -> None:
    """Read the timeline again so a new bookmark's flag appears; when ``at`` is off the visible window (a live
    view's timeline is not paged along with the clock), centre the window on it, keeping the zoom."""
    start, end = timeline.bar.visible_window
    if not start <= at <= end:
        half = (end - start) / 2
        timeline.bar.set_window(at - half, at + half)
    timeline.reload()

