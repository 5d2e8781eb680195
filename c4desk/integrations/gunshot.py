"""Gunshot-detection alerts as a feed pushes them (ShotSpotter-like JSON): validate, then build a GunshotReport.

The payload (documented as JSON Schema in ``resources/schemas/gunshot-alert.schema.json``)::

    {"id": "SST-26-000123", "type": "multiple_gunshots", "rounds": 4, "lat": 41.76412, "lon": -72.67405,
     "detected_at": "2026-07-04T21:14:05Z", "address": "Main St & Pearl St", "beat": "B-07",
     "district": "Downtown", "status": "new", "extra": {"sensor_count": 6}}

Every bad field is reported at once (a sender fixes its adapter in one go). Choices made here:

* **Unknown top-level fields are rejected**, naming them (with a "did you mean" when one is close to a known
  field). A typo such as ``adress`` would otherwise drop the address silently on every alert. The price is that
  a sender that adds a field breaks until it is listed here, so vendor-specific data has a place of its own:
  the optional ``extra`` object, stored as sent.
* ``detected_at`` must be RFC 3339 (the ISO 8601 profile JSON Schema's ``date-time`` is): date, ``T``, time to
  the second, optional fraction, and a zone (``Z`` or ``+hh:mm``); leap seconds (``:60``) are refused. A time
  without a zone is refused: it means different instants on different seats. It is stored in UTC. With
  ``now`` (the hub passes it) a time more than ``MAX_FUTURE`` ahead is refused too: a sensor with a wrong clock
  would otherwise sort to the top of the queue for days.
* ``rounds`` is an integer; ``4.0`` is accepted as 4 (JSON Schema's ``integer`` allows it), ``true`` is not.
* ``status`` (``new`` | ``update``) is what the feed thinks it is sending. It is informational: the stored
  alert decides. An ``update`` for an id never seen creates the alert (better than losing it); a ``new`` for
  a known id updates it. It is kept in the payload.
* Optional text fields may be ``null`` (= empty); they are stripped of surrounding white space.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from c4desk.domain.alerts import Alert, GunshotReport
from c4desk.domain.errors import FieldError, ValidationError

SCHEMA_RESOURCE = "schemas/gunshot-alert.schema.json"


class GunshotType(StrEnum):
    SINGLE_GUNSHOT = "single_gunshot"
    MULTIPLE_GUNSHOTS = "multiple_gunshots"
    PROBABLE_GUNFIRE = "probable_gunfire"
    OTHER = "other"


FEED_STATUSES = ("new", "update")
REQUIRED = ("id", "type", "rounds", "lat", "lon", "detected_at")
# Optional text fields and their length caps (the alerts table's column sizes).
TEXT_FIELDS = {"address": 200, "beat": 32, "district": 64}
OPTIONAL = (*TEXT_FIELDS, "status", "extra")
KNOWN = frozenset(REQUIRED + OPTIONAL)
MAX_ID_LENGTH = 128
MAX_ROUNDS = 10_000
MAX_FUTURE = timedelta(minutes=5)
# Printable ASCII, no white space at either end (the schema carries the same pattern). Always ``fullmatch``:
# Python's ``$`` also matches before a final newline, ECMAScript's (JSON Schema's) does not.
ID_PATTERN = re.compile(r"^[!-~](?:[ -~]*[!-~])?$")
# RFC 3339 date-time. The schema's pattern is this one.
DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d+))?"
    r"(?:([Zz])|([+-])([01]\d|2[0-3]):([0-5]\d))$",
    re.ASCII,  # \d is [0-9] as in ECMAScript; Python's would take any Unicode digit
)
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", re.ASCII)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coordinate(obj: Mapping[str, Any], name: str, limit: float, errors: list[FieldError]) -> float | None:
    value = obj[name]
    if not _is_number(value):
        errors.append(FieldError(name, f"must be a number, got {json_kind(value)}"))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors.append(FieldError(name, "must be a finite number"))
        return None
    if not -limit <= value <= limit:  # compared before float(): a huge int would overflow
        errors.append(FieldError(name, f"{value!r} is outside [{-limit:g}, {limit:g}]"))
        return None
    return float(value)


def json_kind(value: Any) -> str:
    """How a rejection names the JSON type it got instead (\"a string\", \"an array\", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_time(value: Any, name: str, errors: list[FieldError]) -> datetime | None:
    """An RFC 3339 date-time with a zone, as an aware UTC datetime (or an error appended)."""
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be an RFC 3339 date-time string, got {json_kind(value)}"))
        return None
    m = DATE_TIME.fullmatch(value)
    if m is None:
        if _NAIVE.fullmatch(value):
            errors.append(FieldError(name, f"{value!r} has no time zone: add Z (UTC) or an offset like -05:00"))
        else:
            errors.append(FieldError(name, f"{value!r} is not an RFC 3339 date-time like 2026-07-04T21:14:05Z"))
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    if m.group(8):
        zone: timezone = UTC
    else:
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        zone = timezone(-offset if m.group(9) == "-" else offset)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        errors.append(FieldError(name, f"{value!r} is not a valid date-time: {exc}"))
        return None


# Names other feeds use for our fields: the error says which one was meant.
ALIASES = {"lng": "lon", "long": "lon", "longitude": "lon", "latitude": "lat", "time": "detected_at",
           "timestamp": "detected_at", "datetime": "detected_at", "date": "detected_at", "kind": "type",
           "incident_type": "type", "shots": "rounds", "block": "address", "incident_id": "id", "alert_id": "id"}


def _hint(name: str) -> str:
    key = name.strip().lower()
    guess = ALIASES.get(key) or (key if key in KNOWN else None)
    if guess is None:
        close = difflib.get_close_matches(key, sorted(KNOWN), n=1, cutoff=0.75)
        guess = close[0] if close else None
    return f"; did you mean {guess!r}?" if guess else "; vendor data goes in 'extra'"


def parse_gunshot(obj: Any, *, now: datetime | None = None) -> GunshotReport:
    """Validate one alert payload (decoded JSON) and build the report. Raises ValidationError naming every
    bad field; see the module docstring for the rules."""
    if not isinstance(obj, Mapping):
        raise ValidationError([FieldError("body", f"must be a JSON object, got {json_kind(obj)}")])
    errors: list[FieldError] = []
    for name in REQUIRED:
        if name not in obj or obj[name] is None:
            errors.append(FieldError(name, "required"))
    present = set(REQUIRED) - {e.field for e in errors}

    alert_id = ""
    if "id" in present:
        raw_id = obj["id"]
        if not isinstance(raw_id, str):
            errors.append(FieldError("id", f"must be a string, got {json_kind(raw_id)}"))
        elif not raw_id:
            errors.append(FieldError("id", "must not be empty"))
        elif len(raw_id) > MAX_ID_LENGTH:
            errors.append(FieldError("id", f"longer than {MAX_ID_LENGTH} characters"))
        elif not ID_PATTERN.fullmatch(raw_id):
            errors.append(FieldError("id", "use printable ASCII with no white space at either end"))
        else:
            alert_id = raw_id

    alert_type = ""
    if "type" in present:
        raw_type = obj["type"]
        if not isinstance(raw_type, str) or raw_type not in {t.value for t in GunshotType}:
            allowed = ", ".join(t.value for t in GunshotType)
            errors.append(FieldError("type", f"{raw_type!r} is not one of {allowed}"))
        else:
            alert_type = raw_type

    rounds: int | None = None
    if "rounds" in present:
        raw_rounds = obj["rounds"]
        if not _is_number(raw_rounds) or (isinstance(raw_rounds, float) and not raw_rounds.is_integer()):
            errors.append(FieldError("rounds", f"must be a whole number, got {json_kind(raw_rounds)} {raw_rounds!r}"))
        elif not 0 <= raw_rounds <= MAX_ROUNDS:
            errors.append(FieldError("rounds", f"{raw_rounds!r} is outside [0, {MAX_ROUNDS}]"))
        else:
            rounds = int(raw_rounds)

    lat = _coordinate(obj, "lat", 90, errors) if "lat" in present else None
    lon = _coordinate(obj, "lon", 180, errors) if "lon" in present else None

    detected_at = parse_time(obj["detected_at"], "detected_at", errors) if "detected_at" in present else None
    if detected_at is not None and now is not None and detected_at > now + MAX_FUTURE:
        ahead = detected_at - now
        errors.append(FieldError("detected_at", f"{obj['detected_at']} is {ahead} ahead of the hub's clock; "
                                 "check the sender's clock"))

    texts: dict[str, str] = {}
    for name, cap in TEXT_FIELDS.items():
        value = obj.get(name)
        if value is None:
            texts[name] = ""
        elif not isinstance(value, str):
            errors.append(FieldError(name, f"must be a string, got {json_kind(value)}"))
        elif len(value) > cap:
            errors.append(FieldError(name, f"longer than {cap} characters"))
        else:
            texts[name] = value.strip()

    status = obj.get("status")
    if status is not None and status not in FEED_STATUSES:
        errors.append(FieldError("status", f"{status!r} is not one of {', '.join(FEED_STATUSES)}"))
    extra = obj.get("extra")
    if extra is not None and not isinstance(extra, Mapping):
        errors.append(FieldError("extra", f"must be an object, got {json_kind(extra)}"))

    for name in sorted(str(k) for k in obj if k not in KNOWN):
        errors.append(FieldError(name, f"unknown field{_hint(name)}"))

    if errors:
        raise ValidationError(errors)
    assert lat is not None and lon is not None and detected_at is not None
    return GunshotReport(id=alert_id, type=alert_type, detected_at=detected_at, lat=lat, lon=lon, rounds=rounds,
                         address=texts["address"], beat=texts["beat"], district=texts["district"],
                         payload=dict(obj))


def report_as_payload(report: GunshotReport) -> dict[str, Any]:
    """A report as the JSON payload ``parse_gunshot`` reads back (the CSV importer and tests use it)."""
    out: dict[str, Any] = {
        "id": report.id, "type": report.type, "rounds": report.rounds, "lat": report.lat, "lon": report.lon,
        "detected_at": report.detected_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    for name in TEXT_FIELDS:
        if getattr(report, name):
            out[name] = getattr(report, name)
    return out


def alert_as_json(alert: Alert) -> dict[str, Any]:
    """An alert as the API and ``--json`` show it (stable shape: senders and scripts read it)."""
    return {
        "id": alert.id, "source": alert.source, "type": alert.type, "priority": alert.priority,
        "status": alert.status.value,
        "detected_at": alert.detected_at.isoformat(), "received_at": alert.received_at.isoformat(),
        "lat": alert.lat, "lon": alert.lon, "address": alert.address, "beat": alert.beat,
        "district": alert.district, "rounds": alert.rounds, "assigned_to": alert.assigned_to,
    }
