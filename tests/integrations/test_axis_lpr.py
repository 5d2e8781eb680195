"""Axis License Plate Verifier events: field validation, time formats, one read per passage, images on disk.

The events are crafted after AXIS/FF Group's published push-event fields (no real reader exists here).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import PlateRead
from c4desk.integrations.axis_lpr import AxisLprIngest, parse_axis_event
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.plate_reads import PlateReadRepository
from tests.store import conftest as store_fixtures

# The database fixtures (SQLite and PostgreSQL) of the store tests.
bus, db, db_url, postgres_url, sqlite_db_url = (store_fixtures.bus, store_fixtures.db, store_fixtures.db_url,
                                                 store_fixtures.postgres_url, store_fixtures.sqlite_db_url)

REPO = Path(__file__).resolve().parents[2]
JPEG = b"\xff\xd8\xff\xe0" + b"plate-crop" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"vehicle" * 20
T0 = datetime(2026, 7, 4, 21, 15, 3, 123000, tzinfo=UTC)


def event(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "packetCounter": 7, "carID": 4411, "carState": "new", "plateText": "6PZ-193", "plateRegion": "ct",
        "plateCountry": "USA", "plateConfidence": 0.91, "carMoveDirection": "unk",
        "capture_timestamp": "2026-07-04T21:15:03.123Z", "camera_info": {"SerialNumber": "ACCC8E000001"},
        "plateImage": base64.b64encode(JPEG).decode(),
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_parse_a_full_event() -> None:
    e = parse_axis_event(event(vehicleImage="data:image/png;base64," + base64.b64encode(PNG).decode()))
    assert (e.car_id, e.car_state, e.plate_text, e.region, e.confidence, e.direction, e.captured_at, e.serial) == (
        "4411", "new", "6PZ-193", "CT", 0.91, "", T0, "ACCC8E000001")
    assert e.plate_image == JPEG and e.vehicle_image == PNG


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2026-07-04T23:15:03.123+02:00", T0),
    (int(T0.timestamp() * 1000), T0),
    ("20260704 231503123+0200", T0),
])
def test_capture_time_forms(stamp: object, expected: datetime) -> None:
    over = {"capture_timestamp": None, "datetime": stamp} if isinstance(stamp, str) and " " in stamp else {
        "capture_timestamp": stamp}
    assert parse_axis_event(event(**over)).captured_at == expected


def test_every_bad_field_is_reported() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_axis_event(event(carID=None, carState="parked", plateConfidence=1.5, carMoveDirection="left",
                               capture_timestamp="2026-07-04T21:15:03", plateImage="%%%",
                               vehicleImage=base64.b64encode(b"GIF89a").decode(), camera_info={}))
    assert sorted(str(e) for e in exc.value.errors) == [
        "camera_info.SerialNumber: required (the camera's serial number)",
        "capture_timestamp: '2026-07-04T21:15:03' has no time zone; send UTC ('Z') or an offset",
        "carID: required",
        "carMoveDirection: 'left' is not one of in, out, unk",
        "carState: 'parked' is not one of new, update, lost",
        "plateConfidence: 1.5 is outside [0, 1]",
        "plateImage: not valid base64",
        "vehicleImage: not a JPEG, PNG or BMP image",
    ]


@pytest.mark.parametrize(("over", "message"), [
    ({"plateText": ""}, "plateText: required for a new car"),
    ({"plateText": "AB#12"}, "only letters and digits"),
    ({"plateText": "X" * 40}, "longer than 32"),
    ({"capture_timestamp": None}, "capture_timestamp: required"),
    ({"capture_timestamp": "yesterday"}, "not an ISO 8601 time"),
    ({"capture_timestamp": "1970-01-01T00:00:00Z"}, "not a plausible capture time"),
    ({"plateConfidence": True}, "is not a number"),
    ({"camera_info": {"SerialNumber": 12.5}}, "camera_info.SerialNumber: must be a string"),
])
def test_single_bad_fields(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_axis_event(event(**over))


def test_not_an_object() -> None:
    with pytest.raises(ValidationError, match="body: expected one JSON object"):
        parse_axis_event([event()])


@pytest.fixture
def ingest(db: Database, bus: EventBus, tmp_path: Path) -> AxisLprIngest:
    CameraRepository(db).upsert_many([Camera(id="lpr-1", name="Asylum & Main", lat=41.7, lon=-72.6,
                                             kind=CameraKind.LPR, serial="ACCC8E000001")])
    return AxisLprIngest(CameraRepository(db), PlateReadRepository(db, bus), tmp_path / "media")


def test_one_read_per_passage(ingest: AxisLprIngest, bus: EventBus, db: Database) -> None:
    published: list[PlateRead] = []
    bus.subscribe(PlateRead, published.append)
    first, created = ingest.ingest(event())
    assert created and first.plate_norm == "6PZ193" and first.direction == ""
    later = T0 + timedelta(seconds=2)
    second, created2 = ingest.ingest(event(carState="UPDATE", plateText="6PZ-198", plateConfidence=0.97,
                                           carMoveDirection="in", plateImage=None,
                                           capture_timestamp=later.isoformat()))
    third, created3 = ingest.ingest(event(carState="lost", plateText="", plateConfidence=None, plateImage=None,
                                          capture_timestamp=(T0 + timedelta(seconds=12)).isoformat()))
    assert (created2, created3) == (False, False)
    assert first.id == second.id == third.id
    assert (third.plate_raw, third.confidence, third.direction, third.read_at) == ("6PZ-198", 0.97, "in", T0)
    assert third.plate_image_ref == first.plate_image_ref != ""
    assert [p.read.id for p in published] == [first.id] * 3
    assert PlateReadRepository(db).count() == 1


def test_other_car_or_much_later_is_a_new_read(ingest: AxisLprIngest, db: Database) -> None:
    ingest.ingest(event())
    assert ingest.ingest(event(carID=4412))[1]
    assert ingest.ingest(event(capture_timestamp=(T0 + timedelta(minutes=6)).isoformat()))[1]
    assert PlateReadRepository(db).count() == 3


def test_lost_without_a_passage_or_plate_is_refused(ingest: AxisLprIngest) -> None:
    with pytest.raises(ValidationError, match="no earlier read of car 4411"):
        ingest.ingest(event(carState="lost", plateText=""))


def test_unknown_serial_is_an_error_with_the_others(ingest: AxisLprIngest, db: Database) -> None:
    with pytest.raises(ValidationError) as exc:
        ingest.ingest(event(camera_info={"SerialNumber": "NOPE"}, carMoveDirection="sideways"))
    assert [e.field for e in exc.value.errors] == ["carMoveDirection", "camera_info.SerialNumber"]
    assert "unknown serial 'NOPE'" in str(exc.value)
    assert PlateReadRepository(db).count() == 0
    assert not ingest.media_dir.exists()  # nothing stored, not even the image


def test_images_are_content_addressed(ingest: AxisLprIngest) -> None:
    read, _ = ingest.ingest(event(vehicleImage=base64.b64encode(PNG).decode()))
    other, _ = ingest.ingest(event(carID=9, plateText="XYZ123"))
    assert read.plate_image_ref == other.plate_image_ref == f"{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert read.vehicle_image_ref == f"{hashlib.sha256(PNG).hexdigest()}.png"
    assert (ingest.media_dir / read.plate_image_ref).read_bytes() == JPEG
    assert sorted(p.name for p in ingest.media_dir.iterdir()) == sorted([read.plate_image_ref,
                                                                         read.vehicle_image_ref])


def test_schema_documents_every_member_the_parser_reads() -> None:
    schema = json.loads((REPO / "resources" / "schemas" / "axis-lpr-event.schema.json").read_text())
    source = (REPO / "c4desk" / "integrations" / "axis_lpr.py").read_text()
    for name in schema["properties"]:
        assert f'"{name}"' in source, name
    for name in ("carID", "carState", "plateText", "plateRegion", "plateCountry", "plateConfidence",
                 "carMoveDirection", "capture_timestamp", "datetime", "camera_info", "plateImage", "vehicleImage"):
        assert name in schema["properties"], name
    assert schema["properties"]["camera_info"]["required"] == ["SerialNumber"]
