"""The analyst's own clips and where each stands: draft, waiting for review, approved, or rejected with the
supervisor's comment. A draft or rejected clip can be (re)submitted or discarded from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.clips import CLIP_STATUSES, EDITABLE, Clip
from c4desk.ui import theme
from c4desk.ui.cases.common import STATUS_COLOURS, ActorSource, StatusLine, actor_of, guard, run_for
from c4desk.ui.cases.tables import clip_table, discard_all, selected_clips, set_records_keeping_selection
from c4desk.ui.timefmt import local_datetime

STATUS_WORDS = {"draft": "draft (not submitted)", "pending": "waiting for review", "approved": "approved",
                "rejected": "rejected"}


def outcome_text(clip: Clip) -> str:
    """What happened to a clip, as its author reads it (HTML, escaped)."""
    colour = STATUS_COLOURS.get(clip.status, theme.TEXT)
    text = f"<b>Clip {clip.id}</b>: <span style='color:{colour}'><b>{STATUS_WORDS[clip.status]}</b></span>"
    if clip.reviewed_by:
        text += f" by {escape(clip.reviewed_by)} {local_datetime(clip.reviewed_at)}"
    elif clip.submitted_at:
        text += f" since {local_datetime(clip.submitted_at)}"
    if clip.review_comment:
        text += f"<br>&ldquo;{escape(clip.review_comment)}&rdquo;"
    if clip.status == "rejected":
        text += "<br>Submit it again once the reviewer's point is met, or discard it and tag a better span."
    return text


class MyClips(QWidget):
    def __init__(self, services: Services, actor: ActorSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._generation = 0
        self.status_filter = QComboBox()
        self.status_filter.addItem("All my clips", "")
        for status in CLIP_STATUSES:
            self.status_filter.addItem(STATUS_WORDS[status].capitalize(), status)
        self.table = clip_table(multi=True)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.submit_button = QPushButton("Submit for review")
        self.discard_button = QPushButton("Discard")
        self.refresh_button = QPushButton("Refresh")
        self.status = StatusLine()
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.refresh_action)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(200)
        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addWidget(self.submit_button)
        top.addWidget(self.discard_button)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.status)
        self.status_filter.currentIndexChanged.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.submit_button.clicked.connect(self.on_submit)
        self.discard_button.clicked.connect(self.on_discard)
        self.refresh_button.clicked.connect(self.reload)
        self.refresh_action.triggered.connect(self.reload)
        self._reload_timer.timeout.connect(self.reload)
        self._update_buttons()

    def _update_buttons(self) -> None:
        clips = selected_clips(self.table)
        editable = bool(clips) and all(c.status in EDITABLE for c in clips)
        guard(self.submit_button, self._actor, Action.TAG_CLIPS, "Send the selected clips to a supervisor",
              editable)
        guard(self.discard_button, self._actor, Action.TAG_CLIPS, "Delete the selected draft or rejected clips",
              editable)

    def schedule_reload(self) -> None:
        self._reload_timer.start()

    def reload(self) -> None:
        self._generation += 1
        generation, clips, actor = self._generation, self._services.clips, actor_of(self._actor)
        status = self.status_filter.currentData()

        def done(mine: list[Clip]) -> None:
            if generation == self._generation:
                self._show(mine)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.failed(exc)

        run_for(self, lambda: clips.my_clips(actor, [status] if status else None), done, failed)

    def _show(self, mine: list[Clip]) -> None:
        set_records_keeping_selection(self.table, mine)
        counts = Counter(c.status for c in mine)
        self.status.info(f"{len(mine)} clip(s)" + (": " + ", ".join(f"{counts[s]} {s}" for s in CLIP_STATUSES
                                                                     if counts[s]) if mine else ""))
        self._on_selection()

    def _on_selection(self) -> None:
        clips = selected_clips(self.table)
        self.outcome.setText("<br>".join(outcome_text(c) for c in clips[:3]))
        self._update_buttons()

    def _run(self, what: str, work: Callable[[], object]) -> None:
        def done(_result: object) -> None:
            self.status.info(f"{what}: done")
            self.reload()

        def failed(exc: BaseException) -> None:
            self.status.failed(exc)
            self.reload()

        self.status.info(f"{what} ...")
        run_for(self, work, done, failed)

    def on_submit(self) -> None:
        clips, actor, chosen = self._services.clips, actor_of(self._actor), selected_clips(self.table)
        self._run(f"Submitting {len(chosen)} clip(s)", lambda: [clips.submit(actor, c.id) for c in chosen])

    def on_discard(self) -> None:
        clips, actor, chosen = self._services.clips, actor_of(self._actor), selected_clips(self.table)
        self._run(f"Discarding {len(chosen)} clip(s)", lambda: discard_all(clips, actor, chosen))
