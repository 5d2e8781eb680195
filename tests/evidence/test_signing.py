"""Signed packages: the centre's Ed25519 key signs every manifest, so the rewrite that passed the hash checks (change a
file, fix its hash in the manifest, rewrite manifest.sha256) now fails, and a package re-signed with another key
fails against the centre's key or fingerprint. The private key stays in the secret store: never in a package, the
database or a log."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from c4desk.config import EvidenceSettings
from c4desk.credentials import lookup_secret, put_secret
from c4desk.evidence.export import export_case
from c4desk.evidence.hashing import sha256_file
from c4desk.evidence.manifest import MANIFEST, MANIFEST_HASH, PACKAGE_KEY, SIGNATURE, manifest_bytes, sums_text
from c4desk.evidence.signing import (
    CentreKey,
    SigningKeyError,
    centre_key,
    fingerprint,
    load_public_key,
    normalize_fingerprint,
    public_key_path,
    public_key_pem,
    secret_name,
)
from c4desk.evidence.verify import INVALID, UNSIGNED, VALID, Problem, check_package, verify_package
from tests.evidence.world import ANALYST, CASE, World, sources_for


def clip_file(package: Path) -> Path:
    return next((package / "clips").glob("*.ts"))


def set_entry(manifest: dict[str, Any], package: Path, path: Path) -> None:
    rel = path.relative_to(package).as_posix()
    for entry in manifest["files"]:
        if entry["path"] == rel:
            entry["sha256"], entry["bytes"] = sha256_file(path), path.stat().st_size


def tamper(package: Path) -> dict[str, Any]:
    """Shorten the clip and fix its hash and size in the manifest (not yet written)."""
    target = clip_file(package)
    target.write_bytes(target.read_bytes()[: -188 * 10])
    manifest: dict[str, Any] = json.loads((package / MANIFEST).read_text())
    set_entry(manifest, package, target)
    return manifest


def rewrite(package: Path, manifest: dict[str, Any], key: Ed25519PrivateKey | None = None, *,
            claim_own_key: bool = True) -> None:
    """Write the forged manifest and a matching manifest.sha256; with ``key``, also swap in its public key and
    re-sign (``claim_own_key`` False: leave the centre's fingerprint in the manifest to fool a reader)."""
    if key is not None:
        (package / PACKAGE_KEY).write_bytes(public_key_pem(key.public_key()))
        set_entry(manifest, package, package / PACKAGE_KEY)
        if claim_own_key:
            manifest["signed_by"]["key_fingerprint"] = fingerprint(key.public_key())
    data = manifest_bytes(manifest)
    (package / MANIFEST).write_bytes(data)
    if key is not None:
        (package / SIGNATURE).write_bytes(key.sign(data))
    (package / MANIFEST_HASH).write_text(sums_text(sha256_file(package / MANIFEST), manifest["files"]))


def kinds(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.kind, p.path) for p in problems]


# ---- the key ----------------------------------------------------------------------------------------------------


def test_the_key_is_made_once_kept_in_the_secret_store_and_published(tmp_path: Path) -> None:
    first = centre_key(tmp_path)
    assert first.created and len(normalize_fingerprint(first.fingerprint)) == 64 + 15
    again = centre_key(tmp_path)
    assert not again.created and again.fingerprint == first.fingerprint and again.public_pem == first.public_pem
    published = public_key_path(tmp_path)
    assert published == tmp_path / "evidence" / "centre-signing-key.pub" == first.public_key_file
    assert published.read_bytes() == first.public_pem
    assert fingerprint(load_public_key(published.read_bytes())) == first.fingerprint
    secret = tmp_path / "secrets" / secret_name(tmp_path)  # the tests' keyring is null: the owner-only file
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and str(secret) in first.stored_in
    assert "PRIVATE" not in repr(first) and "_private" not in repr(first)
    assert not list((tmp_path / "evidence").glob(".*"))  # no lock or temp file left


def test_the_same_key_signs_every_export(world: World, tmp_path: Path) -> None:
    prints = []
    for name in ("one", "two"):
        result = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, tmp_path / name,
                             EvidenceSettings(), signer=centre_key(world.root))
        manifest = json.loads((result.package / MANIFEST).read_text())
        prints.append((result.key_fingerprint, manifest["signed_by"]["key_fingerprint"],
                       fingerprint(load_public_key((result.package / PACKAGE_KEY).read_bytes()))))
    assert len({p for trio in prints for p in trio}) == 1


