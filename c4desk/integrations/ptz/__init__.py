"""PTZ control: one interface (``base.PtzClient``), VAPIX and ONVIF clients, and the auto-slew step.

``client_for(camera, username, password)`` builds the right client for a camera record; ``slew_to`` points a
camera at a place (the "one motion" from a gunshot alert to a camera looking at it).
"""

from __future__ import annotations

from c4desk.domain.camera import Camera, PtzProtocol
from c4desk.domain.ptz_aim import AimSolution, PtzCalibration, aim, calibration_from_extra
from c4desk.integrations.ptz.base import PtzClient, PtzError, PtzPosition, PtzPreset, PtzUnsupported

__all__ = ["AimSolution", "PtzClient", "PtzError", "PtzPosition", "PtzPreset", "PtzUnsupported", "client_for",
           "slew_to"]


def client_for(camera: Camera, username: str, password: str, *, onvif_profile: str = "") -> PtzClient:
    """A client for the camera's ``ptz_protocol`` at its ``ptz_url`` (credentials from the keyring entry
    named by ``credential_ref``, looked up by the caller). ONVIF needs the media profile token: ``onvif_profile``
    or the camera's ``onvif_profile`` extra column."""
    if camera.ptz_protocol is PtzProtocol.VAPIX:
        from c4desk.integrations.ptz.vapix import VapixPtz

        return VapixPtz(camera.ptz_url, username, password)
    if camera.ptz_protocol is PtzProtocol.ONVIF:
        from c4desk.integrations.ptz.onvif import OnvifPtz

        return OnvifPtz(camera.ptz_url, username, password, onvif_profile or camera.extra.get("onvif_profile", ""))
    raise PtzError(f"camera {camera.id} has no PTZ protocol set")


def slew_to(client: PtzClient, camera: Camera, lat: float, lon: float, *,
            calibration: PtzCalibration | None = None, zoom: float | None = None) -> AimSolution:
    """Point ``camera`` (through ``client``) at (lat, lon); returns the aim sent. Blocking: run it off the
    GUI thread. Without ``calibration`` it is read from the camera's extra columns (see domain.ptz_aim)."""
    solution = aim(camera.lat, camera.lon, lat, lon, calibration or calibration_from_extra(camera.extra))
    client.absolute_move(solution.pan, solution.tilt, zoom)
    return solution
