"""A small real world for the export tests: a SQLite database, two cameras with real recorded TS segments, a case
with one approved and one pending clip, and one still (a real PNG) attached to the case."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor, Role
from c4desk.evidence.export import ExportSources
from c4desk.hub.evidence_sources import export_sources
from c4desk.hub.services import Services
from c4desk.store.cases import Case
from c4desk.store.clips import Clip
from c4desk.store.db import sqlite_url
from c4desk.store.snapshots import Snapshot, SnapshotRepository
from tests.evidence.segments import RecordedFile, record_into

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws-ana")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, workstation="ws-sam")
WALL = Actor("wally", Role.WALL_OPERATOR, workstation="wall")
CASE = "26-0412"
NOTE = "<script>alert('x')</script> car & driver"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class World:
    root: Path
    url: str
    services: Services
    case: Case
    approved: Clip
    pending: Clip
    still: Snapshot
    snapshots_dir: Path

    @property
    def recordings_root(self) -> Path:
        return self.root / "rec"


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def sources_for(services: Services, snapshots_dir: Path) -> ExportSources:
    """The workstation's own wiring (the CLI and the UI use it too), so the tests export what users export."""
    return export_sources(services, snapshots_dir)


def build_world(root: Path, recorded: list[RecordedFile]) -> World:
    root.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(root / "c4desk.sqlite")
    services = Services.open(url, recordings_root=root / "rec")
    services.cameras.upsert_many([
        Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675, extra={"clock_offset_s": "-0.4"}),
        Camera(id="cam02", name="Park & Broad", lat=41.757, lon=-72.690)])
    record_into(services.recordings, "cam01", recorded)
    record_into(services.recordings, "cam02", recorded)
    case = services.cases.create(ANALYST, CASE, "shooting", title="Shots <fired> on Main", lead="Det. Ruiz",
                                 opened_at=at(-60))
    approved = services.clips.tag(ANALYST, "cam01", at(2.5), at(6.5), ["vehicle", "getaway"], NOTE, case=CASE)
    services.clips.submit(ANALYST, approved.id)
    approved = services.clips.review(SUPERVISOR, approved.id, approve=True, comment="plate readable")
    pending = services.clips.tag(ANALYST, "cam02", at(1.0), at(3.0), ["witness"], case=CASE)
    pending = services.clips.submit(ANALYST, pending.id)
    snapshots_dir = root / "snapshots"
    still = SnapshotRepository(services.db, snapshots_dir).save(ANALYST, png(), camera_id="cam01", width=64,
                                                                 height=48, taken_at=at(3.0),
                                                                 camera_name="Main & Asylum")
    services.cases.link(ANALYST, CASE, "snapshot", still.id)
    return World(root, url, services, case, approved, pending, still, snapshots_dir)
