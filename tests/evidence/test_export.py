"""Exporting a case's evidence package from real recordings: what goes in, what is left out and why, who may,
and that no crash, kill or cancel ever leaves something at the destination that looks like a package."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import av
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from c4desk import __version__
from c4desk.config import EvidenceSettings
from c4desk.domain.permissions import PermissionDenied
from c4desk.evidence.export import ExportCancelled, ExportError, default_package_dir, export_case
from c4desk.evidence.hashing import sha256_file
from c4desk.evidence.manifest import MANIFEST, MANIFEST_HASH, PACKAGE_KEY, SIGNATURE
from c4desk.evidence.signing import CentreKey
from c4desk.evidence.verify import verify_package
from c4desk.store.models import AuditEventRow, EvidenceExportRow
from tests.evidence.world import ANALYST, CASE, NOTE, SUPERVISOR, WALL, World, at, sources_for

REPO = Path(__file__).resolve().parents[2]


def export(world: World, out: Path, **settings: bool) -> object:
    return export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, out,
                       EvidenceSettings(**settings))


def audits(world: World, event_type: str) -> list[AuditEventRow]:
    with world.services.db.session() as session:
        return list(session.scalars(sql_select(AuditEventRow).where(AuditEventRow.event_type == event_type)
                                    .order_by(AuditEventRow.id)))


def nothing_at(destination: Path) -> bool:
    """No package and no leftover of one (hidden partial folders included)."""
    return not destination.exists() and not list(destination.parent.glob(f".{destination.name}*"))


def test_an_export_holds_the_approved_clip_the_still_and_says_what_was_left_out(world: World, centre: CentreKey,
                                                                                tmp_path: Path) -> None:
    progress: list[float] = []
    result = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, tmp_path / "pkg",
                         EvidenceSettings(), progress=lambda f, _m: progress.append(f), signer=centre)
    pkg = tmp_path / "pkg"
    assert result.package == pkg and result.clips == (world.approved.id,) and result.stills == (world.still.id,)
    assert [(x.kind, x.id) for x in result.left_out] == [("clip", world.pending.id)]
    assert "pending: not approved by a supervisor" in result.left_out[0].reason
    assert progress == sorted(progress) and progress[-1] == 1.0
    names = sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file())
    stem = f"clip-{world.approved.id}_cam01_20260704T210002Z"
    assert names == [f"clips/{stem}.mp4", f"clips/{stem}.ts", "custody.log", MANIFEST, MANIFEST_HASH, SIGNATURE,
                     "report.html", PACKAGE_KEY, f"stills/still-{world.still.id}_cam01_20260704T210003Z.png"]
    assert result.files == len(names) and result.bytes == sum((pkg / n).stat().st_size for n in names)
    assert verify_package(pkg) == []

    manifest = json.loads((pkg / MANIFEST).read_text())
    assert manifest["case"]["number"] == CASE and manifest["exported_by"] == {
        "username": "ana", "role": "analyst", "workstation": "ws-ana"}
    assert manifest["tool"]["name"] == "c4desk" and manifest["tool"]["version"] == __version__
    assert manifest["signed_by"] == {"algorithm": "Ed25519", "key_fingerprint": centre.fingerprint,
                                     "public_key": PACKAGE_KEY, "signature": SIGNATURE,
                                     "covers": "the exact bytes of manifest.json"}
    assert (pkg / PACKAGE_KEY).read_bytes() == centre.public_pem and result.key_fingerprint == centre.fingerprint
    [clip] = manifest["clips"]
    assert clip["camera"] == {"id": "cam01", "name": "Main & Asylum"}
    assert clip["requested"] == {"start": at(2.5).isoformat(), "end": at(6.5).isoformat()}
    # A stream copy starts at the keyframe before the start (one a second) and ends with the frame on screen at
    # the end (frames every 1/15 s: the one from 6.4667 s to 6.5333 s).
    assert clip["actual"] == {"start": at(2.0).isoformat(), "end": "2026-07-04T21:00:06.533333+00:00"}
    assert clip["covers_request"] is True and clip["gaps"] == []
    assert clip["recorder_clock_offset_s"] == -0.4
    assert (clip["tags"], clip["note"], clip["status"]) == (["vehicle", "getaway"], NOTE, "approved")
    assert clip["reviewer"]["username"] == "sam" and clip["reviewer"]["comment"] == "plate readable"
    assert clip["codec"]["name"] == "h264" and clip["video_packets"] == 68
    assert [s["file"] for s in clip["source_segments"]] == [p.name for p in sorted(
        (world.recordings_root / "cam01").rglob("*.ts"))][:2]
    for source in clip["source_segments"]:
        held = next((world.recordings_root / "cam01").rglob(source["file"]))
        assert source["sha256"] == sha256_file(held)
    assert manifest["stills"][0]["sha256_at_capture"] == world.still.sha256
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        n: sha256_file(pkg / n) for n in names if n not in (MANIFEST, MANIFEST_HASH, SIGNATURE)}
    with av.open(str(pkg / clip["files"]["native"])) as native:
        assert sum(1 for _ in native.decode(video=0)) == clip["video_packets"]

    # Recorded in the database: the export row and a chained audit record, both with the manifest's hash.
    [record] = world.services.cases.exports(CASE)
    assert (record.path, record.manifest_sha256, record.files) == (str(pkg), sha256_file(pkg / MANIFEST),
                                                                   result.files)
    assert result.manifest_sha256 == record.manifest_sha256 == (pkg / MANIFEST_HASH).read_text().split()[0]
    [audit] = audits(world, "export")
    assert audit.object == f"case:{CASE}" and audit.detail["manifest_sha256"] == record.manifest_sha256
    assert audit.detail["signing_key"] == centre.fingerprint
    assert world.services.cases.export_by_manifest(record.manifest_sha256) == record

    custody = (pkg / "custody.log").read_text()
    for needle in (f"case:{CASE} | success | create", f"clip:{world.approved.id} | success | tag",
                   f"clip:{world.approved.id} | success | submitted", "sam@ws-sam | clip_change",
                   "| export | case:26-0412 | success | this package, exported by ana (analyst)",
                   f"signed with the centre's Ed25519 key, fingerprint {centre.fingerprint} (manifest.sig)"):
        assert needle in custody
    assert f"clip:{world.pending.id}" not in custody  # custody of what is in the package
    report = (pkg / "report.html").read_text()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; car &amp; driver" in report
    assert "<script>" not in report and "Shots &lt;fired&gt; on Main" in report
    assert "-0.400 s" in report and "left out" in report.lower()
    assert f"fingerprint <span class=\"mono\">{centre.fingerprint}</span>" in report


def test_without_required_approval_every_clip_but_rejected_ones_goes_in(world: World, tmp_path: Path) -> None:
    result = export(world, tmp_path / "all", require_approval=False, include_mp4=False)
    assert set(result.clips) == {world.approved.id, world.pending.id}  # type: ignore[attr-defined]
    assert not list((tmp_path / "all" / "clips").glob("*.mp4"))
    world.services.clips.review(SUPERVISOR, world.pending.id, approve=False, comment="wrong camera")
    result = export(world, tmp_path / "again", require_approval=False)
    assert result.clips == (world.approved.id,)  # type: ignore[attr-defined]
    assert "rejected by sam: wrong camera" in result.left_out[0].reason  # type: ignore[attr-defined]


def test_a_wall_operator_may_not_export_and_nothing_is_written(world: World, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        export_case(sources_for(world.services, world.snapshots_dir), WALL, CASE, tmp_path / "pkg",
                    EvidenceSettings())
    assert nothing_at(tmp_path / "pkg")
    assert [r.username for r in audits(world, "permission_denied")] == ["wally"]


def test_an_existing_destination_is_never_overwritten(world: World, tmp_path: Path) -> None:
    first = export(world, tmp_path / "pkg")
    before = sha256_file(tmp_path / "pkg" / MANIFEST)
    with pytest.raises(ExportError, match="already exists"):
        export(world, tmp_path / "pkg")
    assert sha256_file(tmp_path / "pkg" / MANIFEST) == before and verify_package(tmp_path / "pkg") == []
    assert len(world.services.cases.exports(CASE)) == 1 and first is not None
    assert default_package_dir(tmp_path, "26/0412", at(0)) == tmp_path / "26_0412_20260704T210000Z"


def test_unexportable_items_are_left_out_with_the_reason_and_nothing_exportable_is_an_error(
        world: World, tmp_path: Path) -> None:
    world.still.path.write_bytes(world.still.path.read_bytes() + b"tampered")
    for segment in (world.recordings_root / "cam01").rglob("*.ts"):
        segment.unlink()  # the recording is gone (e.g. a disk failure): the approved clip cannot be cut
    with pytest.raises(ExportError, match="no clip or still can be exported") as caught:
        export(world, tmp_path / "pkg")
    assert "segment file missing" in str(caught.value) and "file changed since it was captured" in str(caught.value)
    assert nothing_at(tmp_path / "pkg")
    [failure] = audits(world, "export")
    assert failure.outcome == "failure" and failure.detail["cancelled"] is False

    # With the still intact again, the package holds it and still lists the clip as left out.
    world.services.cases.link(ANALYST, CASE, "snapshot", world.still.id)
    world.still.path.write_bytes(world.still.path.read_bytes()[: -len(b"tampered")])
    result = export(world, tmp_path / "pkg")
    assert result.clips == () and result.stills == (world.still.id,)  # type: ignore[attr-defined]
    assert verify_package(tmp_path / "pkg") == []


def test_cancel_leaves_nothing_behind(world: World, tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(fraction: float, _message: str) -> None:
        if fraction > 0.1:
            cancel.set()

    with pytest.raises(ExportCancelled):
        export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, tmp_path / "pkg",
                    EvidenceSettings(), progress=progress, cancel=cancel)
    assert nothing_at(tmp_path / "pkg")
    assert audits(world, "export")[-1].detail["cancelled"] is True
    with world.services.db.session() as session:
        assert session.scalar(sql_select(func.count()).select_from(EvidenceExportRow)) == 0


# ---- a killed export --------------------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from c4desk.config import EvidenceSettings
    from c4desk.evidence.export import export_case
    from c4desk.hub.services import Services
    from tests.evidence.world import ANALYST, CASE, sources_for

    url, recordings, snapshots, out, stage = sys.argv[1:6]

    def pause():
        print("paused", flush=True)
        time.sleep(120)  # the test kills us here

    services = Services.open(url, migrate=False, recordings_root=Path(recordings))
    sources = sources_for(services, Path(snapshots))
    if stage == "before_place":  # the package is complete in its temporary folder; not yet renamed into place
        real = services.cases.record_export
        def record_export(*args, **kwargs):
            pause()
        services.cases.record_export = record_export

    def progress(fraction, message):
        if stage == "cutting" and fraction > 0.2:
            pause()

    export_case(sources, ANALYST, CASE, Path(out), EvidenceSettings(), progress=progress)
    print("done", flush=True)
""")


