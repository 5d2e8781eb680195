"""Evidence export from the UI on real recordings: progress while the package is written, the verify verdict,
Cancel leaving nothing at the destination (and a rerun then succeeding), closing mid-export, roles.

To look at an export that is really in progress, the real stream-copy cutter is wrapped so that it holds at its
first progress report until the test lets it go (``GatedCutter``); nothing of the export itself is replaced.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from c4desk.config import EvidenceSettings
from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import PermissionDenied
from c4desk.evidence.export import ExportSources, export_case
from c4desk.evidence.verify import check_package
from c4desk.hub.evidence_sources import export_sources
from c4desk.media.clip_cut import CutResult, cut_clip
from c4desk.store.snapshots import SnapshotRepository
from c4desk.ui.cases import CaseDetail, EvidenceContext, ExportDialog
from c4desk.ui.cases.export_dialog import STEPS
from tests.evidence.world import png
from tests.ui.cases.world import ANALYST, SUPERVISOR, WALL, World, at, shoot

NUMBER = "26-0412"


class GatedCutter:
    """``cut_clip`` that stops at its first report of real progress until ``release`` is set."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, segments: Sequence[Any], start: datetime, end: datetime, native: Path, *,
                 mp4: Path | None = None, progress: Callable[[float], None] | None = None,
                 cancel: Any = None) -> CutResult:
        def step(fraction: float) -> None:
            if progress is not None:
                progress(fraction)
            if fraction > 0 and not self.reached.is_set():
                self.reached.set()
                assert self.release.wait(20), "the test never released the export"

        return cut_clip(segments, start, end, native, mp4=mp4, progress=step, cancel=cancel)


def reviewed_case(world: World) -> None:
    """The demo's case: one approved clip, one rejected, a still."""
    clips = world.services.clips
    world.services.cases.create(ANALYST, NUMBER, "shooting", title="Shots fired, Main St & Pearl St")
    good = clips.submit(ANALYST, clips.tag(ANALYST, "cam01", at(1), at(5.5), ["vehicle"], case=NUMBER).id)
    bad = clips.submit(ANALYST, clips.tag(ANALYST, "cam02", at(2), at(6), ["witness"], case=NUMBER).id)
    clips.review(SUPERVISOR, good.id, approve=True, comment="Plate readable")
    clips.review(SUPERVISOR, bad.id, approve=False, comment="Wrong camera")
    still = SnapshotRepository(world.services.db, world.stills_dir).save(
        ANALYST, png(), camera_id="cam01", width=64, height=48, taken_at=at(3), camera_name="Main & Asylum")
    world.services.cases.link(ANALYST, NUMBER, "snapshot", still.id)


def context(world: World, tmp_path: Path, **settings: bool) -> EvidenceContext:
    return EvidenceContext(exports_dir=tmp_path / "exports", stills_dir=world.stills_dir,
                           settings=EvidenceSettings(**settings))


def dialog_for(qtbot: QtBot, world: World, ctx: EvidenceContext, cutter: GatedCutter | None = None,
               actor: object = ANALYST) -> ExportDialog:
    sources: ExportSources = export_sources(world.services, ctx.stills_dir)
    if cutter is not None:
        sources = replace(sources, cutter=cutter)
    dialog = ExportDialog(world.services, actor, NUMBER, ctx, sources=sources)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "will be exported" in dialog.plan.text() or dialog.plan.text().startswith("Not"),
                    timeout=5000)
    return dialog


def test_export_shows_progress_and_verifies(qtbot: QtBot, world: World, tmp_path: Path, dark: None) -> None:
    reviewed_case(world)
    cutter = GatedCutter()
    dialog = dialog_for(qtbot, world, context(world, tmp_path), cutter)
    assert dialog.plan.text() == ("1 clip(s) will be exported (approved by a supervisor), 1 still(s). "
                                  "Left out: clip 2 (rejected).")
    destination = Path(dialog.destination.text())
    assert destination.parent == tmp_path / "exports" and destination.name.startswith("26-0412_")
    dialog.export_button.click()
    assert cutter.reached.wait(20)
    qtbot.waitUntil(lambda: 0 < dialog.progress.value() < STEPS, timeout=5000)
    assert dialog.message.text() == "clip 1" and dialog.cancel_button.isEnabled()
    assert not dialog.export_button.isEnabled() and dialog.destination.isReadOnly()
    assert not destination.exists()  # built in a hidden folder beside it, renamed at the end
    shoot(dialog, "export-progress")
    cutter.release.set()
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        pass
    outcome = dialog.outcome
    assert outcome is not None and outcome.verification.ok
    assert dialog.progress.value() == STEPS and not dialog.cancel_button.isEnabled()
    text = dialog.report.toPlainText()
    assert f"Package: {destination}" in text
    assert f"Manifest SHA-256: {outcome.result.manifest_sha256}" in text
    assert "Left out clip 2: rejected: not approved by a supervisor" in text
    assert f"Verify: OK - all {outcome.verification.files_checked} files match the manifest" in text
    assert outcome.result.clips == (1,) and len(outcome.result.stills) == 1
    assert check_package(destination, outcome.result.manifest_sha256).ok  # what `c4desk evidence verify` runs
    assert [e.manifest_sha256 for e in world.services.cases.exports(NUMBER)] == [outcome.result.manifest_sha256]
    assert sorted(p.name for p in destination.parent.iterdir()) == [destination.name]
    shoot(dialog, "export-done")


