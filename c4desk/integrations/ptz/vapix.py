"""Axis VAPIX PTZ (``/axis-cgi/com/ptz.cgi``) over HTTP digest authentication.

What goes on the wire (all GET, ``camera=1`` on every request):

=====================  =====================================================
absolute_move          ``pan=P&tilt=T[&zoom=Z]`` (Z in the camera's 1..9999)
relative_move          ``rpan=..&rtilt=..&rzoom=..`` (only the non-zero ones)
continuous_move        ``continuouspantiltmove=X,Y`` (-100..100)
continuous_zoom        ``continuouszoommove=Z`` (-100..100)
stop                   ``continuouspantiltmove=0,0&continuouszoommove=0``
home                   ``move=home``
center / area_zoom     ``center=x,y`` / ``areazoom=x,y,z`` with ``imagewidth``/``imageheight``
presets                ``query=presetposall`` -> ``presetposno1=Name`` lines
goto/set/remove        ``gotoserverpresetname`` / ``setserverpresetname`` / ``removeserverpresetname``
position               ``query=position`` -> ``pan=..``, ``tilt=..``, ``zoom=..`` lines
(zoom range)           ``query=limits`` -> ``MinZoom=..``, ``MaxZoom=..`` (read once, 1..9999 if absent)
=====================  =====================================================

Retries: only when the connection failed, never on an HTTP answer (a 4xx will not get better) and never on a
read timeout. Commands that are not idempotent (relative moves, centre, area zoom) are retried only when the
request cannot have reached the camera (connection refused, connect timeout), so a move is never made twice.
A camera that answers 200 with a body starting ``Error`` (how VAPIX reports a bad value) raises PtzError.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import requests
from requests.auth import HTTPDigestAuth

from c4desk.integrations.ptz._http import DEFAULT_TIMEOUT, send
from c4desk.integrations.ptz.base import (
    PtzClient,
    PtzError,
    PtzPosition,
    PtzPreset,
    check_angle,
    check_speed,
    check_zoom,
)

PTZ_PATH = "/axis-cgi/com/ptz.cgi"
DEFAULT_ZOOM_RANGE = (1.0, 9999.0)


def ptz_cgi_url(url: str) -> str:
    """``url`` itself when it names ptz.cgi, else the camera root + ``/axis-cgi/com/ptz.cgi``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r}: expected an http(s) URL of the camera or its ptz.cgi")
    if parts.path.rstrip("/").endswith("ptz.cgi"):
        return url
    return url.rstrip("/") + PTZ_PATH


