"""Auto-slew: turn the PTZ cameras that can see an alert's spot towards it, in one motion.

Which cameras: ``domain.ranking`` calls a PTZ camera covering when the spot is within its range (it can be
turned there); of those, the ones with a PTZ protocol set, nearest first, at most ``max_cameras``. Each camera
is aimed on its own background task (one unreachable camera delays no other) with
``integrations.ptz.slew_to``, using the calibration from the camera's extra columns.

``client_factory(camera)`` builds the client (the window looks the credentials up in the keyring). It runs on
the worker thread, so it must not touch widgets; returning None means "no credentials" and is reported.
Results: ``slewed(camera_id, pan, tilt)`` or ``failed(camera_id, reason)``; ``failed("", reason)`` when there is
nothing to do for the alert as a whole (no location, no PTZ camera in range, the camera list unreadable).

Whose action it is: the centre's, not the person's at the seat. Turning PTZs to a new alert is a standing order
(setting ``alerts.auto_slew``, chosen by whoever runs the centre) that the workstation carries out when an alert
arrives or its response view opens. Nobody steers: the aim is the alert's location, computed here, so no one
can use it to point a camera anywhere else. It is therefore not checked against the logged-in role's
CONTROL_PTZ, and ``client_factory`` builds plain protocol clients, not the person's ``GuardedPtz`` (which would
refuse, and audit as that person, an order they never gave). Each slew is logged (camera, aim, alert) at INFO.
Steering by hand (the PTZ panel, click-to-centre on a tile) goes through ``GuardedPtz``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.ptz_aim import AimSolution
from c4desk.domain.ranking import rank_cameras
from c4desk.hub.services import Services
from c4desk.integrations.ptz import PtzClient, PtzError, slew_to
from c4desk.ui.background import run_in_background

log = logging.getLogger(__name__)
ClientFactory = Callable[[Camera], PtzClient | None]
MAX_CAMERAS = 2


def slew_targets(cameras: Iterable[Camera], lat: float, lon: float, max_cameras: int = MAX_CAMERAS) -> list[Camera]:
    """The PTZ cameras to turn to (lat, lon): in range, controllable, nearest first."""
    ranked = rank_cameras(cameras, lat, lon)
    out = [r.camera for r in ranked.covering
           if r.kind is CameraKind.PTZ and r.camera.ptz_protocol is not PtzProtocol.NONE and r.camera.ptz_url]
    return out[:max_cameras]


def _aim_one(factory: ClientFactory, camera: Camera, lat: float, lon: float, zoom: float | None) -> AimSolution:
    client = factory(camera)
    if client is None:
        raise PtzError(f"no PTZ credentials for {camera.id}")
    try:
        return slew_to(client, camera, lat, lon, zoom=zoom)
    finally:
        client.close()


class AutoSlew(QObject):
    slewed = Signal(str, float, float)
    failed = Signal(str, str)

    def __init__(self, services: Services, client_factory: ClientFactory, *, max_cameras: int = MAX_CAMERAS,
                 zoom: float | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cameras = services.cameras
        self._factory = client_factory
        self.max_cameras = max_cameras
        self.zoom = zoom

    def slew_for_alert(self, alert: Alert, cameras: Sequence[Camera] | None = None) -> None:
        """Aim the PTZ cameras in range at ``alert``. ``cameras``: the site's cameras if the caller has them
        (else they are read from the store, off the GUI thread)."""
        if alert.lat is None or alert.lon is None:
            self.failed.emit("", f"alert {alert.id} has no location")
            return
        if cameras is not None:
            self._slew(alert, cameras)
            return
        repo = self._cameras
        run_in_background(repo.list, self._guard(lambda cams: self._slew(alert, cams)),
                          self._guard(lambda exc: self.failed.emit("", f"cannot list cameras: {exc}")))

    def _slew(self, alert: Alert, cameras: Sequence[Camera]) -> None:
        assert alert.lat is not None and alert.lon is not None
        lat, lon = alert.lat, alert.lon
        targets = slew_targets(cameras, lat, lon, self.max_cameras)
        if not targets:
            self.failed.emit("", f"no PTZ camera in range of alert {alert.id}")
            return
        factory, zoom = self._factory, self.zoom
        for camera in targets:
            cam_id = camera.id

            def aimed(solution: AimSolution, cam_id: str = cam_id) -> None:
                log.info("auto-slew: %s to pan %.1f tilt %.1f for alert %s", cam_id, solution.pan, solution.tilt,
                         alert.id)
                self.slewed.emit(cam_id, solution.pan, solution.tilt)

            def refused(exc: BaseException, cam_id: str = cam_id) -> None:
                log.info("auto-slew: %s failed for alert %s: %s", cam_id, alert.id, exc)
                self.failed.emit(cam_id, str(exc) if isinstance(exc, PtzError | ValueError)
                                 else f"{type(exc).__name__}: {exc}")

            run_in_background(partial(_aim_one, factory, camera, lat, lon, zoom), self._guard(aimed),
                              self._guard(refused))

    def _guard(self, fn: Callable[..., None]) -> Callable[..., None]:
        def call(value: object) -> None:
            if isValid(self):
                fn(value)

        return call
