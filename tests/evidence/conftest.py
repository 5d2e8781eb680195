"""Evidence fixtures: segments rendered once per session, a fresh world (database, recordings, case) per test, and
the centre's signing key kept in that world's data directory (a null keyring in tests: the owner-only file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from c4desk.config import EvidenceSettings
from c4desk.evidence.export import ExportResult, export_case
from c4desk.evidence.signing import CentreKey, centre_key
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
def centre(world: World) -> CentreKey:
    """The centre's signing key, made on first use in the world's data directory (beside its database)."""
    return centre_key(world.root)


@pytest.fixture
def package(world: World, centre: CentreKey, tmp_path: Path) -> Path:
    """A finished, signed package of the world's case (approved clip and still)."""
    result: ExportResult = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE,
                                       tmp_path / "out" / "pkg", EvidenceSettings(), signer=centre)
    return result.package


@pytest.fixture
def unsigned_package(world: World, tmp_path: Path) -> Path:
    """The same package as an export without a signer writes it (as before packages were signed)."""
    result: ExportResult = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE,
                                       tmp_path / "out" / "unsigned", EvidenceSettings())
    return result.package
