"""The Review dock: the supervisors' queue (for roles that may review) and everyone's own clips with outcomes.

Which tabs exist follows the actor's role, asked again whenever the panel is shown (the window's login may
hand it a different user); services enforce the rules whatever the tabs show.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QTabWidget, QWidget

from c4desk.domain.events import CaseChanged, ClipChanged, ClipTagged
from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.ui.cases.common import ActorSource, may
from c4desk.ui.review.my_clips import MyClips
from c4desk.ui.review.review_queue import ReviewQueue


class ReviewPanel(QTabWidget):
    def __init__(self, services: Services, actor: ActorSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actor = actor
        self.queue = ReviewQueue(services, actor)
        self.mine = MyClips(services, actor)
        # An explicit small minimum: docked beside others, every dock's minimum width adds to the window's.
        self.setMinimumWidth(240)
        self.apply_role()

    def sizeHint(self) -> QSize:
        return QSize(400, 300)  # a bottom dock: leave the wall its room

    @property
    def reviews(self) -> bool:
        """Whether the current actor may review (the queue tab is shown)."""
        return may(self._actor, Action.REVIEW_CLIPS)

    def apply_role(self) -> None:
        """Show the queue tab only to roles that may review; load what is shown."""
        has_queue = self.indexOf(self.queue) >= 0
        if self.reviews and not has_queue:
            self.insertTab(0, self.queue, "Review queue")
            self.setCurrentIndex(0)
        elif not self.reviews and has_queue:
            self.removeTab(self.indexOf(self.queue))
        if self.indexOf(self.mine) < 0:
            self.addTab(self.mine, "My clips")
        self.reload()

    def reload(self) -> None:
        if self.reviews:
            self.queue.reload()
        self.mine.reload()

    def on_bus_event(self, event: object) -> None:
        """Clip events from the window's bridge: a submission, a verdict or a new clip reloads (once per burst)."""
        if isinstance(event, (ClipChanged, ClipTagged, CaseChanged)):
            if self.reviews:
                self.queue.schedule_reload()
            self.mine.schedule_reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.apply_role()
