"""Speed-radar readings as devices send them: JSON (the hub endpoint, ``c4desk ingest radar``) and CSV.

**The unit is always stated**: a reading carries ``speed_kmh`` or ``speed_mph`` (exactly one); mph is converted
(1 mi = 1.609344 km) and c4desk stores km/h. A bare ``speed`` is refused: 30 means different things on each
side of the Atlantic, and a pilot's before/after must not silently mix them.

JSON, one reading (or an array of them; a request or file is stored all or nothing)::

    {"device": "radar-capitol-eb", "time": "2026-03-02T07:41:12Z", "speed_mph": 31.5, "lane": "1",
     "direction": "approaching", "heading_deg": 90, "distance_m": 42.0, "extra": {"firmware": "2.1"}}

* ``device``, ``time`` and one speed field are required; ``time`` is RFC 3339 with a zone (as the gunshot feed);
  with ``now`` given, a time more than 5 minutes ahead is refused (a device with a wrong clock).
* ``lane`` is text or a whole number (stored as text); ``direction`` is ``approaching``/``receding`` or a compass
  word (``n``, ``ne``, ..., ``northbound``, ...), any case.
* Unknown fields are refused, naming them; vendor data goes in ``extra`` (stored as sent).
* In an array, each error's field is prefixed with the reading's index: ``[3].speed_kmh``.

CSV: header row, columns ``device, time, speed_kmh`` or ``speed_mph`` (one of them in the header), and optional
``lane, direction, heading_deg, distance_m``. ``time`` is ISO 8601 with a zone. Errors read ``line N: field:
reason``.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.radar import MPH_TO_KMH, RadarReading
from c4desk.integrations.csv_records import csv_records
from c4desk.integrations.gunshot import json_kind, parse_time

SPEED_FIELDS = ("speed_kmh", "speed_mph")
REQUIRED = ("device", "time")
OPTIONAL = ("lane", "direction", "heading_deg", "distance_m", "extra")
KNOWN = frozenset((*REQUIRED, *SPEED_FIELDS, *OPTIONAL))
CSV_COLUMNS = ("device", "time", *SPEED_FIELDS, "lane", "direction", "heading_deg", "distance_m")
MAX_FUTURE = timedelta(minutes=5)
MAX_BATCH = 10_000
ALIASES = {"speed": "speed_kmh or speed_mph (state the unit)", "sensor": "device", "sensor_id": "device",
           "device_id": "device", "timestamp": "time", "read_at": "time", "detected_at": "time",
           "heading": "heading_deg", "distance": "distance_m", "kmh": "speed_kmh", "mph": "speed_mph"}


def _number(value: Any, name: str, errors: list[FieldError]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(FieldError(name, f"must be a number, got {json_kind(value)}"))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors.append(FieldError(name, "must be a finite number"))
        return None
    if abs(value) > 1e6:  # before float(): a huge int would overflow
        errors.append(FieldError(name, f"{value!r} is out of range"))
        return None
    return float(value)


def _hint(name: str) -> str:
    key = name.strip().lower()
    guess = ALIASES.get(key) or (key if key in KNOWN else None)
    if guess is None:
        close = difflib.get_close_matches(key, sorted(KNOWN), n=1, cutoff=0.75)
        guess = close[0] if close else None
    return f"; did you mean {guess}?" if guess else "; vendor data goes in 'extra'"


def _speed(obj: Mapping[str, Any], errors: list[FieldError]) -> float | None:
    """km/h from whichever speed field is present (exactly one must be)."""
    given = [name for name in SPEED_FIELDS if obj.get(name) is not None]
    if not given:
        errors.append(FieldError("speed_kmh", "required (or speed_mph): state the unit"))
        return None
    if len(given) > 1:
        errors.append(FieldError("speed_mph", "give speed_kmh or speed_mph, not both"))
        return None
    name = given[0]
    value = _number(obj[name], name, errors)
    if value is None:
        return None
    if value < 0:
        errors.append(FieldError(name, f"{value:g} is negative (direction goes in 'direction')"))
        return None
    return value * MPH_TO_KMH if name == "speed_mph" else value


def _text(value: Any, name: str, errors: list[FieldError], *, numbers: bool = False) -> str:
    if value is None:
        return ""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be a string{' or a whole number' if numbers else ''}, "
                                       f"got {json_kind(value)}"))
        return ""
    return value.strip()


def parse_reading(obj: Any, *, now: datetime | None = None) -> RadarReading:
    """Validate one reading (decoded JSON); raises ValidationError naming every bad field."""
    if not isinstance(obj, Mapping):
        raise ValidationError([FieldError("body", f"a reading must be a JSON object, got {json_kind(obj)}")])
    errors: list[FieldError] = []
    for name in REQUIRED:
        if obj.get(name) is None:
            errors.append(FieldError(name, "required"))
    device = _text(obj.get("device"), "device", errors)
    if isinstance(obj.get("device"), str) and not device:
        errors.append(FieldError("device", "must not be empty"))
    read_at = parse_time(obj["time"], "time", errors) if obj.get("time") is not None else None
    if read_at is not None and now is not None and read_at > now + MAX_FUTURE:
        errors.append(FieldError("time", f"{obj['time']} is {read_at - now} ahead of the hub's clock; check the "
                                         "device's clock"))
    speed = _speed(obj, errors)
    lane = _text(obj.get("lane"), "lane", errors, numbers=True)
    direction = _text(obj.get("direction"), "direction", errors).lower()
    heading = _number(obj["heading_deg"], "heading_deg", errors) if obj.get("heading_deg") is not None else None
    distance = _number(obj["distance_m"], "distance_m", errors) if obj.get("distance_m") is not None else None
    extra = obj.get("extra")
    if extra is not None and not isinstance(extra, Mapping):
        errors.append(FieldError("extra", f"must be an object, got {json_kind(extra)}"))
    for name in sorted(str(k) for k in obj if k not in KNOWN):
        errors.append(FieldError(name, f"unknown field{_hint(name)}"))
    if errors:
        raise ValidationError(errors)
    assert read_at is not None and speed is not None
    # The reading checks ranges (speed, heading, distance, direction words, lengths) and names the field.
    return RadarReading(sensor_id=device, read_at=read_at, speed_kmh=speed, lane=lane, direction=direction,
                        heading_deg=heading, distance_m=distance, payload=dict(obj))


def parse_readings(body: Any, *, now: datetime | None = None) -> list[RadarReading]:
    """One reading or an array of them; every bad reading is reported (``[i].field``), none returned then."""
    if not isinstance(body, list):
        return [parse_reading(body, now=now)]
    if not body:
        raise ValidationError([FieldError("body", "an empty array: send at least one reading")])
    if len(body) > MAX_BATCH:
        raise ValidationError([FieldError("body", f"{len(body)} readings; at most {MAX_BATCH} per request")])
    readings: list[RadarReading] = []
    errors: list[FieldError] = []
    for i, item in enumerate(body):
        try:
            readings.append(parse_reading(item, now=now))
        except ValidationError as exc:
            errors.extend(replace(e, field=f"[{i}].{e.field}") for e in exc.errors)
    if errors:
        raise ValidationError(errors)
    return readings


def check_devices(readings: list[RadarReading], known: Mapping[str, str], *, indexed: bool) -> None:
    """ValidationError for readings from devices no site lists (``[i].device`` when ``indexed``)."""
    errors = [FieldError(f"[{i}].device" if indexed else "device",
                         f"unknown radar device {r.sensor_id!r} (no radar site lists it)")
              for i, r in enumerate(readings) if r.sensor_id not in known]
    if errors:
        raise ValidationError(errors)


def reading_as_json(reading: RadarReading, *, site: str | None = None, colour: str | None = None
                    ) -> dict[str, Any]:
    return {"device": reading.sensor_id, "time": reading.read_at.astimezone(UTC).isoformat(),
            "speed_kmh": round(reading.speed_kmh, 3), "lane": reading.lane, "direction": reading.direction,
            "site": site, "colour": colour}


# --- CSV -----------------------------------------------------------------------------------------------------


@dataclass
class RadarCsv:
    readings: list[RadarReading] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def _csv_number(raw: dict[str, str], name: str, errors: list[FieldError]) -> float | None:
    text = raw.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(FieldError(name, f"{text!r} is not a number"))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(name, "must be a finite number"))
        return None
    return value


def _csv_reading(raw: dict[str, str], unit_column: str) -> RadarReading:
    errors: list[FieldError] = []
    device = raw.get("device", "").strip()
    if not device:
        errors.append(FieldError("device", "required"))
    read_at = None
    text = raw.get("time", "").strip()
    if not text:
        errors.append(FieldError("time", "required"))
    else:
        try:
            read_at = datetime.fromisoformat(text)
        except ValueError:
            errors.append(FieldError("time", f"{text!r} is not an ISO 8601 time"))
        else:
            if read_at.utcoffset() is None:
                errors.append(FieldError("time", f"{text!r} has no time zone: add Z or an offset"))
                read_at = None
    speed = _csv_number(raw, unit_column, errors)
    if speed is None and not any(e.field == unit_column for e in errors):
        errors.append(FieldError(unit_column, "required"))
    elif speed is not None and speed < 0:
        errors.append(FieldError(unit_column, f"{speed:g} is negative"))
    heading = _csv_number(raw, "heading_deg", errors)
    distance = _csv_number(raw, "distance_m", errors)
    if errors:
        raise ValidationError(errors)
    assert read_at is not None and speed is not None
    kmh = speed * MPH_TO_KMH if unit_column == "speed_mph" else speed
    return RadarReading(sensor_id=device, read_at=read_at.astimezone(UTC), speed_kmh=kmh,
                        lane=raw.get("lane", "").strip(), direction=raw.get("direction", "").strip().lower(),
                        heading_deg=heading, distance_m=distance)


def parse_radar_csv(text: str) -> RadarCsv:
    """Parse a whole CSV text; problems are returned in ``errors``, never raised."""
    out = RadarCsv()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        out.errors.append(FieldError("header", "empty file; expected device, time, speed_kmh or speed_mph, ...", 1))
        return out
    names = [h.strip().lower() for h in header]
    unknown = [h.strip() for h, n in zip(header, names, strict=True) if n and n not in CSV_COLUMNS]
    units = [n for n in names if n in SPEED_FIELDS]
    if unknown:
        out.errors.append(FieldError("header", f"unknown column(s) {', '.join(unknown)}; known: "
                                               f"{', '.join(CSV_COLUMNS)}", 1))
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        out.errors.append(FieldError("header", f"missing column(s) {', '.join(missing)}", 1))
    if len(units) != 1:
        out.errors.append(FieldError("header", "exactly one of speed_kmh or speed_mph: the unit must be stated", 1))
    if out.errors:
        return out
    for line, raw in csv_records(reader, names, out.errors):
        if raw is None:
            continue
        try:
            out.readings.append(_csv_reading(raw, units[0]))
        except ValidationError as exc:
            out.errors.extend(replace(e, line=line) for e in exc.errors)
    return out
