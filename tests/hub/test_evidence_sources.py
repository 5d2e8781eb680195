"""The export's wiring shared by ``c4desk evidence export`` and the UI's export dialog: the Services' own
repositories, the stills of the given folder (or none) and the real stream-copy cutter with its error types.
(Full exports through this wiring run in tests/evidence, tests/cli and tests/ui/cases.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.evidence_sources import export_sources
from c4desk.hub.services import Services
from c4desk.media.clip_cut import CutCancelled, CutError, cut_clip
from c4desk.store.db import sqlite_url
from c4desk.store.snapshots import SnapshotRepository
from tests.evidence.world import png

ANALYST = Actor("ana", Role.ANALYST, workstation="ws-ana")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    s = Services.open(sqlite_url(tmp_path / "c4desk.sqlite"), recordings_root=tmp_path / "rec")
    try:
        yield s
    finally:
        s.close()


def test_sources_use_the_services_repositories_and_the_real_cutter(services: Services, tmp_path: Path) -> None:
    sources = export_sources(services, tmp_path / "snapshots")
    assert sources.cases is services.cases
    assert sources.clips is services.clips
    assert sources.cameras is services.cameras
    assert sources.recordings is services.recordings
    assert sources.cutter is cut_clip
    assert sources.cut_errors == (CutError,)
    assert sources.cancelled_errors == (CutCancelled,)


def test_stills_come_from_the_given_folder(services: Services, tmp_path: Path) -> None:
    services.cameras.upsert_many([Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675)])
    case = services.cases.create(ANALYST, "26-0412", "shooting")
    folder = tmp_path / "snapshots"
    still = SnapshotRepository(services.db, folder).save(ANALYST, png(), camera_id="cam01", width=64,
                                                         height=48, taken_at=datetime(2026, 7, 4, 21, tzinfo=UTC))
    services.cases.link(ANALYST, "26-0412", "snapshot", still.id)

    stills = export_sources(services, folder).stills
    assert stills is not None
    assert [s.id for s in stills.for_case(case.id)] == [still.id]
    assert isinstance(stills, SnapshotRepository) and stills.directory == folder


def test_no_stills_folder_means_no_stills(services: Services) -> None:
    assert export_sources(services, None).stills is None