def test_a_lost_private_key_is_never_silently_replaced(tmp_path: Path) -> None:
    key = centre_key(tmp_path)
    (tmp_path / "secrets" / secret_name(tmp_path)).unlink()
    with pytest.raises(SigningKeyError, match="exists but its private key is in neither") as lost:
        centre_key(tmp_path)
    assert key.fingerprint in str(lost.value)
    assert public_key_path(tmp_path).read_bytes() == key.public_pem  # the published key is untouched

    other = Ed25519PrivateKey.generate()  # a private key that is not the published one's
    put_secret(tmp_path, secret_name(tmp_path),
               other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode())
    with pytest.raises(SigningKeyError, match="does not belong to the published public key"):
        centre_key(tmp_path)

    put_secret(tmp_path, secret_name(tmp_path), "not a key")
    with pytest.raises(SigningKeyError, match="is not an Ed25519 private key"):
        centre_key(tmp_path)

    # Moving the public key away no longer starts a new key: the key history still names the lost one. A new key
    # is a rotation (an admin's, audited: tests/evidence/test_key_admin.py), which retires the lost key.
    public_key_path(tmp_path).rename(tmp_path / "old-centre-key.pub")
    (tmp_path / "secrets" / secret_name(tmp_path)).unlink()
    with pytest.raises(SigningKeyError, match="exists but its private key is in neither") as still_lost:
        centre_key(tmp_path)
    assert key.fingerprint in str(still_lost.value) and "--rotate" in str(still_lost.value)
    assert not public_key_path(tmp_path).exists()


def test_while_another_process_makes_the_key_we_wait_for_it(tmp_path: Path) -> None:
    """Two first exports at once must not sign with two keys: making the key holds a lock file (as a process
    that is making it right now does here); a lock left by a process that died is cleared."""
    lock = tmp_path / "evidence" / ".signing-key.lock"
    lock.parent.mkdir(parents=True)
    lock.touch()
    made: list[CentreKey] = []
    waiter = threading.Thread(target=lambda: made.append(centre_key(tmp_path)))
    waiter.start()
    time.sleep(0.5)
    assert not made and lookup_secret(tmp_path, secret_name(tmp_path)) is None  # waiting, not making
    lock.unlink()  # the other process is done
    waiter.join(10)
    assert made and made[0].created and not lock.exists()

    other = tmp_path / "other"
    (other / "evidence").mkdir(parents=True)
    stale = other / "evidence" / ".signing-key.lock"
    stale.touch()
    old = time.time() - 120
    os.utime(stale, (old, old))
    assert centre_key(other).created and not stale.exists()


def test_fingerprints_are_read_as_typed_but_never_shortened() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    grouped = fingerprint(key)
    bare = grouped.replace(" ", "")
    assert len(grouped.split(" ")) == 16 and all(len(g) == 4 for g in grouped.split(" "))
    assert bare == hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()
    for typed in (bare, bare.upper(), grouped, ":".join(grouped.split(" ")), f"  {grouped}\n"):
        assert normalize_fingerprint(typed) == grouped
    for bad in (bare[:40], bare + "0", "zz" + bare[2:], ""):
        with pytest.raises(ValueError, match="64 hex digits"):
            normalize_fingerprint(bad)
    with pytest.raises(ValueError, match="not a PEM public key"):
        load_public_key(b"hello")


# ---- what verify says ----------------------------------------------------------------------------------------


def test_a_signed_package_checks_against_the_centres_key_and_fingerprint(package: Path, centre: CentreKey) -> None:
    for known in ({"known_key": load_public_key(centre.public_pem)}, {"known_fingerprint": centre.fingerprint},
                  {"known_fingerprint": centre.fingerprint.replace(" ", "").upper()}):
        result = check_package(package, **known)
        assert result.ok and (result.signature.status, result.signature.fingerprint, result.signature.known_key) \
            == (VALID, centre.fingerprint, True)
    with pytest.raises(ValueError, match="is not the given key's"):
        check_package(package, known_key=load_public_key(centre.public_pem),
                      known_fingerprint=fingerprint(Ed25519PrivateKey.generate().public_key()))


def test_openssl_checks_the_signature_without_c4desk(package: Path, centre: CentreKey) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl on this machine")
    argv = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(centre.public_key_file), "-rawin", "-in",
            str(package / MANIFEST), "-sigfile", str(package / SIGNATURE)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stdout + done.stderr
    rewrite(package, tamper(package))
    assert subprocess.run(argv, capture_output=True, text=True).returncode != 0


def test_the_rewrite_that_passed_before_now_fails(package: Path, centre: CentreKey) -> None:
    """Changed clip + its hash fixed in the manifest + manifest.sha256 recomputed; no new signature."""
    rewrite(package, tamper(package))
    [problem] = verify_package(package)  # even with the package's own key
    assert (problem.kind, problem.path) == ("signature", SIGNATURE)
    assert problem.detail.startswith("does not match manifest.json: the manifest was changed after it was signed")
    assert check_package(package).signature.status == INVALID
    for known in ({"known_key": load_public_key(centre.public_pem)}, {"known_fingerprint": centre.fingerprint}):
        assert kinds(verify_package(package, **known)) == [("signature", SIGNATURE)]
    done = subprocess.run(["sha256sum", "-c", "--quiet", MANIFEST_HASH], cwd=package, capture_output=True)
    assert done.returncode == 0  # the hashes alone are fooled: that is what the signature is for