@pytest.mark.parametrize("stage", ["cutting", "before_place"])
def test_an_export_killed_mid_way_leaves_no_package_and_a_rerun_succeeds(stage: str, world: World,
                                                                          tmp_path: Path) -> None:
    destination = tmp_path / "exports" / "pkg"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-c", CHILD, world.url, str(world.recordings_root), str(world.snapshots_dir),
            str(destination), stage]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True) as child:
        assert child.stdout is not None and child.stderr is not None
        ready, _, _ = select.select([child.stdout], [], [], 120)
        line = child.stdout.readline().strip() if ready else ""
        if line != "paused":
            child.kill()
            child.wait()
            pytest.fail(f"the export never paused: {line!r} {child.stderr.read()}")
        partial = list(destination.parent.glob(".pkg.partial-*"))
        assert len(partial) == 1  # the work in progress: hidden, named partial
        if stage == "before_place":
            assert (partial[0] / MANIFEST).is_file()  # complete, but not where a package is expected
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

    assert not destination.exists()  # nothing that looks like a package
    assert world.services.cases.exports(CASE) == [] and audits(world, "export") == []
    result = export(world, destination)  # the rerun cleans the dead process's leftover and succeeds
    assert result.package == destination and verify_package(destination) == []  # type: ignore[attr-defined]
    assert list(destination.parent.iterdir()) == [destination]