def test_cancel_leaves_nothing_and_a_rerun_succeeds(qtbot: QtBot, world: World, tmp_path: Path,
                                                    dark: None) -> None:
    reviewed_case(world)
    cutter = GatedCutter()
    ctx = context(world, tmp_path)
    dialog = dialog_for(qtbot, world, ctx, cutter)
    destination = Path(dialog.destination.text())
    dialog.export_button.click()
    assert cutter.reached.wait(20)
    assert any(p.name.startswith(f".{destination.name}.partial-") for p in destination.parent.iterdir())
    dialog.cancel_button.click()
    assert not dialog.cancel_button.isEnabled()  # once is enough
    cutter.release.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert dialog.status.text() == f"Export cancelled; nothing was written to {destination}"
    assert dialog.outcome is None and dialog.progress.value() == 0
    assert list(destination.parent.iterdir()) == []  # no package, no partial folder
    assert world.services.cases.exports(NUMBER) == []
    failures = world.services.audit.query(SUPERVISOR, event_type=AuditType.EXPORT, object_contains=NUMBER)
    assert [(r.outcome, r.detail.get("cancelled")) for r in failures] == [("failure", True)]
    shoot(dialog, "export-cancelled")

    assert dialog.export_button.isEnabled()  # the same dialog, the same folder: this time to the end
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    assert dialog.outcome is not None and dialog.outcome.verification.ok
    assert dialog.outcome.result.package == destination and destination.is_dir()


def test_closing_while_exporting_cancels_first(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    reviewed_case(world)
    cutter = GatedCutter()
    dialog = dialog_for(qtbot, world, context(world, tmp_path), cutter)
    dialog.export_button.click()
    assert cutter.reached.wait(20)
    dialog.close()  # the window's close box: reject()
    assert dialog.isVisible()  # stays until the export has stopped and cleaned up
    cutter.release.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    assert list((tmp_path / "exports").iterdir()) == []


def test_nothing_exportable_is_said_and_nothing_is_written(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    world.services.cases.create(ANALYST, NUMBER, "shooting")
    clip = world.services.clips.tag(ANALYST, "cam01", at(1), at(3), case=NUMBER)
    world.services.clips.submit(ANALYST, clip.id)  # pending: not approved
    dialog = dialog_for(qtbot, world, context(world, tmp_path))
    assert dialog.plan.text() == "0 clip(s) will be exported (approved by a supervisor), 0 still(s). " \
                                 "Left out: clip 1 (pending)."
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.status.is_error, timeout=20_000)
    assert dialog.status.text().startswith("ExportError: case 26-0412: no clip or still can be exported (clip 1: "
                                           "pending: not approved by a supervisor)")
    assert not (tmp_path / "exports").exists() or list((tmp_path / "exports").iterdir()) == []


def test_a_wall_operator_cannot_export(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    reviewed_case(world)
    ctx = context(world, tmp_path)
    dialog = dialog_for(qtbot, world, ctx, actor=WALL)
    assert not dialog.export_button.isEnabled()
    assert dialog.export_button.toolTip() == "Your role (wall_operator) may not export evidence"
    with pytest.raises(PermissionDenied):
        export_case(export_sources(world.services, ctx.stills_dir), WALL, NUMBER, tmp_path / "exports" / "x",
                    ctx.settings)
    dialog.start_export()  # forced anyway: the refusal is shown, not raised
    qtbot.waitUntil(lambda: dialog.status.is_error, timeout=10_000)
    assert dialog.status.text() == "Not allowed: wally (wall_operator) may not export evidence"


def test_verify_from_the_case_names_the_changed_file(qtbot: QtBot, world: World, tmp_path: Path,
                                                     dark: None) -> None:
    reviewed_case(world)
    ctx = context(world, tmp_path)
    result = export_case(export_sources(world.services, ctx.stills_dir), ANALYST, NUMBER,
                         tmp_path / "exports" / "pkg", ctx.settings)
    detail = CaseDetail(world.services, ANALYST, evidence=ctx)
    qtbot.addWidget(detail)
    detail.resize(1100, 480)
    detail.show()
    detail.show_case(NUMBER)
    qtbot.waitUntil(lambda: detail.exports.table.records.rowCount() == 1, timeout=5000)
    detail.tabs.setCurrentWidget(detail.exports)
    detail.exports.table.selectRow(0)
    detail.exports.verify_button.click()
    qtbot.waitUntil(lambda: "verified: OK" in detail.status.text(), timeout=10_000)
    native = next((result.package / "clips").glob("*.ts"))
    data = bytearray(native.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte
    native.write_bytes(bytes(data))
    detail.exports.verify_button.click()
    qtbot.waitUntil(lambda: detail.status.is_error, timeout=10_000)
    assert detail.status.text().startswith(f"Package 1: changed: clips/{native.name}: SHA-256 ")
    shoot(detail, "detail-exports-verify")
