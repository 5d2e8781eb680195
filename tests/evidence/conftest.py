"""Evidence fixtures: segments rendered once per session, a fresh world (database, recordings, case) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from c4desk.config import EvidenceSettings
from c4desk.evidence.export import ExportResult, export_case
from tests.evidence.segments import RecordedFile, describe, render_segments
from tests.evidence.world import ANALYST, CASE, T0, World, build_world, sources_for


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedFile]:
    """Twelve seconds of camera-like H.264 in three 4-second TS segments."""
    return describe(render_segments(tmp_path_factory.mktemp("rendered"), 12, 4), T0)


@pytest.fixture
def world(tmp_path: Path, rendered: list[RecordedFile]) -> Iterator[World]:
    w = build_world(tmp_path / "world", rendered)
    try:
        yield w
    finally:
        w.services.close()


@pytest.fixture
def package(world: World, tmp_path: Path) -> Path:
    """A finished package of the world's case (approved clip and still)."""
    result: ExportResult = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE,
                                       tmp_path / "out" / "pkg", EvidenceSettings())
    return result.package