def parse_lines(text: str) -> dict[str, str]:
    """``key=value`` lines (the VAPIX text reply) as a dict; other lines are ignored."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class VapixPtz(PtzClient):
    def __init__(self, base_url: str, username: str, password: str, *, camera: int = 1,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = 2, backoff_s: float = 0.2,
                 verify: bool | str = True, session: requests.Session | None = None) -> None:
        self.url = ptz_cgi_url(base_url)
        self.host = urlsplit(self.url).netloc
        self.camera = camera
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self._own_session = session is None
        self.session = session or requests.Session()
        self.session.auth = HTTPDigestAuth(username, password)
        self.session.verify = verify
        self._lock = threading.Lock()
        self._zoom_range: tuple[float, float] | None = None

    # --- transport -------------------------------------------------------------------------------------------

    def request(self, params: Mapping[str, str | int | float], *, idempotent: bool = True) -> str:
        """Send one ptz.cgi request; the reply text. Raises PtzError."""
        query = urlencode({"camera": self.camera, **params}, safe=",")
        with self._lock:
            response = send(self.session, "GET", f"{self.url}?{query}", host=self.host, timeout=self.timeout,
                            retries=self.retries, backoff_s=self.backoff_s, idempotent=idempotent)
        return self._check(response)

    def _check(self, response: requests.Response) -> str:
        status = response.status_code
        if status == 401:
            raise PtzError("401 from camera: check credentials")
        if status == 403:
            raise PtzError("403 from camera: the account lacks PTZ rights (it needs operator or admin)")
        if status == 404:
            raise PtzError(f"404 from camera: no PTZ API at {self.url} (is it a PTZ camera? is PTZ enabled?)")
        text = response.text
        if status >= 400:
            first = text.strip().splitlines()[0][:200] if text.strip() else response.reason
            raise PtzError(f"{status} from camera: {first}")
        if text.lstrip().lower().startswith("error"):
            raise PtzError(f"camera refused the command: {text.strip()[:200]}")
        return text

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    # --- zoom units ------------------------------------------------------------------------------------------

    def zoom_range(self) -> tuple[float, float]:
        """The camera's (MinZoom, MaxZoom), read once from ``query=limits``."""
        if self._zoom_range is None:
            limits = parse_lines(self.request({"query": "limits"}))
            lo, hi = DEFAULT_ZOOM_RANGE
            try:
                lo = float(limits.get("MinZoom", lo))
                hi = float(limits.get("MaxZoom", hi))
            except ValueError:
                lo, hi = DEFAULT_ZOOM_RANGE
            self._zoom_range = (lo, hi) if hi > lo else DEFAULT_ZOOM_RANGE
        return self._zoom_range

    def _zoom_steps(self, zoom: float) -> int:
        lo, hi = self.zoom_range()
        return round(lo + check_zoom(zoom) * (hi - lo))

    # --- commands --------------------------------------------------------------------------------------------

    def absolute_move(self, pan: float, tilt: float, zoom: float | None = None) -> None:
        params: dict[str, str | int | float] = {"pan": _num(check_angle(pan, "pan", -180, 180)),
                                                "tilt": _num(check_angle(tilt, "tilt", -90, 90))}
        if zoom is not None:
            params["zoom"] = self._zoom_steps(zoom)
        self.request(params)

    def relative_move(self, pan: float = 0.0, tilt: float = 0.0, zoom: float = 0.0) -> None:
        params: dict[str, str | int | float] = {}
        if pan:
            params["rpan"] = _num(check_angle(pan, "rpan", -360, 360))
        if tilt:
            params["rtilt"] = _num(check_angle(tilt, "rtilt", -180, 180))
        if zoom:
            lo, hi = self.zoom_range()
            params["rzoom"] = round(check_angle(zoom, "rzoom", -1, 1) * (hi - lo))
        if params:
            self.request(params, idempotent=False)

    def continuous_move(self, x: float, y: float) -> None:
        sx, sy = round(check_speed(x, "pan") * 100), round(check_speed(y, "tilt") * 100)
        self.request({"continuouspantiltmove": f"{sx},{sy}"})

    def continuous_zoom(self, z: float) -> None:
        self.request({"continuouszoommove": round(check_speed(z, "zoom") * 100)})

    def stop(self) -> None:
        self.request({"continuouspantiltmove": "0,0", "continuouszoommove": 0})

    def home(self) -> None:
        self.request({"move": "home"})

    def presets(self) -> list[PtzPreset]:
        text = self.request({"query": "presetposall"})
        out = []
        for key, name in parse_lines(text).items():
            if key.lower().startswith("presetposno") and name:
                out.append(PtzPreset(name=name, token=name))
        return out

    def goto_preset(self, name: str) -> None:
        self.request({"gotoserverpresetname": _preset_name(name)})

    def set_preset(self, name: str) -> None:
        self.request({"setserverpresetname": _preset_name(name)})

    def remove_preset(self, name: str) -> None:
        self.request({"removeserverpresetname": _preset_name(name)})

    def center(self, x: int, y: int, image_w: int, image_h: int) -> None:
        _check_pixel(x, y, image_w, image_h)
        self.request({"center": f"{x},{y}", "imagewidth": image_w, "imageheight": image_h}, idempotent=False)

    def area_zoom(self, x: int, y: int, z: int, image_w: int | None = None, image_h: int | None = None) -> None:
        if z <= 0:
            raise ValueError("area zoom factor must be positive")
        params: dict[str, str | int | float] = {"areazoom": f"{x},{y},{z}"}
        if image_w is not None and image_h is not None:
            _check_pixel(x, y, image_w, image_h)
            params.update(imagewidth=image_w, imageheight=image_h)
        self.request(params, idempotent=False)

    def position(self) -> PtzPosition:
        values = parse_lines(self.request({"query": "position"}))
        try:
            pan, tilt = float(values["pan"]), float(values["tilt"])
            steps = float(values.get("zoom", DEFAULT_ZOOM_RANGE[0]))
        except KeyError as exc:
            raise PtzError(f"camera's position reply has no {exc.args[0]}") from exc
        except ValueError as exc:
            raise PtzError(f"camera's position reply is unreadable: {exc}") from exc
        lo, hi = self.zoom_range()
        return PtzPosition(pan=pan, tilt=tilt, zoom=min(1.0, max(0.0, (steps - lo) / (hi - lo))))


def _preset_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64 or any(not c.isprintable() for c in cleaned):
        raise ValueError("a preset name is 1-64 printable characters")
    return cleaned


def _check_pixel(x: int, y: int, w: int, h: int) -> None:
    if w <= 0 or h <= 0 or not (0 <= x <= w and 0 <= y <= h):
        raise ValueError(f"pixel ({x}, {y}) is not inside a {w}x{h} image")
