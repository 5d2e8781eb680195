"""The supervisor's review queue: clips submitted for review, longest waiting first, each previewed from the
recording; approve, or reject with a comment the analyst will read.

The queue and every verdict go through ``ClipRepository`` (``review_queue``, ``review``), which checks
REVIEW_CLIPS, refuses a supervisor's own clips (separation of duties) and audits each verdict. The buttons
mirror those rules (disabled, with the reason as tooltip); a refusal that still comes back is shown here.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.clips import Clip
from c4desk.ui.cases.common import ActorSource, StatusLine, actor_of, guard, mark_invalid, may, refusal, run_for
from c4desk.ui.cases.tables import clip_columns, clip_table, selected_clips, set_records_keeping_selection
from c4desk.ui.review.clip_preview import ClipPreview
from c4desk.ui.timefmt import local_datetime

# A case's clip columns, with when it was submitted (the queue's order) where the verdict columns would be.
QUEUE_COLUMNS = clip_columns("#", "Case", "Camera", "In", "Length", "Tags", "Status", "Tagged by", "Submitted")


def describe_clip(clip: Clip) -> str:
    """The facts a reviewer reads beside the preview (HTML, escaped)."""
    lines = [f"<b>Clip {clip.id}</b> &middot; case {escape(clip.case_number or 'none')} &middot; "
             f"{escape(clip.camera_name or clip.camera_id)} ({escape(clip.camera_id)})",
             f"{local_datetime(clip.start_at)} for {clip.duration_s:.1f} s &middot; tagged by "
             f"{escape(clip.created_by)} {local_datetime(clip.created_at)}",
             f"Tags: {escape(', '.join(clip.tags)) or '<i>none</i>'} &middot; {clip.held_segments} recorded "
             "segment(s) held as evidence"]
    if clip.note:
        lines.append(f"Note: {escape(clip.note)}")
    if clip.review_comment:
        lines.append(f"Earlier review: {escape(clip.review_comment)}")
    return "<br>".join(lines)


class ReviewQueue(QWidget):
    """``reviewed(Clip)`` after a verdict is stored."""

    reviewed = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._generation = 0
        self._busy = False
        self._last_verdict = ""
        self.table = clip_table(columns=QUEUE_COLUMNS)
        self.preview = ClipPreview(services.recordings)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comment for the analyst (required to reject)")
        self.comment.setMaximumHeight(70)
        # Alt+O, not Alt+A: in the main window Alt+A opens the Alerts menu, so "&Approve" never approved.
        self.approve_button = QPushButton("Appr&ove")
        self.reject_button = QPushButton("Re&ject")
        self.refresh_button = QPushButton("Refresh")
        self.status = StatusLine()
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.refresh_action)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(200)
        self._layout()
        self._connect_signals()
        self._update_buttons()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.refresh_button)
        left = QWidget()
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        verdict = QHBoxLayout()
        verdict.addStretch(1)
        verdict.addWidget(self.reject_button)
        verdict.addWidget(self.approve_button)
        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.preview, 1)
        side.addWidget(self.details)
        side.addWidget(self.comment)
        side.addLayout(verdict)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    def _connect_signals(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.approve_button.clicked.connect(lambda: self.review(True))
        self.reject_button.clicked.connect(lambda: self.review(False))
        self.refresh_button.clicked.connect(self.reload)
        self.refresh_action.triggered.connect(self.reload)
        self._reload_timer.timeout.connect(self.reload)

    def selected(self) -> Clip | None:
        clips = selected_clips(self.table)
        return clips[0] if len(clips) == 1 else None

    def _update_buttons(self) -> None:
        clip = self.selected()
        actor = actor_of(self._actor)
        own = clip is not None and clip.created_by == actor.username
        tip = "You tagged this clip: another supervisor must review it" if own else ""
        for button, what in ((self.approve_button, "Approve the clip: it may be exported (Alt+O)"),
                             (self.reject_button, "Send the clip back with the comment (Alt+J)")):
            guard(button, self._actor, Action.REVIEW_CLIPS, tip or what,
                  enabled=clip is not None and not own and not self._busy)

    # -- loading -------------------------------------------------------------------------------------------
    def schedule_reload(self) -> None:
        self._reload_timer.start()

    def reload(self) -> None:
        actor = actor_of(self._actor)
        if not may(self._actor, Action.REVIEW_CLIPS):
            # Asking would only record a refusal in the audit trail: say it here instead.
            self.table.records.set_records([])
            self.status.error(refusal(actor, Action.REVIEW_CLIPS))
            self._update_buttons()
            return
        self._generation += 1
        generation, clips = self._generation, self._services.clips

        def done(queue: list[Clip]) -> None:
            if generation == self._generation:
                self._show(queue)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.failed(exc)

        run_for(self, lambda: clips.review_queue(actor), done, failed)

    def _show(self, queue: list[Clip]) -> None:
        kept = set_records_keeping_selection(self.table, queue)
        waiting = f"{len(queue)} clip(s) waiting for review" if queue else "Nothing waits for review"
        self.status.info(f"{self._last_verdict}. {waiting}" if self._last_verdict else waiting)
        if not kept and queue:
            self.table.selectRow(0)  # the clip under review was decided: on to the longest waiting
        elif not kept:
            self._on_selection()

    def _on_selection(self) -> None:
        clip = self.selected()
        if clip is None or self.preview.clip is None or self.preview.clip.id != clip.id:
            self.preview.set_clip(clip)
            self.comment.clear()
            mark_invalid(self.comment, None)
        self.details.setText(describe_clip(clip) if clip else "")
        self._update_buttons()

    # -- verdicts ------------------------------------------------------------------------------------------
    def review(self, approve: bool) -> None:
        clip = self.selected()
        if clip is None:
            return
        clips, actor, comment = self._services.clips, actor_of(self._actor), self.comment.toPlainText()
        self._busy = True
        self._update_buttons()
        self.status.info(f"{'Approving' if approve else 'Rejecting'} clip {clip.id} ...")

        def done(result: Clip) -> None:
            self._busy = False
            self._last_verdict = f"Clip {result.id} {result.status}"
            self.comment.clear()
            self.reviewed.emit(result)
            self.reload()

        def failed(exc: BaseException) -> None:
            self._busy = False
            mark_invalid(self.comment, "say why the clip is rejected" if not approve and not comment.strip()
                         else None)
            self.status.failed(exc)
            self._update_buttons()

        run_for(self, lambda: clips.review(actor, clip.id, approve, comment), done, failed)
