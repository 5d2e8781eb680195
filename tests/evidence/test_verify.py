"""Verifying a package: any changed, missing or extra file, and any edit of the manifest, is named.

What cannot be caught from the hashes alone is shown too: a manifest rewritten together with its own hash file
checks out against itself; the signature exposes that (test_signing.py), and for an unsigned package only the
manifest hash recorded at export time (database, custody form) does.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from c4desk.evidence.hashing import sha256_file
from c4desk.evidence.manifest import MANIFEST, MANIFEST_HASH, SIGNATURE, manifest_bytes, sums_text
from c4desk.evidence.signing import CentreKey
from c4desk.evidence.verify import UNSIGNED, VALID, Problem, check_package, verify_package


def clip_file(package: Path) -> Path:
    return next((package / "clips").glob("*.ts"))


def rel(package: Path, path: Path) -> str:
    return path.relative_to(package).as_posix()


def test_an_untouched_package_is_ok_here_and_for_sha256sum(package: Path, centre: CentreKey) -> None:
    result = check_package(package)
    assert result.ok and result.files_checked == 6  # .ts, .mp4, still, custody.log, report.html, signing-key.pub
    assert result.manifest_sha256 == sha256_file(package / MANIFEST)
    assert (result.signature.status, result.signature.fingerprint, result.signature.known_key) == (
        VALID, centre.fingerprint, False)
    # The same check with nothing but coreutils, for a machine without c4desk.
    done = subprocess.run(["sha256sum", "-c", "--quiet", MANIFEST_HASH], cwd=package, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_flipped_byte_is_named(package: Path) -> None:
    target = clip_file(package)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    [problem] = verify_package(package)
    assert (problem.kind, problem.path) == ("changed", rel(package, target))
    assert "SHA-256" in problem.detail


def test_a_shortened_file_a_deleted_file_and_an_added_file(package: Path) -> None:
    still = next((package / "stills").glob("*.png"))
    still.write_bytes(still.read_bytes()[:-10])
    (package / "report.html").unlink()
    (package / "clips" / "extra.ts").write_bytes(b"\x47" * 188)
    (package / "notes.txt").write_text("added later")
    problems = verify_package(package)
    assert [(p.kind, p.path) for p in problems] == [
        ("missing", "report.html"), ("changed", rel(package, still)), ("extra", "clips/extra.ts"),
        ("extra", "notes.txt")]
    assert "bytes" in problems[1].detail
    assert str(problems[0]) == "missing: report.html: listed in the manifest, not in the package"


def test_an_edited_manifest_is_detected(package: Path) -> None:
    manifest = json.loads((package / MANIFEST).read_text())
    manifest["clips"][0]["note"] = "nothing to see"
    (package / MANIFEST).write_bytes(manifest_bytes(manifest))
    problems = verify_package(package)
    assert [(p.kind, p.path) for p in problems] == [("manifest", MANIFEST), ("signature", SIGNATURE)]
    assert "edited" in problems[0].detail and "changed after it was signed" in problems[1].detail


def test_a_changed_file_with_its_hash_updated_in_the_manifest_is_still_detected(package: Path) -> None:
    target = clip_file(package)
    target.write_bytes(target.read_bytes()[: -188 * 10])  # drop the last TS packets
    manifest = json.loads((package / MANIFEST).read_text())
    for entry in manifest["files"]:
        if entry["path"] == rel(package, target):
            entry["sha256"], entry["bytes"] = sha256_file(target), target.stat().st_size
    (package / MANIFEST).write_bytes(manifest_bytes(manifest))
    problems = verify_package(package)
    assert Problem("manifest", MANIFEST, problems[0].detail) == problems[0]
    assert ("manifest", rel(package, target)) in [(p.kind, p.path) for p in problems]


def test_a_missing_hash_file_or_manifest_is_reported(package: Path, tmp_path: Path) -> None:
    (package / MANIFEST_HASH).unlink()
    assert [(p.kind, p.path) for p in verify_package(package)] == [("missing", MANIFEST_HASH)]
    (package / MANIFEST).unlink()
    problems = verify_package(package)
    assert ("missing", MANIFEST) in [(p.kind, p.path) for p in problems]
    assert verify_package(tmp_path / "nowhere")[0].kind == "missing"


def test_without_the_manifest_the_hash_file_still_checks_the_files(package: Path) -> None:
    (package / MANIFEST).unlink()
    clip = clip_file(package)
    clip.write_bytes(b"x")
    kinds = {(p.kind, p.path) for p in verify_package(package)}
    assert kinds == {("missing", MANIFEST), ("changed", rel(package, clip))}


def test_a_consistent_rewrite_of_an_unsigned_package_needs_the_recorded_hash(unsigned_package: Path) -> None:
    """The honest limit of an unsigned package (one exported before signing): see c4desk.evidence.manifest."""
    package = unsigned_package
    assert check_package(package).signature.status == UNSIGNED
    exported_hash = sha256_file(package / MANIFEST)
    target = clip_file(package)
    target.write_bytes(target.read_bytes()[: -188 * 10])
    manifest = json.loads((package / MANIFEST).read_text())
    for entry in manifest["files"]:
        if entry["path"] == rel(package, target):
            entry["sha256"], entry["bytes"] = sha256_file(target), target.stat().st_size
    (package / MANIFEST).write_bytes(manifest_bytes(manifest))
    forged = sha256_file(package / MANIFEST)
    (package / MANIFEST_HASH).write_text(sums_text(forged, manifest["files"]))

    assert verify_package(package) == []  # self-consistent: undetectable from the package alone
    [problem] = verify_package(package, expected_manifest_sha256=exported_hash)
    assert problem.kind == "manifest" and "not the manifest that was exported" in problem.detail
    assert verify_package(package, expected_manifest_sha256=forged) == []


def test_a_manifest_that_is_not_json_or_not_ours(package: Path) -> None:
    (package / MANIFEST).write_text("{not json")
    kinds = [(p.kind, p.path) for p in verify_package(package)]
    assert ("manifest", MANIFEST) in kinds
    (package / MANIFEST).write_text(json.dumps({"format": "something-else", "files": []}))
    assert any("not a c4desk-evidence/1 manifest" in p.detail for p in verify_package(package))
