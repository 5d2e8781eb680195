"""What the map shows, held on the Python side: the page is only a picture of it and can be redrawn from it
at any time (first load, reload after a renderer crash). No Qt here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera
from c4desk.ui.map.payload import aimed, alert_payload, alert_problem, camera_payload, trail_payload, usable_cameras


class MapModel:
    def __init__(self) -> None:
        self.cameras: dict[str, Camera] = {}
        self.states: dict[str, str] = {}
        self.headings: dict[str, float] = {}
        self.alerts: dict[str, Alert] = {}
        self.trails: dict[str, list[list[Any]]] = {}
        self.selected_camera: str | None = None
        self.selected_alert: str | None = None

    def set_cameras(self, cameras: Iterable[Camera]) -> tuple[list[dict[str, Any]], list[str]]:
        """(the page's camera list, problems with the cameras left out)."""
        kept, problems = usable_cameras(cameras)
        self.cameras = {c.id: c for c in kept}
        self.headings = {k: v for k, v in self.headings.items() if k in self.cameras}
        return [self.camera_json(c) for c in kept], problems

    def set_heading(self, camera_id: str, heading_deg: float) -> dict[str, Any] | None:
        cam = self.cameras.get(camera_id)
        if cam is None or not isinstance(heading_deg, int | float) or not math.isfinite(heading_deg):
            return None
        self.headings[camera_id] = float(heading_deg) % 360.0
        return self.camera_json(cam)

    def aimed_cameras(self) -> list[Camera]:
        """The cameras on the map, each aimed where it last reported."""
        return [aimed(c, self.headings.get(c.id)) for c in self.cameras.values()]

    def camera_json(self, cam: Camera) -> dict[str, Any]:
        return camera_payload(aimed(cam, self.headings.get(cam.id)), self.states.get(cam.id, "unknown"))

    def set_alerts(self, alerts: Iterable[Alert]) -> tuple[list[dict[str, Any]], list[str]]:
        self.alerts = {a.id: a for a in alerts}
        problems = [p for a in self.alerts.values() if (p := alert_problem(a)) is not None]
        return self.alert_list(), problems

    def put_alert(self, alert: Alert) -> tuple[dict[str, Any] | None, str | None]:
        """(the pin's payload, or None when it has no usable place; a problem, if any)."""
        self.alerts[alert.id] = alert
        return alert_payload(alert), alert_problem(alert)

    def alert_list(self) -> list[dict[str, Any]]:
        return [p for a in self.alerts.values() if (p := alert_payload(a)) is not None]

    def set_trail(self, trail_id: str, points: Sequence[tuple[float, float, str]]) -> tuple[list[list[Any]],
                                                                                             list[str]]:
        pts, problems = trail_payload(trail_id, points)
        self.trails[trail_id] = pts
        return pts, problems

    def page_state(self, fit: bool) -> dict[str, Any]:
        """Everything the page needs to draw the map from scratch."""
        return {"cameras": [self.camera_json(c) for c in self.cameras.values()], "alerts": self.alert_list(),
                "trails": self.trails, "selectedCamera": self.selected_camera,
                "selectedAlert": self.selected_alert, "fit": fit}
