"""Who viewed which camera, live or recorded: one audit record per camera as it comes on screen (CJIS).

A camera already on screen is not audited again when the view changes around it, nor when it is shown again after
a swap within the same view; it is when the view goes from live to recorded (or back), since that is another kind
of viewing. An alert's response view (``for_alert``) audits every camera of it with the alert's id, even one that
was already on screen: it is now viewed for that alert, and the centre's "alert to first camera view" figure is
measured from exactly these records (``ReportRepository.alert_first_view``).

The records are written off the GUI thread; a failure is logged, never shown (viewing must not wait on the audit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject

from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor
from c4desk.store.audit_log import AuditLog
from c4desk.ui.background import run_in_background
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback

log = logging.getLogger(__name__)

Viewing = tuple[str, bool]  # (camera id, recorded)


class ViewingAudit(QObject):
    """Audits what ``grid`` shows for ``actor``. Call ``on_view_changed`` when the grid's cameras change or its view
    goes to or from playback (the window wires both)."""

    def __init__(self, grid: LiveGrid, playback: WallPlayback, audit: AuditLog, actor: Actor,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grid = grid
        self._playback = playback
        self._audit = audit
        self._actor = actor
        self.on_screen: set[Viewing] = set()
        self._alert_id: str | None = None

    @contextmanager
    def for_alert(self, alert_id: str) -> Iterator[None]:
        """While the block runs, what comes on screen (and what stays) is viewed for ``alert_id``: put the
        response cameras on the grid inside it."""
        self._alert_id = alert_id
        try:
            yield
        finally:
            self._alert_id = None

    def on_view_changed(self) -> None:
        """Write a view_live / view_recorded record for each camera that just came on screen; inside ``for_alert``,
        for every camera on screen."""
        recorded = self._playback.for_grid(self._grid).active
        shown = {(camera_id, recorded) for camera_id in self._grid.cameras() if camera_id}
        alert_id = self._alert_id
        new = shown if alert_id else shown - self.on_screen
        self.on_screen = shown
        if not new:
            return
        audit, actor = self._audit, self._actor

        def write() -> None:
            for camera_id, was_recorded in sorted(new):
                detail: dict[str, object] = {"camera_id": camera_id}
                if alert_id:
                    detail["alert_id"] = alert_id
                audit.record(actor, event_type=AuditType.VIEW_RECORDED if was_recorded else AuditType.VIEW_LIVE,
                             object=f"camera:{camera_id}", detail=detail)

        run_in_background(write, None, lambda exc: log.warning("could not audit camera viewing: %s", exc))
