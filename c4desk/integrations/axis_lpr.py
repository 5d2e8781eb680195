"""AXIS License Plate Verifier events (HTTP push JSON): validate, resolve the camera, keep one read per passage.

The reader reports a car several times under one ``carID``: ``new`` at first sight, ``update`` when the plate
text, direction or zone changes, ``lost`` once the car has gone. Those reports update one stored read (see
``PlateReadRepository.record_passage``). Every bad field is reported at once; an unknown camera serial is an
error (the sender must be told), never a silent drop. Images are saved content-addressed (``<sha256>.<ext>``)
under the media directory, only after the whole event validated, and only their reference goes in the database.
See resources/schemas/axis-lpr-event.schema.json for the accepted payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from c4desk.domain.camera import Camera
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.plate_match import MAX_PLATE_LENGTH
from c4desk.domain.plates import LprRead, normalise_plate
from c4desk.store.cameras import CameraRepository
from c4desk.store.plate_reads import PASSAGE_WINDOW, PlateReadRepository

CAR_STATES = {"new": "new", "update": "update", "updated": "update", "lost": "lost"}
DIRECTIONS = {"in": "in", "out": "out", "unk": "", "unknown": "", "": ""}
SERIAL_FIELD = "camera_info.SerialNumber"
_IMAGE_KINDS = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"BM": "bmp"}
_AXIS_TIME = re.compile(r"^(\d{8} \d{6})(\d{3})?\s*([+-]\d{4})?$")  # "20260704 211503123+0200"


@dataclass(frozen=True, kw_only=True)
class AxisLprEvent:
    car_id: str
    car_state: str
    plate_text: str  # as read; may be empty on update/lost (the passage keeps its plate)
    region: str
    confidence: float | None
    direction: str
    captured_at: datetime
    serial: str
    plate_image: bytes | None = None
    vehicle_image: bytes | None = None


def _text(obj: dict[str, Any], key: str, errors: list[FieldError], *, limit: int = 64, name: str = "") -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append(FieldError(name or key, "must be a string"))
        return ""
    text = str(value).strip()
    if len(text) > limit:
        errors.append(FieldError(name or key, f"longer than {limit} characters"))
    return text


def _time(obj: dict[str, Any], errors: list[FieldError]) -> datetime | None:
    name = "capture_timestamp" if obj.get("capture_timestamp") is not None else "datetime"
    value = obj.get(name)
    if value is None:
        errors.append(FieldError("capture_timestamp", "required: ISO 8601 with a zone, or epoch milliseconds"))
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            at = datetime.fromtimestamp(value / 1000, UTC)
        elif isinstance(value, str) and (m := _AXIS_TIME.match(value.strip())):
            at = datetime.strptime(f"{m[1]}{m[2] or '000'}{m[3] or ''}", "%Y%m%d %H%M%S%f%z" if m[3] else
                                   "%Y%m%d %H%M%S%f")
        elif isinstance(value, str):
            at = datetime.fromisoformat(value.strip())
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError):
        errors.append(FieldError(name, f"{value!r} is not an ISO 8601 time or epoch milliseconds"))
        return None
    if at.utcoffset() is None:
        errors.append(FieldError(name, f"{value!r} has no time zone; send UTC ('Z') or an offset"))
        return None
    if not 2000 <= at.astimezone(UTC).year <= 2100:
        errors.append(FieldError(name, f"{value!r} is not a plausible capture time"))
        return None
    return at


def _confidence(obj: dict[str, Any], errors: list[FieldError]) -> float | None:
    value = obj.get("plateConfidence")
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        conf = float(value)
    except (TypeError, ValueError):
        errors.append(FieldError("plateConfidence", f"{value!r} is not a number"))
        return None
    if not (math.isfinite(conf) and 0.0 <= conf <= 1.0):
        errors.append(FieldError("plateConfidence", f"{value!r} is outside [0, 1]"))
        return None
    return conf


def _image(obj: dict[str, Any], name: str, errors: list[FieldError]) -> bytes | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, "must be a base64 string"))
        return None
    data = value.split(",", 1)[1] if value.startswith("data:") else value  # a data: URI is accepted too
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        errors.append(FieldError(name, "not valid base64"))
        return None
    if image_suffix(raw) is None:
        errors.append(FieldError(name, "not a JPEG, PNG or BMP image"))
        return None
    return raw


def image_suffix(data: bytes) -> str | None:
    return next((ext for magic, ext in _IMAGE_KINDS.items() if data.startswith(magic)), None)


def parse_axis_event(obj: Any) -> AxisLprEvent:
    """Validate one event; raises ValidationError listing every bad field."""
    if not isinstance(obj, dict):
        raise ValidationError([FieldError("body", "expected one JSON object (an LPR event)")])
    errors: list[FieldError] = []
    car_id = _text(obj, "carID", errors)
    if not car_id:
        errors.append(FieldError("carID", "required"))
    raw_state = _text(obj, "carState", errors).lower()
    state = CAR_STATES.get(raw_state, "")
    if not state:
        errors.append(FieldError("carState", f"{raw_state!r} is not one of new, update, lost"))
    plate = next((_text(obj, k, errors) for k in ("plateText", "plateUTF8", "plateUnicode") if obj.get(k)), "")
    norm = normalise_plate(plate)
    if not norm and state == "new":
        errors.append(FieldError("plateText", "required for a new car"))
    elif len(plate) > MAX_PLATE_LENGTH:
        errors.append(FieldError("plateText", f"longer than {MAX_PLATE_LENGTH} characters"))
    elif not all(c.isalnum() for c in norm):
        errors.append(FieldError("plateText", f"{plate!r}: only letters and digits (and spaces, dashes, dots)"))
    region = (_text(obj, "plateRegion", errors, limit=16) or _text(obj, "plateCountry", errors, limit=16)).upper()
    direction_text = _text(obj, "carMoveDirection", errors).lower()
    if direction_text not in DIRECTIONS:
        errors.append(FieldError("carMoveDirection", f"{direction_text!r} is not one of in, out, unk"))
    info = obj.get("camera_info")
    serial = _text(info, "SerialNumber", errors, limit=128, name=SERIAL_FIELD) if isinstance(info, dict) else ""
    if not serial:
        errors.append(FieldError(SERIAL_FIELD, "required (the camera's serial number)"))
    confidence = _confidence(obj, errors)
    at = _time(obj, errors)
    images = {name: _image(obj, name, errors) for name in ("plateImage", "vehicleImage")}
    if errors:
        raise ValidationError(errors)
    assert at is not None
    return AxisLprEvent(car_id=car_id, car_state=state, plate_text=plate, region=region, confidence=confidence,
                        direction=DIRECTIONS[direction_text], captured_at=at, serial=serial,
                        plate_image=images["plateImage"], vehicle_image=images["vehicleImage"])


def save_image(media_dir: Path, data: bytes) -> str:
    """Store ``data`` as ``<sha256>.<ext>`` (the same image twice is one file); returns that file name."""
    ext = image_suffix(data) or "bin"
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    target = media_dir / name
    if not target.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{name}.{uuid.uuid4().hex}.part")  # hub threads may save it at once
        partial.write_bytes(data)
        os.replace(partial, target)  # atomic: a reader never sees half an image
    return name


class AxisLprIngest:
    """Turns Axis events into stored reads: camera by serial, images on disk, one read per car passage."""

    def __init__(self, cameras: CameraRepository, reads: PlateReadRepository, media_dir: Path, *,
                 window: timedelta = PASSAGE_WINDOW) -> None:
        self._cameras = cameras
        self._reads = reads
        self.media_dir = media_dir
        self._window = window

    def validate(self, obj: Any) -> tuple[AxisLprEvent, Camera]:
        """The event and its camera; raises ValidationError with every problem, unknown serial included."""
        errors: list[FieldError] = []
        event: AxisLprEvent | None = None
        try:
            event = parse_axis_event(obj)
        except ValidationError as exc:
            errors = list(exc.errors)
        serial = event.serial if event else _loose_serial(obj)
        camera = self._cameras.by_serial(serial) if serial else None
        if serial and camera is None:
            errors.append(FieldError(SERIAL_FIELD, f"unknown serial {serial!r}: no camera has it (import the site "
                                                   "file, or set the camera's serial)"))
        if errors or event is None or camera is None:
            raise ValidationError(errors)
        return event, camera

    def ingest(self, obj: Any) -> tuple[LprRead, bool]:
        """Store or update the passage's read; returns (read, created). Raises ValidationError, storing nothing."""
        event, camera = self.validate(obj)
        plate = event.plate_text
        if not normalise_plate(plate):
            known = self._reads.find_passage(camera.id, event.car_id, event.captured_at, window=self._window)
            if known is None:
                raise ValidationError([FieldError("plateText", f"required: no earlier read of car {event.car_id} "
                                                               "on this camera to update")])
            plate = known.plate_raw
        read = LprRead(
            camera_id=camera.id, plate_raw=plate, read_at=event.captured_at, region=event.region,
            confidence=event.confidence, direction=event.direction, car_id=event.car_id,
            plate_image_ref=save_image(self.media_dir, event.plate_image) if event.plate_image else "",
            vehicle_image_ref=save_image(self.media_dir, event.vehicle_image) if event.vehicle_image else "",
        )
        return self._reads.record_passage(read, window=self._window)


def _loose_serial(obj: Any) -> str:
    """The serial of an event that failed validation, so an unknown camera is reported alongside."""
    info = obj.get("camera_info") if isinstance(obj, dict) else None
    serial = info.get("SerialNumber") if isinstance(info, dict) else None
    return serial.strip() if isinstance(serial, str) else ""
