"""A small ONVIF PTZ service simulator (SOAP 1.2 over HTTP on 127.0.0.1), standing in for an ONVIF camera: no
real camera exists here.

It checks the WS-Security UsernameToken PasswordDigest (Base64(SHA-1(nonce + created + password))), refuses a
``Created`` more than 5 minutes from its own clock (``clock_offset_s`` moves that clock) and a nonce used
before, and answers NotAuthorized faults as ONVIF cameras do (HTTP 400, ``ter:NotAuthorized``). It keeps
position and presets in ONVIF's generic spaces (pan/tilt [-1, 1], zoom [0, 1]) and records every operation.
Operations: AbsoluteMove, RelativeMove, ContinuousMove, Stop, GetStatus, GetPresets, SetPreset, GotoPreset,
RemovePreset, GotoHomePosition. Moves are instant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

S = "http://www.w3.org/2003/05/soap-envelope"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PATH = "/onvif/ptz_service"
PROFILE = "Profile_1"


@dataclass
class Call:
    operation: str
    user: str | None
    args: dict[str, Any] = field(default_factory=dict)


class Fault(Exception):
    def __init__(self, code: str, subcode: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.code, self.subcode, self.reason, self.status = code, subcode, reason, status


def _float(el: ET.Element | None, attr: str) -> float | None:
    if el is None or el.get(attr) is None:
        return None
    try:
        return float(el.get(attr, ""))
    except ValueError:
        raise Fault("s:Sender", "ter:InvalidArgVal", f"{attr} is not a number") from None


class OnvifSimulator:
    def __init__(self, username: str = "admin", password: str = "pass", *, clock_offset_s: float = 0.0) -> None:
        self.username, self.password = username, password
        self.clock_offset = timedelta(seconds=clock_offset_s)
        self.pan = self.tilt = self.zoom = 0.0
        self.velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.presets: dict[str, tuple[str, tuple[float, float, float]]] = {}  # token -> (name, position)
        self.calls: list[Call] = []
        self._nonces: set[str] = set()
        self._next_token = 1
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def __enter__(self) -> OnvifSimulator:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(2.0)

    # --- WS-Security --------------------------------------------------------------------------------------------

    def _authenticate(self, envelope: ET.Element) -> str:
        token = envelope.find(f"{{{S}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        denied = Fault("s:Sender", "ter:NotAuthorized", "Sender not Authorized")
        if token is None:
            raise denied
        user = token.findtext(f"{{{WSSE}}}Username", "")
        password = token.find(f"{{{WSSE}}}Password")
        nonce_b64 = token.findtext(f"{{{WSSE}}}Nonce", "")
        created = token.findtext(f"{{{WSU}}}Created", "")
        if password is None or not password.get("Type", "").endswith("#PasswordDigest") or user != self.username:
            raise denied
        try:
            nonce = base64.b64decode(nonce_b64, validate=True)
            when = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise denied from None
        expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + self.password.encode()).digest())
        if not hmac.compare_digest(expected.decode(), (password.text or "").strip()):
            raise denied
        if abs(datetime.now(UTC) + self.clock_offset - when) > timedelta(minutes=5):
            raise denied
        with self._lock:
            if nonce_b64 in self._nonces:
                raise denied
            self._nonces.add(nonce_b64)
        return user

    # --- operations ------------------------------------------------------------------------------------------------

    def _vector(self, el: ET.Element | None) -> tuple[float | None, float | None, float | None]:
        if el is None:
            return None, None, None
        pt, zm = el.find(f"{{{TT}}}PanTilt"), el.find(f"{{{TT}}}Zoom")
        return _float(pt, "x"), _float(pt, "y"), _float(zm, "x")

    def _set(self, x: float | None, y: float | None, z: float | None) -> None:
        for value, lo in ((x, -1.0), (y, -1.0), (z, 0.0)):
            if value is not None and not lo <= value <= 1.0:
                raise Fault("s:Sender", "ter:InvalidPosition", "position out of bounds")
        if x is not None and y is not None:
            self.pan, self.tilt = x, y
        if z is not None:
            self.zoom = z

    def _position_xml(self, tag: str, pos: tuple[float, float, float]) -> str:
        return (f'<{tag}><tt:PanTilt x="{pos[0]}" y="{pos[1]}" space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/'
                f'PositionGenericSpace"/><tt:Zoom x="{pos[2]}"/></{tag}>')

    def handle(self, op: ET.Element, user: str) -> str:
        name = op.tag.split("}")[-1]
        if op.findtext(f"{{{TPTZ}}}ProfileToken") != PROFILE:
            raise Fault("s:Sender", "ter:NoProfile", "no such profile")
        call = Call(name, user)
        self.calls.append(call)
        if name == "AbsoluteMove":
            call.args["position"] = self._vector(op.find(f"{{{TPTZ}}}Position"))
            self._set(*call.args["position"])
        elif name == "RelativeMove":
            dx, dy, dz = call.args["translation"] = self._vector(op.find(f"{{{TPTZ}}}Translation"))
            self._set(None if dx is None else max(-1.0, min(1.0, self.pan + dx)),
                      None if dy is None else max(-1.0, min(1.0, self.tilt + dy)),
                      None if dz is None else max(0.0, min(1.0, self.zoom + dz)))
        elif name == "ContinuousMove":
            vx, vy, vz = call.args["velocity"] = self._vector(op.find(f"{{{TPTZ}}}Velocity"))
            old = self.velocity
            self.velocity = (old[0] if vx is None else vx, old[1] if vy is None else vy, old[2] if vz is None else vz)
        elif name == "Stop":
            call.args = {"pan_tilt": op.findtext(f"{{{TPTZ}}}PanTilt"), "zoom": op.findtext(f"{{{TPTZ}}}Zoom")}
            self.velocity = (0.0, 0.0, 0.0)
        elif name == "GotoHomePosition":
            self.pan = self.tilt = self.zoom = 0.0
        elif name == "GetStatus":
            return (f"<tptz:GetStatusResponse><tptz:PTZStatus>"
                    f"{self._position_xml('tt:Position', (self.pan, self.tilt, self.zoom))}"
                    f"<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt></tt:MoveStatus>"
                    f"<tt:UtcTime>{datetime.now(UTC).isoformat()}</tt:UtcTime></tptz:PTZStatus>"
                    f"</tptz:GetStatusResponse>")
        elif name == "GetPresets":
            items = "".join(f'<tptz:Preset token="{escape(t)}"><tt:Name>{escape(n)}</tt:Name>'
                            f'{self._position_xml("tt:PTZPosition", p)}</tptz:Preset>'
                            for t, (n, p) in self.presets.items())
            return f"<tptz:GetPresetsResponse>{items}</tptz:GetPresetsResponse>"
        elif name == "SetPreset":
            token = op.findtext(f"{{{TPTZ}}}PresetToken") or f"preset-{self._next_token}"
            if token == f"preset-{self._next_token}":
                self._next_token += 1
            call.args = {"name": op.findtext(f"{{{TPTZ}}}PresetName"), "token": token}
            self.presets[token] = (call.args["name"] or token, (self.pan, self.tilt, self.zoom))
            return (f"<tptz:SetPresetResponse><tptz:PresetToken>{escape(token)}</tptz:PresetToken>"
                    f"</tptz:SetPresetResponse>")
        elif name in ("GotoPreset", "RemovePreset"):
            token = op.findtext(f"{{{TPTZ}}}PresetToken") or ""
            call.args["token"] = token
            if token not in self.presets:
                raise Fault("s:Sender", "ter:NoToken", "no such preset")
            if name == "GotoPreset":
                self._set(*self.presets[token][1])
            else:
                del self.presets[token]
        else:
            raise Fault("s:Receiver", "ter:ActionNotSupported", f"{name} is not supported", status=500)
        return f"<tptz:{name}Response/>"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    if self.path != PATH:
                        raise Fault("s:Sender", "ter:NotFound", "no such service", status=404)
                    envelope = ET.fromstring(body)
                    user = sim._authenticate(envelope)
                    op = envelope.find(f"{{{S}}}Body")
                    if op is None or len(op) == 0:
                        raise Fault("s:Sender", "ter:InvalidArgVal", "empty body")
                    with sim._lock:
                        reply = sim.handle(op[0], user)
                    self._send(200, reply)
                except Fault as f:
                    self._send(f.status, f'<s:Fault><s:Code><s:Value>{f.code}</s:Value><s:Subcode><s:Value>'
                                         f'{f.subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">'
                                         f"{f.reason}</s:Text></s:Reason></s:Fault>")

            def _send(self, status: int, body_xml: str) -> None:
                data = (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{S}" xmlns:tptz="{TPTZ}" '
                        f'xmlns:tt="{TT}" xmlns:ter="http://www.onvif.org/ver10/error"><s:Body>{body_xml}'
                        f"</s:Body></s:Envelope>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