def test_a_package_re_signed_with_another_key_fails_against_the_centres(package: Path, centre: CentreKey) -> None:
    forger = Ed25519PrivateKey.generate()
    rewrite(package, tamper(package), forger)
    forged = fingerprint(forger.public_key())
    # Against itself the forgery is consistent: verify says which key signed and that it was not checked.
    result = check_package(package)
    assert result.ok and (result.signature.status, result.signature.fingerprint, result.signature.known_key) \
        == (VALID, forged, False)
    [by_print] = verify_package(package, known_fingerprint=centre.fingerprint)
    assert by_print == Problem("signature", SIGNATURE,
                               f"signed by key {forged}, not by the expected key {centre.fingerprint}")
    [by_key] = verify_package(package, known_key=load_public_key(centre.public_pem))
    assert by_key == by_print


def test_a_forgery_that_keeps_the_centres_fingerprint_in_the_manifest_fails(package: Path,
                                                                            centre: CentreKey) -> None:
    forger = Ed25519PrivateKey.generate()
    rewrite(package, tamper(package), forger, claim_own_key=False)
    [problem] = verify_package(package)
    assert problem == Problem("signature", MANIFEST, f"names key {centre.fingerprint} as its signer, but was signed "
                                                     f"by key {fingerprint(forger.public_key())}")


def test_a_damaged_or_removed_signature_or_key(package: Path, centre: CentreKey) -> None:
    signature = (package / SIGNATURE).read_bytes()
    (package / SIGNATURE).write_bytes(bytes([signature[0] ^ 1]) + signature[1:])
    assert kinds(verify_package(package)) == [("signature", SIGNATURE)]
    (package / SIGNATURE).unlink()  # stripped: the signed manifest still says it was signed
    [problem] = verify_package(package)
    assert problem == Problem("missing", SIGNATURE, "the manifest says it is signed; the signature is gone")
    (package / SIGNATURE).write_bytes(signature)
    (package / PACKAGE_KEY).unlink()
    assert kinds(verify_package(package)) == [("signature", SIGNATURE), ("missing", PACKAGE_KEY)]
    # With the centre's key in hand the signature is still proven; the missing file is still named.
    assert kinds(verify_package(package, known_key=load_public_key(centre.public_pem))) == [("missing", PACKAGE_KEY)]


def test_an_unsigned_package_verifies_its_hashes_and_says_unsigned(unsigned_package: Path,
                                                                    centre: CentreKey) -> None:
    result = check_package(unsigned_package)
    assert result.ok and result.signature.status == UNSIGNED and result.files_checked == 5
    manifest = json.loads((unsigned_package / MANIFEST).read_text())
    assert manifest["signed_by"] is None and not (unsigned_package / SIGNATURE).exists()
    [problem] = verify_package(unsigned_package, known_fingerprint=centre.fingerprint)
    assert (problem.kind, problem.path) == ("signature", SIGNATURE) and "not signed" in problem.detail
    report = (unsigned_package / "report.html").read_text()
    assert "This package is not signed." in report


# ---- the private key stays secret ----------------------------------------------------------------------------


def test_the_private_key_is_never_in_a_package_the_database_or_a_log(world: World, tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        key = centre_key(world.root)
        result = export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, tmp_path / "pkg",
                             EvidenceSettings(), signer=key)
    pem = lookup_secret(world.root, secret_name(world.root))
    assert pem is not None
    private = load_pem_private_key(pem.encode(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    der = private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    needles = [raw, raw.hex().encode(), base64.b64encode(raw), base64.b64encode(der), der,
               pem.strip().splitlines()[1].encode()]
    places = [p for p in result.package.rglob("*") if p.is_file()]
    places += [p for p in world.root.iterdir() if p.name.startswith("c4desk.sqlite")]  # the DB, its WAL/journal
    assert len(places) >= 10 and any(p.name == "c4desk.sqlite" for p in places)
    for place in places:
        data = place.read_bytes()
        assert not any(needle in data for needle in needles), place
    assert caplog.records and not any(needle.decode("latin-1") in caplog.text for needle in needles)
    holders = [p for p in world.root.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]
    assert holders == [world.root / "secrets" / secret_name(world.root)]  # the secret store, nowhere else


def test_each_data_directory_has_its_own_key(tmp_path: Path) -> None:
    """The keyring is shared by every data directory of the OS user: a demo run must not sign with the centre's key."""
    centre, demo = centre_key(tmp_path / "centre"), centre_key(tmp_path / "demo")
    assert centre.fingerprint != demo.fingerprint
    assert secret_name(tmp_path / "centre") != secret_name(tmp_path / "demo")
    assert centre_key(tmp_path / "centre").fingerprint == centre.fingerprint
