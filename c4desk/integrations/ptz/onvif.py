"""ONVIF PTZ (ver20 PTZ service) over SOAP 1.2 with plain ``requests``: no WSDL, no zeep.

Operations used: AbsoluteMove, RelativeMove, ContinuousMove, Stop, GetStatus, GetPresets, SetPreset,
GotoPreset, RemovePreset, GotoHomePosition. Authentication is a WS-Security UsernameToken with a
PasswordDigest (Base64(SHA-1(nonce + created + password))), which is what ONVIF Profile S requires. A
camera checks ``created`` against its own clock, so a camera whose clock is off refuses every request:
``clock_offset_s`` (camera time minus ours) fixes that.

Units: the PtzClient interface speaks degrees and zoom 0..1. ONVIF's generic spaces are pan/tilt [-1, 1] and
zoom [0, 1]; how [-1, 1] maps to degrees is the camera's business, so ``pan_range_deg`` and ``tilt_range_deg``
say it (defaults: pan [-180, 180], tilt [-90, 90]; set them from the camera's datasheet or its
GetConfigurationOptions). ONVIF has no click-to-centre or area zoom: ``center`` and ``area_zoom`` raise
PtzUnsupported. The profile token (from the media service's GetProfiles) must be given.

Replies are parsed with ElementTree after refusing any DTD (SOAP forbids them; this also closes the door on
entity-expansion tricks from a hostile device).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests

from c4desk.integrations.ptz._http import DEFAULT_TIMEOUT, send
from c4desk.integrations.ptz.base import (
    PtzClient,
    PtzError,
    PtzPosition,
    PtzPreset,
    PtzUnsupported,
    check_angle,
    check_speed,
    check_zoom,
)

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
                   "#PasswordDigest")
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
                 "#Base64Binary")
ACTION = "http://www.onvif.org/ver20/ptz/wsdl/{}"
IDEMPOTENT = frozenset({"AbsoluteMove", "ContinuousMove", "Stop", "GetStatus", "GetPresets", "SetPreset",
                        "GotoPreset", "RemovePreset", "GotoHomePosition"})


def password_digest(nonce: bytes, created: str, password: str) -> str:
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def _n(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


class OnvifPtz(PtzClient):
    def __init__(self, url: str, username: str, password: str, profile_token: str, *,
                 pan_range_deg: tuple[float, float] = (-180.0, 180.0),
                 tilt_range_deg: tuple[float, float] = (-90.0, 90.0), clock_offset_s: float = 0.0,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = 2, backoff_s: float = 0.2,
                 verify: bool | str = True, session: requests.Session | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r}: expected the http(s) URL of the camera's ONVIF PTZ service")
        if not profile_token:
            raise ValueError("an ONVIF profile token is required")
        for name, (lo, hi) in (("pan_range_deg", pan_range_deg), ("tilt_range_deg", tilt_range_deg)):
            if not hi > lo:
                raise ValueError(f"{name} must be (low, high) with high > low")
        self.url = url
        self.host = parts.netloc
        self.username, self._password, self.profile_token = username, password, profile_token
        self.pan_range, self.tilt_range = pan_range_deg, tilt_range_deg
        self.clock_offset = timedelta(seconds=clock_offset_s)
        self.timeout, self.retries, self.backoff_s = timeout, max(0, retries), backoff_s
        self._own_session = session is None
        self.session = session or requests.Session()
        self.session.verify = verify
        self._lock = threading.Lock()

    # --- units ---------------------------------------------------------------------------------------------

    @staticmethod
    def _to_unit(deg: float, rng: tuple[float, float]) -> float:
        lo, hi = rng
        return max(-1.0, min(1.0, (deg - lo) / (hi - lo) * 2.0 - 1.0))

    @staticmethod
    def _to_deg(unit: float, rng: tuple[float, float]) -> float:
        lo, hi = rng
        return lo + (unit + 1.0) / 2.0 * (hi - lo)

    # --- SOAP ----------------------------------------------------------------------------------------------

    def _security(self) -> str:
        nonce = os.urandom(16)
        created = (datetime.now(UTC) + self.clock_offset).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return (
            f'<wsse:Security s:mustUnderstand="1" xmlns:wsse="{NS["wsse"]}" xmlns:wsu="{NS["wsu"]}">'
            f"<wsse:UsernameToken><wsse:Username>{escape(self.username)}</wsse:Username>"
            f'<wsse:Password Type="{PASSWORD_DIGEST}">{password_digest(nonce, created, self._password)}'
            f"</wsse:Password>"
            f'<wsse:Nonce EncodingType="{BASE64_BINARY}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        )

    def call(self, operation: str, body: str = "") -> ET.Element:
        """Send ``<tptz:operation>`` with the profile token and ``body``; the reply's first Body element."""
        envelope = (
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:tptz="{NS["tptz"]}" xmlns:tt="{NS["tt"]}">'
            f"<s:Header>{self._security()}</s:Header><s:Body><tptz:{operation}>"
            f"<tptz:ProfileToken>{escape(self.profile_token)}</tptz:ProfileToken>{body}"
            f"</tptz:{operation}></s:Body></s:Envelope>"
        )
        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{ACTION.format(operation)}"'}
        with self._lock:
            response = send(self.session, "POST", self.url, host=self.host, timeout=self.timeout,
                            retries=self.retries, backoff_s=self.backoff_s,
                            idempotent=operation in IDEMPOTENT, data=envelope.encode(), headers=headers)
        return self._reply(response, operation)

    def _reply(self, response: requests.Response, operation: str) -> ET.Element:
        content = response.content
        root: ET.Element | None = None
        if content.strip():
            if b"<!DOCTYPE" in content[:2048].upper():
                raise PtzError("camera's reply carries a DTD, which SOAP forbids; refused")
            try:
                root = ET.fromstring(content)
            except ET.ParseError as exc:
                if response.status_code >= 400:
                    root = None
                else:
                    raise PtzError(f"camera's reply to {operation} is not XML: {exc}") from exc
        fault = root.find("s:Body/s:Fault", NS) if root is not None else None
        if fault is not None or response.status_code >= 400:
            raise self._fault_error(response.status_code, fault, operation)
        body = root.find("s:Body", NS) if root is not None else None
        if body is None or len(body) == 0:
            raise PtzError(f"camera's reply to {operation} has no SOAP body")
        return body[0]

    @staticmethod
    def _fault_error(status: int, fault: ET.Element | None, operation: str) -> PtzError:
        codes: list[str] = []
        reason = ""
        if fault is not None:
            codes = [(v.text or "").strip() for v in fault.iter(f"{{{NS['s']}}}Value")]
            text = fault.find("s:Reason/s:Text", NS)
            reason = (text.text or "").strip() if text is not None else ""
        if status == 401 or any(c.endswith("NotAuthorized") or c.endswith("FailedAuthentication") for c in codes):
            return PtzError("401 from camera: check credentials (ONVIF user and password, and the camera's "
                            "clock: WS-Security digests carry the time)")
        detail = reason or (codes[-1] if codes else f"HTTP {status}")
        return PtzError(f"camera refused {operation}: {detail}")

    # --- commands ------------------------------------------------------------------------------------------

    def _vector(self, tag: str, pan: float | None, tilt: float | None, zoom: float | None) -> str:
        parts = []
        if pan is not None and tilt is not None:
            parts.append(f'<tt:PanTilt x="{_n(pan)}" y="{_n(tilt)}"/>')
        if zoom is not None:
            parts.append(f'<tt:Zoom x="{_n(zoom)}"/>')
        return f"<tptz:{tag}>{''.join(parts)}</tptz:{tag}>"

    def absolute_move(self, pan: float, tilt: float, zoom: float | None = None) -> None:
        x = self._to_unit(check_angle(pan, "pan", -180, 180), self.pan_range)
        y = self._to_unit(check_angle(tilt, "tilt", -90, 90), self.tilt_range)
        self.call("AbsoluteMove", self._vector("Position", x, y, None if zoom is None else check_zoom(zoom)))

    def relative_move(self, pan: float = 0.0, tilt: float = 0.0, zoom: float = 0.0) -> None:
        if not (pan or tilt or zoom):
            return
        dx = check_angle(pan, "rpan", -360, 360) * 2.0 / (self.pan_range[1] - self.pan_range[0])
        dy = check_angle(tilt, "rtilt", -180, 180) * 2.0 / (self.tilt_range[1] - self.tilt_range[0])
        dz = check_angle(zoom, "rzoom", -1, 1)
        self.call("RelativeMove", self._vector("Translation", max(-1.0, min(1.0, dx)), max(-1.0, min(1.0, dy)),
                                               dz if zoom else None))

    def continuous_move(self, x: float, y: float) -> None:
        self.call("ContinuousMove", self._vector("Velocity", check_speed(x, "pan"), check_speed(y, "tilt"), None))

    def continuous_zoom(self, z: float) -> None:
        self.call("ContinuousMove", self._vector("Velocity", None, None, check_speed(z, "zoom")))

    def stop(self) -> None:
        self.call("Stop", "<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom>")

    def home(self) -> None:
        self.call("GotoHomePosition")

    def presets(self) -> list[PtzPreset]:
        reply = self.call("GetPresets")
        out = []
        for preset in reply.findall("tptz:Preset", NS):
            token = preset.get("token", "")
            name_el = preset.find("tt:Name", NS)
            name = (name_el.text or "").strip() if name_el is not None else ""
            out.append(PtzPreset(name=name or token, token=token, position=self._position(preset, "tt:PTZPosition")))
        return out

    def _token(self, name: str) -> str:
        presets = self.presets()
        for p in presets:
            if p.name == name:
                return p.token
        for p in presets:
            if p.token == name:
                return p.token
        raise PtzError(f"the camera has no preset {name!r}")

    def goto_preset(self, name: str) -> None:
        self.call("GotoPreset", f"<tptz:PresetToken>{escape(self._token(name))}</tptz:PresetToken>")

    def set_preset(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a preset needs a name")
        existing = [p.token for p in self.presets() if p.name == name]
        token = f"<tptz:PresetToken>{escape(existing[0])}</tptz:PresetToken>" if existing else ""
        self.call("SetPreset", f"<tptz:PresetName>{escape(name)}</tptz:PresetName>{token}")

    def remove_preset(self, name: str) -> None:
        self.call("RemovePreset", f"<tptz:PresetToken>{escape(self._token(name))}</tptz:PresetToken>")

    def center(self, x: int, y: int, image_w: int, image_h: int) -> None:
        raise PtzUnsupported("ONVIF has no click-to-centre; use relative_move")

    def area_zoom(self, x: int, y: int, z: int, image_w: int | None = None, image_h: int | None = None) -> None:
        raise PtzUnsupported("ONVIF has no area zoom; use relative_move")

    def _position(self, parent: ET.Element, path: str) -> PtzPosition | None:
        pos = parent.find(path, NS)
        if pos is None:
            return None
        pt, zm = pos.find("tt:PanTilt", NS), pos.find("tt:Zoom", NS)

        def coord(el: ET.Element | None, attr: str) -> float:
            if el is None:
                return 0.0
            try:
                value = float(el.get(attr, ""))
            except ValueError:
                raise PtzError(f"camera's position has no readable {el.tag.rsplit('}', 1)[-1]} {attr}") from None
            if not math.isfinite(value):
                raise PtzError("camera's position is not finite")
            return value

        x, y, z = coord(pt, "x"), coord(pt, "y"), coord(zm, "x")
        return PtzPosition(pan=self._to_deg(x, self.pan_range), tilt=self._to_deg(y, self.tilt_range), zoom=z)

    def position(self) -> PtzPosition:
        reply = self.call("GetStatus")
        pos = self._position(reply, "tptz:PTZStatus/tt:Position")
        if pos is None:
            raise PtzError("camera's GetStatus reply has no position")
        return pos

    def close(self) -> None:
        if self._own_session:
            self.session.close()

