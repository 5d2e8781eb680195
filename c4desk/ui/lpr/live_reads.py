"""The Plates dock's "Live reads" tab: the latest plate reads, newest on top, as the readers send them.

Where a vehicle was and when is what a plate search tells, so the feed needs the same right (SEARCH_PLATES); the
store checks it (``PlateReadRepository.recent`` refuses and audits). A role without it (the wall operator) sees a
plain sentence saying so instead of rows: the tab does not ask the store (each window load would leave one more
refusal in the audit trail for a request nobody made) and drops the reads the bus brings. Hotlist hits are alerts,
not this feed: they reach every role's alert queue.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from c4desk.domain.permissions import Action, Actor, allowed
from c4desk.domain.plates import LprRead
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.ui import theme
from c4desk.ui.lpr.plate_images import PlateImages
from c4desk.ui.lpr.read_table import PlateReadTable

LIVE_READS = 200  # how many of the latest reads the tab opens with


def may_see_reads(actor: Actor) -> bool:
    return allowed(actor.role, Action.SEARCH_PLATES)


def refusal_text(actor: Actor) -> str:
    return f"Your role ({actor.role.value}) may not see plate reads"


def latest_reads(reads: PlateReadRepository, actor: Actor, limit: int = LIVE_READS) -> list[LprRead]:
    """The reads the tab opens with, for ``actor`` (none for a role that may not see them, without asking the
    store). Runs on a worker thread."""
    return reads.recent(limit, actor=actor) if may_see_reads(actor) else []


class LiveReadsPanel(QStackedWidget):
    """The latest reads (``table``), or for a role that may not see them, ``notice`` saying so."""

    def __init__(self, actor: Actor, parent: QWidget | None = None, *, images: PlateImages | None = None) -> None:
        super().__init__(parent)
        self.may_see = may_see_reads(actor)
        self.table = PlateReadTable(images=images)
        self.notice = QLabel(f"<p><b>{refusal_text(actor)}</b></p>"
                             "<p>The live plate-read feed shows where vehicles were and when, as a plate search does: "
                             "it needs the <i>search plates</i> right (analysts, supervisors, admins).</p>"
                             "<p>Hotlist hits still come to the Alerts queue.</p>")
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setStyleSheet(f"color: {theme.MUTED}; padding: 16px;")
        self.addWidget(self.table)
        self.addWidget(self.notice)
        self.setCurrentWidget(self.table if self.may_see else self.notice)

    def set_reads(self, reads: Sequence[LprRead]) -> None:
        if self.may_see:
            self.table.records.set_records(reads)

    def add_read(self, read: LprRead) -> None:
        """A read from the bus: on top (or corrected in place); dropped for a role that may not see reads."""
        if self.may_see:
            self.table.records.upsert(read)
