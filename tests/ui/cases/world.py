"""A small real world for the case and review GUI tests: a temp SQLite database with two cameras whose recorder
index points at real H.264 MPEG-TS segments (rendered by ffmpeg from lavfi testsrc, tests/evidence/segments.py),
a gunshot alert, a hop trail and a plate read. People are Actors made directly (the services check roles, not
passwords)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from c4desk.domain.alerts import GunshotReport
from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from tests.evidence.segments import RecordedFile, record_into

# Recent, so the UI's default windows ("last hour") and the alert list include it; whole seconds for the edits.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, "ws-sam")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")
ALERT_ID = "SST-2607"
PLATE = "6PZ193"
CAMERAS = (Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675),
           Camera(id="cam02", name="Park & Broad", lat=41.757, lon=-72.690),
           Camera(id="lpr01", name="Capitol Ave LPR", lat=41.762, lon=-72.682))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class World:
    services: Services
    data_dir: Path
    trail_id: int
    read_id: int

    @property
    def stills_dir(self) -> Path:
        return self.data_dir / "media" / "snapshots"


def build_world(services: Services, data_dir: Path, recorded: list[RecordedFile]) -> World:
    services.cameras.upsert_many(list(CAMERAS))
    record_into(services.recordings, "cam01", recorded)
    record_into(services.recordings, "cam02", recorded)
    services.alerts.add_or_update_gunshot(GunshotReport(
        id=ALERT_ID, type="multiple_gunshots", rounds=4, lat=41.764, lon=-72.674, detected_at=at(3),
        address="Main St & Pearl St", beat="B-07", district="Downtown"))
    trail_id = services.trails.start(ANALYST, plate=PLATE, label="Grey sedan northbound")
    services.trails.hop(ANALYST, trail_id, "cam01", at(2))
    services.trails.hop(ANALYST, trail_id, "cam02", at(7))
    read = services.plate_reads.add(LprRead(camera_id="lpr01", plate_raw=PLATE, read_at=at(9), region="CT",
                                            confidence=0.94))
    assert read.id is not None
    return World(services, data_dir, trail_id, read.id)


def shoot(widget: QWidget, name: str) -> Path:
    """Save what the widget shows to /tmp/caseui-NAME.png (looked at by a person, not compared)."""
    path = Path(f"/tmp/caseui-{name}.png")
    QApplication.processEvents()  # pending layout (a label that grew) before the picture is taken
    assert widget.grab().save(str(path)), path
    return path
