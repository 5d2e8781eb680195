"""The demo's real stream servers, run as child processes the app and the tests can start and always stop.

``RtspServer`` runs ``gst_rtsp_server.py`` (gst-rtsp-server looping pre-rendered clips) under Debian's system
Python, because gi is not installable into the virtualenv. The child gets its own process group so that
``stop()`` reaches everything it spawned, and it exits by itself if this process dies (it polls its parent).

PTZ mounts (``ptz={mount: panorama mp4}``, see ``ptz_scene``) are cropped live by the server; ``move_ptz``
sends the rectangle to show over the server's loopback UDP control port.

``auth=(user, password)`` makes every mount ask for that login, like a real camera (off by default: the demo city's
cameras and most tests need none). The login reaches the server in its config file, in a directory only this user
reads, never on its command line.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Literal, get_args

from c4desk.demo import ptz_scene, script

log = logging.getLogger(__name__)

SERVER_SCRIPT = Path(__file__).with_name("gst_rtsp_server.py")
GST_APT_PACKAGES = (
    "python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad "
    "gstreamer1.0-plugins-ugly"
)
_GI_CHECK = "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')"


class ServerError(RuntimeError):
    """A demo server could not be found, started or reached."""


@cache
def system_python() -> str:
    """A Python interpreter that has gi with GStreamer's RTSP server bindings (normally /usr/bin/python3).

    ``C4DESK_SYSTEM_PYTHON`` overrides the search. Raises ``ServerError`` naming the apt packages to install.
    """
    candidates = [os.environ.get("C4DESK_SYSTEM_PYTHON", ""), "/usr/bin/python3", shutil.which("python3") or ""]
    tried = []
    for exe in dict.fromkeys(c for c in candidates if c):
        if not os.access(exe, os.X_OK) or Path(exe).parent == Path(sys.executable).parent:
            continue
        tried.append(exe)
        try:
            ok = subprocess.run([exe, "-c", _GI_CHECK], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return exe
    raise ServerError(
        f"no Python with GStreamer RTSP bindings (tried {', '.join(tried) or 'nothing'}); "
        f"install them with: apt-get install {GST_APT_PACKAGES}"
    )


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip()
    except OSError:
        return ""


Rect = tuple[int, int, int, int]
AuthMethod = Literal["digest", "basic"]


def _check_auth(auth: tuple[str, str] | None, method: str) -> None:
    if method not in get_args(AuthMethod):
        raise ValueError(f"auth_method must be one of {get_args(AuthMethod)}, not {method!r}")
    if auth is not None and (not auth[0] or not auth[1] or ":" in auth[0]):
        raise ValueError("auth needs a user (without ':') and a password")


class RtspServer:
    """gst-rtsp-server serving ``clips`` ({mount: mp4}) at rtsp://bind:port/<mount>, looped in phase.

    Every mount is looped gaplessly and phase-locked to ``epoch`` (default: now): at wall time T each camera shows
    loop time ``(T - epoch) % period``. With ``http_port`` (0 = any free port) the same process also serves
    http://bind:http_port/<mount>.ts as MPEG-TS, for libvlc where it has no RTSP client (Debian).
    ``ptz`` ({mount: panorama mp4}) adds PTZ mounts showing the rectangle last given to ``move_ptz`` (a view
    from ``ptz_rects``, else looking north at zoom 1, to begin with); ``control_port`` fixes their UDP port.
    ``auth`` (user, password): every mount needs this login (RTSP: Basic or Digest, the 401's challenge names
    ``auth_method``; HTTP: Basic); a client without it, or with a wrong password, gets 401 Unauthorized.
    Use as a context manager or call ``start()`` and ``stop()``.
    """

    def __init__(self, clips: dict[str, Path], *, port: int = 0, bind: str = "127.0.0.1",
                 epoch: float | None = None, period: float = script.PERIOD_S, http_port: int | None = None,
                 ptz: dict[str, Path] | None = None, ptz_rects: dict[str, Rect] | None = None,
                 control_port: int = 0, auth: tuple[str, str] | None = None,
                 auth_method: AuthMethod = "digest") -> None:
        if not clips and not ptz:
            raise ValueError("RtspServer needs at least one clip")
        _check_auth(auth, auth_method)
        self.auth = auth
        self.auth_method = auth_method
        self.clips = {name: Path(path).resolve() for name, path in clips.items()}
        self.ptz = {name: Path(path).resolve() for name, path in (ptz or {}).items()}
        self.ptz_rects: dict[str, Rect] = {name: (ptz_rects or {}).get(name, ptz_scene.view_rect(0.0, 0.0, 60.0))
                                           for name in self.ptz}
        self.requested_control_port = control_port
        self.control_port: int | None = None
        self._control: socket.socket | None = None
        self.bind = bind
        self.requested_port = port
        self.epoch = time.time() if epoch is None else epoch
        self.period = period
        self.requested_http_port = http_port
        self.port: int | None = None
        self.http_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def url(self, camera_id: str) -> str:
        if self.port is None:
            raise ServerError("RtspServer is not started")
        if camera_id not in self.clips and camera_id not in self.ptz:
            raise KeyError(camera_id)
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        return f"rtsp://{host}:{self.port}/{camera_id}"

    def http_url(self, camera_id: str) -> str:
        if self.http_port is None:
            raise ServerError("RtspServer is not serving HTTP (start it with http_port=0 or a port)")
        host = self.url(camera_id).split("/")[2].rsplit(":", 1)[0]
        return f"http://{host}:{self.http_port}/{camera_id}.ts"

    def start(self, timeout: float = 10.0) -> RtspServer:
        """Launch the server and wait for its READY line; raises ``ServerError`` with its stderr if it fails."""
        if self.running:
            return self
        python = system_python()
        self._workdir = tempfile.TemporaryDirectory(prefix="c4desk-rtsp-")
        work = Path(self._workdir.name)
        config = work / "config.json"
        config.write_text(json.dumps({
            "epoch": self.epoch, "period": self.period, "mounts": {k: str(v) for k, v in self.clips.items()},
            "ptz": {k: {"path": str(v), "layout": ptz_scene.LAYOUT.to_json(), "rect": list(self.ptz_rects[k])}
                    for k, v in self.ptz.items()},
            **({} if self.auth is None else
               {"auth": {"user": self.auth[0], "password": self.auth[1], "method": self.auth_method}}),
        }))
        stderr_path = work / "stderr.log"
        with open(stderr_path, "wb") as stderr:
            self._proc = subprocess.Popen(
                [python, str(SERVER_SCRIPT), "--port", str(self.requested_port), "--bind", self.bind,
                 "--config", str(config), "--control-port", str(self.requested_control_port),
                 *(["--http-port", str(self.requested_http_port)] if self.requested_http_port is not None else [])],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, process_group=0,
            )
        atexit.register(self.stop)
        try:
            line = self._read_ready(timeout)
        except ServerError as exc:
            tail = _tail(stderr_path)
            self.stop()
            raise ServerError(f"{exc}; server stderr:\n{tail}") from None
        fields = line.split()
        self.port = int(fields[1])
        named = dict(f.split("=", 1) for f in fields[2:] if "=" in f)
        self.http_port = int(named["http"]) if "http" in named else None
        self.control_port = int(named["control"]) if "control" in named else None
        if self.control_port is not None:
            self._control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return self

    @property
    def ptz_mounts(self) -> list[str]:
        return list(self.ptz)

    def move_ptz(self, mount: str, rect: Rect) -> None:
        """Show ``rect`` (left, top, width, height of the panorama) on PTZ mount ``mount`` from now on.

        One loopback datagram, no answer: the caller repeats the position now and then (``ptz_video`` does),
        so a datagram lost, or sent while the server restarts, costs nothing lasting.
        """
        if mount not in self.ptz:
            raise KeyError(mount)
        self.ptz_rects[mount] = rect
        control, port = self._control, self.control_port
        if control is None or port is None:
            return
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        with contextlib.suppress(OSError):  # a server that just died: its supervisor restarts it at ptz_rects
            control.sendto(json.dumps({"mount": mount, "rect": list(rect)}).encode(), (host, port))

    def _read_ready(self, timeout: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerError(f"RTSP server did not report READY within {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 256)
            if not chunk:
                code = self._proc.wait(timeout=5)
                raise ServerError(f"RTSP server exited with code {code} before it was ready")
            buf += chunk
        line = buf.split(b"\n", 1)[0].decode(errors="replace").strip()
        if not line.startswith("READY "):
            raise ServerError(f"RTSP server said {line!r} instead of READY")
        return line

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``timeout``; safe to call more than once."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        if self._control is not None:
            self._control.close()
            self._control = None
        self.port = self.http_port = self.control_port = None

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class SupervisedRtspServer:
    """An RtspServer started again on the same ports whenever it dies, as a recorder supervisor would restart a
    camera pull.

    Why: gst-rtsp-server 1.22 now and then aborts with ``gst_rtsp_media_get_rates: assertion failed`` when a
    client's PLAY arrives while the looper's first flushing seek has just cleared the payloader's SEGMENT event.
    Players ride that out like any camera outage (they reconnect); the server must come back on the same port.
    """

    def __init__(self, clips: dict[str, Path], *, port: int = 0, bind: str = "127.0.0.1",
                 epoch: float | None = None, period: float = script.PERIOD_S, http_port: int | None = None,
                 ptz: dict[str, Path] | None = None, auth: tuple[str, str] | None = None,
                 auth_method: AuthMethod = "digest") -> None:
        _check_auth(auth, auth_method)
        self._clips = clips
        self._ptz = ptz or {}
        self._auth = auth
        self._auth_method: AuthMethod = auth_method
        self.bind = bind
        self.epoch = float(int(time.time())) if epoch is None else epoch
        self.period = period
        self._requested = (port, http_port)
        self.server: RtspServer | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> SupervisedRtspServer:
        port, http_port = self._requested
        self.server = RtspServer(self._clips, port=port, bind=self.bind, epoch=self.epoch, period=self.period,
                                 http_port=http_port, ptz=self._ptz, auth=self._auth,
                                 auth_method=self._auth_method).start(timeout)
        self._stopping.clear()
        self._watch = threading.Thread(target=self._supervise, name="rtsp-supervisor", daemon=True)
        self._watch.start()
        return self

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            server = self.server
            if server is None or server.running:
                continue
            port, http_port, control_port = server.port, server.http_port, server.control_port  # stop() forgets
            log.warning("demo RTSP server (pid %s) died; restarting it on port %s", server.pid, port)
            server.stop()
            # PTZ mounts come back where they were looking, on the same control port.
            replacement = RtspServer(self._clips, port=port or 0, bind=self.bind, epoch=self.epoch,
                                     period=self.period, http_port=http_port, ptz=self._ptz,
                                     ptz_rects=dict(server.ptz_rects), control_port=control_port or 0,
                                     auth=self._auth, auth_method=self._auth_method)
            try:
                replacement.start()
            except ServerError:
                log.exception("demo RTSP server restart failed; trying again")
                replacement.stop()
                continue
            self.server = replacement
            self.restarts += 1

    @property
    def port(self) -> int | None:
        return self.server.port if self.server else None

    @property
    def http_port(self) -> int | None:
        return self.server.http_port if self.server else None

    @property
    def pid(self) -> int | None:
        return self.server.pid if self.server else None

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    def url(self, camera_id: str) -> str:
        assert self.server is not None, "not started"
        return self.server.url(camera_id)

    @property
    def ptz_mounts(self) -> list[str]:
        return list(self._ptz)

    def move_ptz(self, mount: str, rect: Rect) -> None:
        if self.server is not None:
            self.server.move_ptz(mount, rect)

    def http_url(self, camera_id: str) -> str:
        assert self.server is not None, "not started"
        return self.server.http_url(camera_id)

    def stop(self) -> None:
        self._stopping.set()
        if self._watch is not None:
            self._watch.join(5.0)
            self._watch = None
        if self.server is not None:
            self.server.stop()
