"""The Analytics tab set: the dashboards, the solvability study and the speed-radar pilot, on one services object.

Each view loads the first time it is shown, so a hidden Analytics dock costs nothing when the workstation starts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo

from PySide6.QtWidgets import QTabWidget, QWidget

from c4desk.domain.permissions import Actor
from c4desk.hub.services import Services
from c4desk.ui.analytics.dashboard import DashboardPanel
from c4desk.ui.analytics.date_range import local_zone
from c4desk.ui.analytics.radar_view import RadarView
from c4desk.ui.analytics.solvability_view import SolvabilityView


class AnalyticsPanel(QTabWidget):
    """``actor``: who is looking (an Actor, or a callable asked on the GUI thread before each load)."""

    def __init__(self, services: Services, actor: Actor | Callable[[], Actor], *, tz: tzinfo | None = None,
                 today: Callable[[], date] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        zone = tz or local_zone()
        self.dashboard = DashboardPanel(services.reports, actor, tz=zone, today=today)
        self.solvability = SolvabilityView(services.reports, actor, today=today)
        self.radar = RadarView(services.radar, actor, tz=zone, today=today)
        self.addTab(self.dashboard, "Dashboards")
        self.addTab(self.solvability, "Solvability")
        self.addTab(self.radar, "Speed radar")
