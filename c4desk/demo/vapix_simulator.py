"""A simulator standing in for an Axis PTZ camera's VAPIX ``/axis-cgi/com/ptz.cgi``. No real camera exists here.

It is a real HTTP server (``http.server`` on 127.0.0.1, an ephemeral port, a background thread) that:

* demands HTTP **digest** authentication, server side of RFC 7616 (RFC 2617's successor): ``qop=auth``,
  MD5 (default) or SHA-256, random nonces that expire (``stale=true`` when only the nonce is out of date), an
  ``opaque`` that must come back, the ``uri`` checked against the request line, and each nonce's ``nc``
  required to increase (a replayed request is refused);
* keeps state: pan/tilt/zoom, continuous-move speeds, named presets;
* records every request (path, parameters, the user it authenticated as, whether it did, the status sent);
* knows where it stands in the world (lat/lon, mount height, which compass bearing its pan 0 points at and
  which way pan turns), so a test can ask where it is looking (``pointing()``) after an auto-slew.

Behaviour modelled on the VAPIX PTZ documentation, simplified: commands answer 204; queries answer text
``key=value`` lines; a bad value, an unknown preset or parameter answers 200 with a body ``Error: ...``.
Continuous moves record their speeds; with ``move_speed_deg_s`` (the demo's cameras) the head also turns at
speed/100 of that many degrees per second (zoom at speed/100 of ``zoom_units_per_s``) until stopped; without
it (the default, as the protocol tests want) the position stays put. ``center``/``areazoom`` use a simple
optics model: 60 degrees horizontal view at zoom 1, 30x optical at zoom 9999, 16:9 picture.
``add_listener(fn)`` calls ``fn()`` after every command carried out (the demo moves its video that way).
``drop_next(n)`` closes the next n connections without an answer (a camera rebooting) and ``delay_s`` makes
every answer late, to test retries and timeouts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from c4desk.hub.serving import BackgroundHttpServer

PTZ_PATH = "/axis-cgi/com/ptz.cgi"
LIMITS = {"MinPan": -180.0, "MaxPan": 180.0, "MinTilt": -90.0, "MaxTilt": 20.0, "MinZoom": 1.0, "MaxZoom": 9999.0}
WIDE_HFOV_DEG = 60.0
OPTICAL_ZOOM = 30.0
_AUTH_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    user: str | None  # who it authenticated as (None: it did not)
    authorised: bool
    status: int = 0
    dropped: bool = False


@dataclass
class SimState:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 1.0
    pan_speed: int = 0
    tilt_speed: int = 0
    zoom_speed: int = 0
    presets: dict[str, tuple[float, float, float]] = field(default_factory=dict)


@dataclass
class _Nonce:
    issued: float
    last_nc: int = 0


class CommandError(Exception):
    pass


def _wrap180(deg: float) -> float:
    w = (deg + 180.0) % 360.0 - 180.0
    return -180.0 if w >= 180.0 else w


class VapixSimulator:
    def __init__(self, username: str = "root", password: str = "pass", *, realm: str = "AXIS_ACCC8E5A0001",
                 algorithm: str = "MD5", nonce_ttl_s: float = 300.0, lat: float = 41.7637, lon: float = -72.6851,
                 mount_height_m: float = 6.0, pan_zero_deg: float = 0.0, pan_sign: int = 1,
                 move_speed_deg_s: float = 0.0, zoom_units_per_s: float = 2500.0) -> None:
        if algorithm not in _HASHES:
            raise ValueError(f"algorithm {algorithm!r} not one of {', '.join(_HASHES)}")
        self.username, self.password, self.realm, self.algorithm = username, password, realm, algorithm
        self.nonce_ttl_s = nonce_ttl_s
        self.opaque = secrets.token_hex(16)
        self.lat, self.lon, self.mount_height_m = lat, lon, mount_height_m
        self.pan_zero_deg, self.pan_sign = pan_zero_deg, pan_sign
        self.state = SimState()
        self.move_speed_deg_s = move_speed_deg_s
        self.zoom_units_per_s = zoom_units_per_s
        self._advanced_at = time.monotonic()
        self._listeners: list[Callable[[], None]] = []
        self.requests: list[RecordedRequest] = []
        self._nonces: dict[str, _Nonce] = {}
        self._drop = 0
        self.delay_s = 0.0  # answer this late (read-timeout tests)
        self._lock = threading.Lock()
        self._server = BackgroundHttpServer(self._handler_class(), name="vapix-sim")

    # --- life --------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.base_url

    @property
    def ptz_url(self) -> str:
        return self.url + PTZ_PATH

    def start(self) -> VapixSimulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> VapixSimulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- test helpers ------------------------------------------------------------------------------------------

    def drop_next(self, n: int) -> None:
        with self._lock:
            self._drop = n

    def expire_nonces(self) -> None:
        """Age every nonce past its lifetime (the next request gets ``stale=true``)."""
        with self._lock:
            for n in self._nonces.values():
                n.issued -= self.nonce_ttl_s + 1

    def commands(self) -> list[dict[str, str]]:
        """Parameters of the requests that authenticated and were carried out (dropped ones excluded)."""
        with self._lock:
            return [dict(r.params) for r in self.requests if r.authorised and not r.dropped]

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (on the HTTP thread, no lock held) after every command the camera carries out."""
        self._listeners.append(listener)

    def position(self) -> tuple[float, float, float]:
        """(pan, tilt, zoom) now, a continuous move included."""
        with self._lock:
            self._advance()
            return self.state.pan, self.state.tilt, self.state.zoom

    @property
    def moving(self) -> bool:
        """True while a continuous move turns the head (only when it has a ``move_speed_deg_s``)."""
        s = self.state
        return self.move_speed_deg_s > 0 and bool(s.pan_speed or s.tilt_speed or s.zoom_speed)

    def pointing(self) -> tuple[float, float]:
        """(compass bearing, tilt) the camera looks along now, from its pan/tilt and its calibration."""
        with self._lock:
            self._advance()
            bearing = (self.pan_zero_deg + self.pan_sign * self.state.pan) % 360.0
            return bearing, self.state.tilt

    # --- digest authentication (server side) -------------------------------------------------------------------

    def _h(self, text: str) -> str:
        return _HASHES[self.algorithm](text.encode()).hexdigest()

    def _challenge(self, stale: bool = False) -> str:
        nonce = secrets.token_hex(16)
        with self._lock:
            now = time.monotonic()
            self._nonces = {k: v for k, v in self._nonces.items() if now - v.issued < 4 * self.nonce_ttl_s}
            self._nonces[nonce] = _Nonce(issued=now)
        return (f'Digest realm="{self.realm}", nonce="{nonce}", algorithm={self.algorithm}, qop="auth", '
                f'opaque="{self.opaque}"' + (", stale=true" if stale else ""))

    def _authenticate(self, header: str | None, method: str, target: str) -> tuple[str | None, bool]:
        """(user, stale): the user when the header proves the password; stale when only the nonce is old."""
        if not header or not header.lower().startswith("digest "):
            return None, False
        p = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
             for m in _AUTH_PARAM.finditer(header[7:])}
        required = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(k not in p for k in required):
            return None, False
        if (p["username"] != self.username or p["realm"] != self.realm or p["uri"] != target
                or p["qop"] != "auth" or p.get("opaque") != self.opaque
                or p.get("algorithm", "MD5").upper() != self.algorithm.upper()):
            return None, False
        ha1 = self._h(f"{self.username}:{self.realm}:{self.password}")
        ha2 = self._h(f"{method}:{p['uri']}")
        expected = self._h(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
        if not hmac.compare_digest(expected, p["response"].lower()):
            return None, False
        try:
            nc = int(p["nc"], 16)
        except ValueError:
            return None, False
        with self._lock:
            record = self._nonces.get(p["nonce"])
            if record is None or time.monotonic() - record.issued > self.nonce_ttl_s:
                return None, True  # right password, old nonce
            if nc <= record.last_nc:
                return None, False  # replay
            record.last_nc = nc
        return self.username, False

    # --- the camera ---------------------------------------------------------------------------------------------

    def _advance(self) -> None:
        """Move the head by the continuous speeds over the time since the last look (lock held)."""
        now = time.monotonic()
        dt, self._advanced_at = now - self._advanced_at, now
        s = self.state
        if self.move_speed_deg_s <= 0 or dt <= 0 or not (s.pan_speed or s.tilt_speed or s.zoom_speed):
            return
        rate = self.move_speed_deg_s / 100.0
        self._set(pan=s.pan + s.pan_speed * rate * dt, tilt=s.tilt + s.tilt_speed * rate * dt,
                  zoom=s.zoom + s.zoom_speed * self.zoom_units_per_s / 100.0 * dt)

    def _hfov(self) -> float:
        magnification = 1.0 + (OPTICAL_ZOOM - 1.0) * (self.state.zoom - 1.0) / (LIMITS["MaxZoom"] - 1.0)
        return WIDE_HFOV_DEG / magnification

    def _set(self, pan: float | None = None, tilt: float | None = None, zoom: float | None = None) -> None:
        s = self.state
        if pan is not None:
            s.pan = _wrap180(pan)
        if tilt is not None:
            s.tilt = min(LIMITS["MaxTilt"], max(LIMITS["MinTilt"], tilt))
        if zoom is not None:
            s.zoom = min(LIMITS["MaxZoom"], max(LIMITS["MinZoom"], zoom))

    def _center(self, x: float, y: float, w: float, h: float) -> None:
        hfov = self._hfov()
        vfov = hfov * 9.0 / 16.0
        self._set(pan=self.state.pan + (x / w - 0.5) * hfov, tilt=self.state.tilt - (y / h - 0.5) * vfov)

    def execute(self, params: dict[str, str]) -> tuple[int, str]:
        """Carry out one request's parameters: (status, text body)."""
        with self._lock:
            self._advance()  # a command acts on where a continuous move has got to
            try:
                return self._execute(params)
            except CommandError as exc:
                return 200, f"Error: {exc}\n"

    def _execute(self, params: dict[str, str]) -> tuple[int, str]:
        def number(name: str) -> float:
            try:
                return float(params[name])
            except ValueError:
                raise CommandError(f"{name}={params[name]!r} is not a number") from None

        def numbers(name: str, count: int) -> list[float]:
            parts = params[name].split(",")
            try:
                values = [float(v) for v in parts]
            except ValueError:
                raise CommandError(f"{name}={params[name]!r} is not {count} numbers") from None
            if len(values) != count:
                raise CommandError(f"{name}={params[name]!r} is not {count} numbers")
            return values

        known = {"camera", "pan", "tilt", "zoom", "rpan", "rtilt", "rzoom", "continuouspantiltmove",
                 "continuouszoommove", "move", "center", "areazoom", "imagewidth", "imageheight",
                 "gotoserverpresetname", "setserverpresetname", "removeserverpresetname", "query"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise CommandError(f"unknown parameter {unknown[0]}")
        if params.get("camera", "1") != "1":
            raise CommandError(f"camera {params['camera']} does not exist")
        s = self.state
        query = params.get("query")
        if query == "position":
            return 200, (f"pan={s.pan:.4f}\ntilt={s.tilt:.4f}\nzoom={round(s.zoom)}\niris=1000\nfocus=5000\n"
                         "brightness=4999\nautofocus=on\nautoiris=on\n")
        if query == "presetposall":
            lines = [f"presetposno{i}={name}" for i, name in enumerate(s.presets, start=1)]
            return 200, "Preset Positions for camera 1\n" + "".join(f"{line}\n" for line in lines)
        if query == "limits":
            return 200, "".join(f"{k}={v:g}\n" for k, v in LIMITS.items())
        if query is not None:
            raise CommandError(f"unknown query {query}")

        self._set(pan=number("pan") if "pan" in params else None, tilt=number("tilt") if "tilt" in params else None,
                  zoom=number("zoom") if "zoom" in params else None)
        if any(k in params for k in ("rpan", "rtilt", "rzoom")):
            self._set(pan=s.pan + (number("rpan") if "rpan" in params else 0.0),
                      tilt=s.tilt + (number("rtilt") if "rtilt" in params else 0.0),
                      zoom=s.zoom + (number("rzoom") if "rzoom" in params else 0.0))
        if "continuouspantiltmove" in params:
            x, y = numbers("continuouspantiltmove", 2)
            s.pan_speed, s.tilt_speed = int(x), int(y)
        if "continuouszoommove" in params:
            s.zoom_speed = int(number("continuouszoommove"))
        move = params.get("move")
        if move == "home":
            self._set(*s.presets.get("Home", (0.0, 0.0, 1.0)))
        elif move == "stop":
            s.pan_speed = s.tilt_speed = s.zoom_speed = 0
        elif move is not None:
            raise CommandError(f"move={move} is not supported by the simulator")
        size = (number("imagewidth"), number("imageheight")) if "imagewidth" in params else None
        if "center" in params:
            x, y = numbers("center", 2)
            if size is None:
                raise CommandError("center needs imagewidth and imageheight")
            self._center(x, y, *size)
        if "areazoom" in params:
            x, y, z = numbers("areazoom", 3)
            w, h = size or (1920.0, 1080.0)
            self._center(x, y, w, h)
            magnification = WIDE_HFOV_DEG / self._hfov() * z / 100.0
            self._set(zoom=1.0 + (magnification - 1.0) * (LIMITS["MaxZoom"] - 1.0) / (OPTICAL_ZOOM - 1.0))
        if "gotoserverpresetname" in params:
            name = params["gotoserverpresetname"]
            if name not in s.presets:
                raise CommandError(f"no preset {name}")
            self._set(*s.presets[name])
        if "setserverpresetname" in params:
            s.presets[params["setserverpresetname"]] = (s.pan, s.tilt, s.zoom)
        if "removeserverpresetname" in params:
            name = params["removeserverpresetname"]
            if s.presets.pop(name, None) is None:
                raise CommandError(f"no preset {name}")
        return 204, ""

    # --- HTTP -------------------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "AXIS-sim"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                user, stale = sim._authenticate(self.headers.get("Authorization"), "GET", self.path)
                record = RecordedRequest("GET", url.path, params, user, user is not None)
                with sim._lock:
                    sim.requests.append(record)
                    if sim._drop > 0:
                        sim._drop -= 1
                        record.dropped = True
                if record.dropped:
                    self.close_connection = True
                    return
                if sim.delay_s:
                    time.sleep(sim.delay_s)
                if user is None:
                    self._send(401, "Unauthorized\n", record, {"WWW-Authenticate": sim._challenge(stale)})
                elif url.path != PTZ_PATH:
                    self._send(404, "Not Found\n", record)
                else:
                    status, body = sim.execute(params)
                    for listener in list(sim._listeners):
                        listener()  # before the answer: the client's next look finds the effect under way
                    self._send(status, body, record)

            def _send(self, status: int, body: str, record: RecordedRequest,
                      headers: dict[str, str] | None = None) -> None:
                record.status = status
                data = body.encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if status != 204:
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(data)

        return Handler


@contextmanager
def running_simulator(**kwargs: Any) -> Iterator[VapixSimulator]:
    sim = VapixSimulator(**kwargs)
    with sim:
        yield sim
