"""A camera's PTZ client as a person uses it: every command that moves or changes the camera needs CONTROL_PTZ.

The protocol clients (VAPIX, ONVIF) speak to a camera and know nothing of people; the workstation knows who is
logged in. ``GuardedPtz`` joins the two at the lowest point where both are known: it wraps the client the
workstation built for a camera and checks the person's role before each command, so whatever drives it (the
PTZ panel, a click-to-centre on a tile, a script) is held to the permission table, not only the buttons.

* Commands (moves, stop, home, presets set/go/remove, centre, area zoom): ``require_audited`` first, so a
  refusal raises ``PermissionDenied`` and writes one ``permission_denied`` record (object ``camera:<id>``,
  detail ``command``); nothing reaches the camera. A granted command writes no record: a drag on the pad sends
  several a second and the audit trail would drown in them.
* Reads (``position``, ``presets``) are viewing, not control: they pass for anyone who has the client.

What is not a person's command, and so is not wrapped: the auto-slew (``ui.ptz.auto_slew``), which turns PTZs to
a new alert's spot on the centre's standing order (setting ``alerts.auto_slew``); see that module.
"""

from __future__ import annotations

from c4desk.domain.permissions import Action, Actor
from c4desk.integrations.ptz.base import PtzClient, PtzPosition, PtzPreset
from c4desk.store.audit import require_audited
from c4desk.store.db import Database


class GuardedPtz(PtzClient):
    """``client`` driven by ``actor``; refusals are audited in ``db``. Owns ``client`` (``close`` closes it)."""

    def __init__(self, client: PtzClient, *, actor: Actor, db: Database, camera_id: str) -> None:
        self.client = client
        self.actor = actor
        self.camera_id = camera_id
        self._db = db

    def _require(self, command: str) -> None:
        require_audited(self._db, self.actor, Action.CONTROL_PTZ, object=f"camera:{self.camera_id}",
                        detail={"command": command})

    # -- commands: the person must be allowed to control PTZ cameras -----------------------------------------------
    def absolute_move(self, pan: float, tilt: float, zoom: float | None = None) -> None:
        self._require("absolute_move")
        self.client.absolute_move(pan, tilt, zoom)

    def relative_move(self, pan: float = 0.0, tilt: float = 0.0, zoom: float = 0.0) -> None:
        self._require("relative_move")
        self.client.relative_move(pan, tilt, zoom)

    def continuous_move(self, x: float, y: float) -> None:
        self._require("continuous_move")
        self.client.continuous_move(x, y)

    def continuous_zoom(self, z: float) -> None:
        self._require("continuous_zoom")
        self.client.continuous_zoom(z)

    def stop(self) -> None:
        self._require("stop")
        self.client.stop()

    def home(self) -> None:
        self._require("home")
        self.client.home()

    def goto_preset(self, name: str) -> None:
        self._require("goto_preset")
        self.client.goto_preset(name)

    def set_preset(self, name: str) -> None:
        self._require("set_preset")
        self.client.set_preset(name)

    def remove_preset(self, name: str) -> None:
        self._require("remove_preset")
        self.client.remove_preset(name)

    def center(self, x: int, y: int, image_w: int, image_h: int) -> None:
        self._require("center")
        self.client.center(x, y, image_w, image_h)

    def area_zoom(self, x: int, y: int, z: int, image_w: int | None = None, image_h: int | None = None) -> None:
        self._require("area_zoom")
        self.client.area_zoom(x, y, z, image_w, image_h)

    # -- reads: where it points and what presets it has are viewing, not control -----------------------------------
    def presets(self) -> list[PtzPreset]:
        return self.client.presets()

    def position(self) -> PtzPosition:
        return self.client.position()

    def close(self) -> None:
        self.client.close()
