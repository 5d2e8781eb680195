"""The demo PTZ camera's "motors": the VAPIX simulator's position, turned into what its video shows.

A ``PtzVideoLink`` watches one ``VapixSimulator`` and tells the RTSP server (``move_ptz``) which rectangle of
the camera's panorama to show (``ptz_scene.view_rect``). Like a real head it does not jump: the view turns
toward the commanded position at up to ``PAN_DEG_S`` (the shorter way round), tilts at up to ``TILT_DEG_S`` and
zooms by at most ``ZOOM_FACTOR_S`` per second, sending a new rectangle 15 times a second while it moves. At
rest it repeats the last rectangle every ``REPEAT_S`` (the control channel is UDP, and the server may have
restarted). The simulator reports the commanded position at once, as its protocol does; the picture follows
within a moment, as on a real camera.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from c4desk.demo import ptz_scene
from c4desk.demo.servers import Rect, RtspServer, SupervisedRtspServer
from c4desk.demo.vapix_simulator import VapixSimulator

log = logging.getLogger(__name__)

# How fast the demo's simulated heads turn under a continuous move at full speed (VAPIX speed 100).
DEMO_MOVE_SPEED_DEG_S = 60.0
PAN_DEG_S = 180.0
TILT_DEG_S = 90.0
ZOOM_FACTOR_S = 4.0
STEP_S = 1.0 / 15
REPEAT_S = 1.0


@dataclass(frozen=True)
class View:
    bearing_deg: float
    tilt_deg: float
    hfov_deg: float

    def rect(self) -> Rect:
        return ptz_scene.view_rect(self.bearing_deg, self.tilt_deg, self.hfov_deg)


def _wrap180(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _towards(value: float, target: float, most: float) -> float:
    return target if abs(target - value) <= most else value + math.copysign(most, target - value)


def step_view(current: View, target: View, dt: float) -> View:
    """Where the head is ``dt`` seconds later, turning toward ``target`` at the link's speeds (it arrives
    exactly: the last step lands on the target's values)."""
    turn = _wrap180(target.bearing_deg - current.bearing_deg)
    most = PAN_DEG_S * dt
    bearing = target.bearing_deg if abs(turn) <= most else (current.bearing_deg + math.copysign(most, turn)) % 360
    tilt = _towards(current.tilt_deg, target.tilt_deg, TILT_DEG_S * dt)
    ratio = math.log(target.hfov_deg / current.hfov_deg)
    most = math.log(ZOOM_FACTOR_S) * dt
    hfov = target.hfov_deg if abs(ratio) <= most else current.hfov_deg * math.exp(math.copysign(most, ratio))
    return View(bearing, tilt, hfov)


class PtzVideoLink:
    """Keeps ``mount`` on ``server`` showing what ``sim`` points at. ``start()``/``stop()``; a daemon thread."""

    def __init__(self, sim: VapixSimulator, server: RtspServer | SupervisedRtspServer, mount: str) -> None:
        self.sim = sim
        self.server = server
        self.mount = mount
        self.view = self.target()
        self.sent: Rect | None = None
        self.settled = threading.Event()  # set while the picture shows the commanded position
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._commands = 0  # bumped by every command; a look that straddles one must not claim "settled"
        self._thread: threading.Thread | None = None
        sim.add_listener(self._on_command)

    def target(self) -> View:
        """Where the simulator is commanded to look (a continuous move included)."""
        pan, tilt, zoom = self.sim.position()
        bearing = (self.sim.pan_zero_deg + self.sim.pan_sign * pan) % 360.0
        return View(bearing, tilt, ptz_scene.hfov_for_zoom(zoom))

    def _on_command(self) -> None:
        # On the simulator's HTTP thread, before it answers: whoever sent the command sees ``settled`` clear.
        self._commands += 1
        self.settled.clear()
        self._wake.set()

    def start(self) -> PtzVideoLink:
        self._send(self.view.rect())
        self._thread = threading.Thread(target=self._run, name=f"ptz-video-{self.mount}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    def _send(self, rect: Rect) -> None:
        self.server.move_ptz(self.mount, rect)
        self.sent = rect

    def _run(self) -> None:
        last = time.monotonic()
        last_sent = last
        while not self._stop.is_set():
            now = time.monotonic()
            commands = self._commands
            target = self.target()
            self.view = step_view(self.view, target, now - last)
            last = now
            rect = self.view.rect()
            if rect != self.sent or now - last_sent >= REPEAT_S:
                try:
                    self._send(rect)
                except OSError:
                    log.exception("PTZ video %s: could not reach the RTSP server", self.mount)
                last_sent = now
            at_rest = self.view == target and not self.sim.moving
            if at_rest and commands == self._commands:
                self.settled.set()
            else:
                self.settled.clear()
            self._wake.wait(REPEAT_S if at_rest else STEP_S)
            self._wake.clear()


def start_links(sims: dict[str, VapixSimulator], server: RtspServer | SupervisedRtspServer) -> list[PtzVideoLink]:
    """One running link per simulated PTZ camera that has a PTZ mount on ``server``."""
    return [PtzVideoLink(sim, server, camera_id).start() for camera_id, sim in sims.items()
            if camera_id in server.ptz_mounts]
