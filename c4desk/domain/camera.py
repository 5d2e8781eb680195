"""The camera record every layer shares, and the one validator every importer uses."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from c4desk.domain.errors import FieldError, ValidationError


class CameraKind(StrEnum):
    FIXED = "fixed"
    PTZ = "ptz"
    LPR = "lpr"
    PRIVATE = "private"


class PtzProtocol(StrEnum):
    VAPIX = "vapix"
    ONVIF = "onvif"
    NONE = "none"


STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https", "udp", "rtp", "file"})
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# The camera fields, in the order files and --json use them.
CAMERA_FIELDS = (
    "id", "name", "lat", "lon", "heading_deg", "fov_deg", "range_m", "kind", "serial",
    "stream_main", "stream_sub", "ptz_protocol", "ptz_url", "credential_ref", "owner", "contact", "enabled",
)
REQUIRED_FIELDS = ("id", "name", "lat", "lon")


@dataclass(frozen=True)
class Camera:
    id: str
    name: str
    lat: float
    lon: float
    heading_deg: float = 0.0
    fov_deg: float = 90.0
    range_m: float = 100.0
    kind: CameraKind = CameraKind.FIXED
    serial: str = ""
    stream_main: str = ""
    stream_sub: str = ""
    ptz_protocol: PtzProtocol = PtzProtocol.NONE
    ptz_url: str = ""
    # A keyring entry name, never the secret itself.
    credential_ref: str = ""
    owner: str = ""
    contact: str = ""
    enabled: bool = True
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("extra")
        d["kind"] = str(self.kind)
        d["ptz_protocol"] = str(self.ptz_protocol)
        return d

    @property
    def best_stream(self) -> str:
        return self.stream_main or self.stream_sub


_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


def _as_float(raw: Any, name: str, lo: float, hi: float, errors: list[FieldError]) -> float | None:
    if isinstance(raw, bool):
        errors.append(FieldError(name, "must be a number, not a boolean"))
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append(FieldError(name, f"not a number: {raw!r}"))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(name, "must be finite"))
        return None
    if not lo <= value <= hi:
        errors.append(FieldError(name, f"{value:g} is outside [{lo:g}, {hi:g}]"))
        return None
    return value


def _check_url(value: str, name: str, schemes: frozenset[str], errors: list[FieldError]) -> None:
    if not value:
        return
    if any(c.isspace() for c in value):
        errors.append(FieldError(name, "URL contains white space"))
        return
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes:
        errors.append(FieldError(name, f"scheme {parts.scheme or '(none)'!r} not one of {', '.join(sorted(schemes))}"))
        return
    if parts.scheme != "file" and not parts.hostname:
        errors.append(FieldError(name, "URL has no host"))
        return
    if parts.password:
        # Secrets live in the keyring; a password in a URL would end up in the DB, logs and exports.
        errors.append(FieldError(name, "URL carries a password; store it in the keyring and set credential_ref"))
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        errors.append(FieldError(name, f"bad port: {exc}"))


# A keyring entry name and, without a system keyring, a file name in DATA_DIR/secrets: a plain name, never a path
# (``../settings.json`` would send that file's contents to the camera as its login).
CREDENTIAL_REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}$")


def credential_ref_problem(credential_ref: str) -> str | None:
    """Why ``credential_ref`` cannot name a camera's login, or None."""
    if not CREDENTIAL_REF_PATTERN.match(credential_ref):
        return "use 1-200 letters, digits, '_', '.', '@', '+' or '-', starting with a letter or digit"
    return None


def _normal_heading(deg: float) -> float:
    # -1e-20 % 360 rounds to 360.0, which is not in [0, 360).
    h = deg % 360.0
    return 0.0 if h >= 360.0 else h


def parse_camera(raw: dict[str, Any]) -> Camera:
    """Build a Camera from loosely typed input (CSV strings, JSON values).

    Raises ValidationError naming every bad field, so a file importer can report them all at once.
    Unknown keys are kept in ``extra`` (agency files carry their own columns).
    """
    errors: list[FieldError] = []

    def text(name: str) -> str:
        v = raw.get(name)
        return "" if v is None else str(v).strip()

    for name in REQUIRED_FIELDS:
        if text(name) == "":
            errors.append(FieldError(name, "required"))
    cam_id = text("id")
    if cam_id and not ID_PATTERN.match(cam_id):
        errors.append(FieldError("id", "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
    lat = _as_float(raw["lat"], "lat", -90, 90, errors) if text("lat") else None
    lon = _as_float(raw["lon"], "lon", -180, 180, errors) if text("lon") else None
    heading = _as_float(raw.get("heading_deg"), "heading_deg", -360, 360, errors) if text("heading_deg") else 0.0
    fov = _as_float(raw.get("fov_deg"), "fov_deg", 1, 360, errors) if text("fov_deg") else 90.0
    rng = _as_float(raw.get("range_m"), "range_m", 1, 5000, errors) if text("range_m") else 100.0

    kind = CameraKind.FIXED
    if text("kind"):
        try:
            kind = CameraKind(text("kind").lower())
        except ValueError:
            errors.append(FieldError("kind", f"{text('kind')!r} not one of {', '.join(k.value for k in CameraKind)}"))
    protocol = PtzProtocol.NONE
    if text("ptz_protocol"):
        try:
            protocol = PtzProtocol(text("ptz_protocol").lower())
        except ValueError:
            errors.append(FieldError("ptz_protocol",
                                     f"{text('ptz_protocol')!r} not one of {', '.join(p.value for p in PtzProtocol)}"))
    enabled = True
    if text("enabled"):
        flag = raw.get("enabled")
        if isinstance(flag, bool):
            enabled = flag
        elif text("enabled").lower() in _TRUE:
            enabled = True
        elif text("enabled").lower() in _FALSE:
            enabled = False
        else:
            errors.append(FieldError("enabled", f"{text('enabled')!r} is not true/false"))

    for name in ("stream_main", "stream_sub"):
        _check_url(text(name), name, STREAM_SCHEMES, errors)
    _check_url(text("ptz_url"), "ptz_url", frozenset({"http", "https"}), errors)
    if protocol is not PtzProtocol.NONE and not text("ptz_url"):
        errors.append(FieldError("ptz_url", f"required when ptz_protocol is {protocol.value}"))
    if kind is CameraKind.PRIVATE and not (text("owner") or text("contact")):
        errors.append(FieldError("owner", "a private camera needs an owner or contact"))
    if text("credential_ref") and (problem := credential_ref_problem(text("credential_ref"))):
        errors.append(FieldError("credential_ref", problem))
    if text("name") and len(text("name")) > 200:
        errors.append(FieldError("name", "longer than 200 characters"))

    if errors:
        raise ValidationError(errors)
    assert lat is not None and lon is not None and heading is not None and fov is not None and rng is not None
    extra = {k: str(v) for k, v in raw.items() if k not in CAMERA_FIELDS and v not in (None, "")}
    return Camera(
        id=cam_id, name=text("name"), lat=lat, lon=lon, heading_deg=_normal_heading(heading), fov_deg=fov, range_m=rng,
        kind=kind, serial=text("serial"), stream_main=text("stream_main"), stream_sub=text("stream_sub"),
        ptz_protocol=protocol, ptz_url=text("ptz_url"), credential_ref=text("credential_ref"),
        owner=text("owner"), contact=text("contact"), enabled=enabled, extra=extra,
    )
