"""Rotating and revoking the centre's evidence-signing key (evidence/key_admin.py over evidence/signing.py): real
packages exported before and after, real Ed25519 keys, the real secret store of the tests (a null keyring, so the
owner-only file in DATA_DIR/secrets) and a real SQLite audit trail.

What must hold: after a rotation old packages still verify against the key history, which names the retired key
and its active period; the retired private key is gone and a key loaded before the rotation signs nothing after it;
a revoked key's packages fail, naming when and why; only admins may do either, and every attempt is audited."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key
from sqlalchemy import select

from c4desk.config import EvidenceSettings
from c4desk.credentials import get_secret, lookup_secret
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.evidence.export import export_case
from c4desk.evidence.key_admin import AUDIT_OBJECT, REVOKE, ROTATE, revoke_key, rotate_key
from c4desk.evidence.key_history import RETIRED, REVOKED, history_path, iso, load_history
from c4desk.evidence.signing import (
    CentreKey,
    SigningKeyError,
    centre_key,
    key_lock,
    normalize_fingerprint,
    public_key_path,
    secret_name,
)
from c4desk.evidence.verify import REVOKED as REVOKED_SIGNATURE
from c4desk.evidence.verify import VALID, check_package
from c4desk.store.models import AuditEventRow
from tests.evidence.world import ANALYST, CASE, SUPERVISOR, World, sources_for

ADMIN = Actor("boss", Role.ADMIN, "ws-boss")


def export(world: World, out: Path, signer: CentreKey | None = None) -> Path:
    """A signed package of the world's case, signed by the centre's key as it is now (or ``signer``)."""
    return export_case(sources_for(world.services, world.snapshots_dir), ANALYST, CASE, out, EvidenceSettings(),
                       signer=signer or centre_key(world.root)).package


def audit_rows(world: World, after: int = 0) -> list[AuditEventRow]:
    with world.services.db.session() as s:
        rows = list(s.scalars(select(AuditEventRow).where(AuditEventRow.id > after).order_by(AuditEventRow.id)))
        s.expunge_all()
        return rows


def last_audit_id(world: World) -> int:
    rows = audit_rows(world)
    return rows[-1].id if rows else 0


def key_files(root: Path) -> dict[str, bytes]:
    """Everything a key change could touch: the published key, the history, the stored private key."""
    files = [public_key_path(root), history_path(root), root / "secrets" / secret_name(root)]
    return {f.name: f.read_bytes() for f in files if f.exists()}


def private_needles(pem: str) -> list[bytes]:
    key = load_pem_private_key(pem.encode(), password=None)
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return [raw, raw.hex().encode(), pem.strip().splitlines()[1].encode()]


def test_rotate_then_old_and_new_packages_verify_against_the_history(world: World, centre: CentreKey,
                                                                     tmp_path: Path) -> None:
    old_package = export(world, tmp_path / "before")
    first = last_audit_id(world)
    change = rotate_key(world.services.db, ADMIN, world.root)
    new_package = export(world, tmp_path / "after")
    new_key = centre_key(world.root)

    assert change.operation == ROTATE and change.retired is not None and change.new is not None
    assert change.retired.fingerprint == centre.fingerprint and change.new.fingerprint == new_key.fingerprint
    assert new_key.fingerprint != centre.fingerprint and not new_key.created
    assert public_key_path(world.root).read_bytes() == new_key.public_pem  # the published key is the new one
    history = load_history(history_path(world.root))
    assert [e.fingerprint for e in history.entries] == [centre.fingerprint, new_key.fingerprint]
    assert history.entries[0].retired_at == history.entries[1].active_from == change.at

    before = check_package(old_package, known_keys=history)
    assert before.ok and (before.signature.status, before.signature.fingerprint) == (VALID, centre.fingerprint)
    assert before.signature.key is not None and before.signature.key.status == RETIRED
    assert before.signature.key.period() == f"{iso(history.entries[0].active_from)} to {iso(change.at)}"
    after = check_package(new_package, known_keys=history)
    assert after.ok and after.signature.fingerprint == new_key.fingerprint
    assert after.signature.key is not None and after.signature.key.status == "current"
    assert after.signature.as_dict()["key"] == history.entries[1].summary()
    # Against the current key alone the old package fails: that is what the history is for.
    assert [p.detail for p in check_package(old_package, known_fingerprint=new_key.fingerprint).problems] == [
        f"signed by key {centre.fingerprint}, not by the expected key {new_key.fingerprint}"]

    [record] = [r for r in audit_rows(world, first) if r.event_type != "export"]  # the new package's is there too
    assert (record.event_type, record.username, record.workstation, record.object, record.outcome) == (
        "privileged", "boss", "ws-boss", AUDIT_OBJECT, "success")
    assert record.detail == {"action": ROTATE, "at": iso(change.at), "retired": centre.fingerprint,
                             "new": new_key.fingerprint, "retired_private_key": "deleted"}


def test_the_retired_private_key_is_gone_from_the_secret_store(world: World, centre: CentreKey) -> None:
    name = secret_name(world.root)
    old_pem = lookup_secret(world.root, name)
    assert old_pem is not None
    rotate_key(world.services.db, ADMIN, world.root)
    new_pem = lookup_secret(world.root, name)
    assert new_pem is not None and new_pem != old_pem
    assert get_secret(name) is None  # the tests' keyring holds nothing: the owner-only file is the store
    assert sorted(p.name for p in (world.root / "secrets").iterdir()) == [name]
    needles = private_needles(old_pem)
    holders = [p for p in world.root.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]
    assert holders == []  # not in the secret file, the history, the database or anywhere else in the data dir
    with pytest.raises(SigningKeyError, match=r"is retired \(.* to .*\) and signs nothing more"):
        centre.sign(b"a manifest")  # loaded before the rotation, refused after it


def test_an_export_running_across_a_rotation_is_not_signed_with_the_retired_key(world: World, centre: CentreKey,
                                                                                  tmp_path: Path) -> None:
    """The export loaded the key before the rotation and signs at its end: the signature is refused, the partial
    package removed, and the failure audited by the export (export.py)."""
    rotate_key(world.services.db, ADMIN, world.root)
    with pytest.raises(SigningKeyError, match="signs nothing more"):
        export(world, tmp_path / "late", signer=centre)
    assert not (tmp_path / "late").exists() and not list(tmp_path.glob(".late*"))
    assert audit_rows(world)[-1].outcome == "failure"


def test_revoking_a_retired_key_fails_its_packages_naming_when_and_why(world: World, centre: CentreKey,
                                                                       tmp_path: Path) -> None:
    old_package = export(world, tmp_path / "old")
    rotate_key(world.services.db, ADMIN, world.root)
    current = centre_key(world.root).fingerprint
    new_package = export(world, tmp_path / "new")
    first = last_audit_id(world)
    change = revoke_key(world.services.db, ADMIN, world.root, centre.fingerprint.replace(" ", ""),
                        "the old laptop holding it was stolen")
    assert change.operation == REVOKE and change.new is None and change.retired is None  # no rotation needed
    assert change.revoked is not None and change.revoked.status == REVOKED
    assert centre_key(world.root).fingerprint == current

    history = load_history(history_path(world.root))
    result = check_package(old_package, known_keys=history)
    assert not result.ok and result.signature.status == REVOKED_SIGNATURE
    [problem] = result.problems
    assert (problem.kind, problem.path) == ("signature", "manifest.sig")
    assert problem.detail == (f"signed by the centre's key {centre.fingerprint}, which was revoked at "
                              f"{iso(change.at)}: the old laptop holding it was stolen (whoever holds it can sign "
                              "anything: this signature proves nothing)")
    assert check_package(new_package, known_keys=history).ok
    [record] = audit_rows(world, first)
    assert record.detail == {"action": REVOKE, "at": iso(change.at), "revoked": centre.fingerprint,
                             "reason": "the old laptop holding it was stolen"}


def test_revoking_the_current_key_rotates_it(world: World, centre: CentreKey, tmp_path: Path) -> None:
    old_package = export(world, tmp_path / "old")
    change = revoke_key(world.services.db, ADMIN, world.root, centre.fingerprint, "leaked in a phishing attack")
    assert change.revoked is not None and change.retired is not None and change.new is not None
    assert change.retired.fingerprint == change.revoked.fingerprint == centre.fingerprint
    assert change.revoked.retired_at == change.revoked.revoked_at == change.new.active_from
    fresh = centre_key(world.root)
    assert fresh.fingerprint == change.new.fingerprint
    history = load_history(history_path(world.root))
    assert [e.status for e in history.entries] == [REVOKED, "current"]
    assert "leaked in a phishing attack" in check_package(old_package, known_keys=history).problems[0].detail
    assert check_package(export(world, tmp_path / "new"), known_keys=history).ok
    with pytest.raises(SigningKeyError, match="is revoked"):
        centre.sign(b"anything")
    assert change.audit_detail() == {"action": REVOKE, "at": iso(change.at), "revoked": centre.fingerprint,
                                     "reason": "leaked in a phishing attack", "retired": centre.fingerprint,
                                     "new": fresh.fingerprint, "retired_private_key": "deleted"}


@pytest.mark.parametrize("who", [ANALYST, SUPERVISOR], ids=lambda a: a.role.value)
def test_only_an_admin_may_rotate_or_revoke_and_refusals_are_audited(world: World, centre: CentreKey,
                                                                     who: Actor) -> None:
    before = key_files(world.root)
    first = last_audit_id(world)
    with pytest.raises(PermissionDenied, match=f"{who.username} \\({who.role.value}\\) may not manage keys"):
        rotate_key(world.services.db, who, world.root)
    with pytest.raises(PermissionDenied):
        revoke_key(world.services.db, who, world.root, centre.fingerprint, "because")
    assert key_files(world.root) == before  # nothing changed: key, history, secret
    rows = audit_rows(world, first)
    assert [(r.event_type, r.username, r.outcome, r.object, r.detail["action"], r.detail["attempt"]) for r in rows] \
        == [("permission_denied", who.username, "failure", AUDIT_OBJECT, "manage_keys", ROTATE),
            ("permission_denied", who.username, "failure", AUDIT_OBJECT, "manage_keys", REVOKE)]
    assert centre_key(world.root).fingerprint == centre.fingerprint


def test_bad_revocations_name_the_field_change_nothing_and_are_audited(world: World, centre: CentreKey) -> None:
    rotate_key(world.services.db, ADMIN, world.root)
    revoke_key(world.services.db, ADMIN, world.root, centre.fingerprint, "stolen")
    before = key_files(world.root)
    first = last_audit_id(world)
    stranger = "ab" * 32
    cases = [(centre.fingerprint, "  ", "reason: required: say why the key is revoked"),
             ("abcd", "x", "fingerprint: expected the key's SHA-256 fingerprint: 64 hex digits"),
             (stranger, "x", f"fingerprint: {normalize_fingerprint(stranger)} is not one of the centre's keys"),
             (centre.fingerprint, "again", f"fingerprint: {centre.fingerprint} is revoked already (revoked at ")]
    for fp, reason, message in cases:
        with pytest.raises(ValidationError) as info:
            revoke_key(world.services.db, ADMIN, world.root, fp, reason)
        assert str(info.value).startswith(message), str(info.value)
    assert key_files(world.root) == before
    rows = audit_rows(world, first)
    assert [(r.event_type, r.outcome, r.detail["action"]) for r in rows] == [("privileged", "failure", REVOKE)] * 4
    assert "is not one of the centre's keys" in rows[2].detail["error"]


def test_a_lost_private_key_is_retired_by_a_rotation(world: World, centre: CentreKey, tmp_path: Path) -> None:
    old_package = export(world, tmp_path / "old")
    (world.root / "secrets" / secret_name(world.root)).unlink()
    with pytest.raises(SigningKeyError, match="exists but its private key is in neither"):
        centre_key(world.root)
    change = rotate_key(world.services.db, ADMIN, world.root)
    assert change.retired is not None and change.retired.fingerprint == centre.fingerprint
    history = load_history(history_path(world.root))
    assert check_package(old_package, known_keys=history).ok  # what the lost key signed still verifies
    assert check_package(export(world, tmp_path / "new"), known_keys=history).ok


def test_an_interrupted_rotation_signs_nothing_until_it_is_finished(world: World, centre: CentreKey) -> None:
    """A rotation writes the history first: stopped right after that (the old private key still stored), the old
    key signs nothing and centre_key says to rotate again; stopped before the public key was replaced, the next
    centre_key publishes the new one itself."""
    secret = world.root / "secrets" / secret_name(world.root)
    old_secret = secret.read_bytes()
    rotate_key(world.services.db, ADMIN, world.root)
    never_stored = centre_key(world.root).fingerprint
    secret.write_bytes(old_secret)  # the state of a rotation stopped after its first step
    with pytest.raises(SigningKeyError, match=r"is retired .* rotation was interrupted\?\): an admin runs "
                                              r"`c4desk evidence key --rotate`"):
        centre_key(world.root)
    with pytest.raises(SigningKeyError, match="signs nothing more"):
        centre.sign(b"manifest")
    finished = rotate_key(world.services.db, ADMIN, world.root)
    assert finished.retired is not None and finished.retired.fingerprint == never_stored
    assert finished.new is not None and centre_key(world.root).fingerprint == finished.new.fingerprint
    assert [e.status for e in load_history(history_path(world.root)).entries] == [RETIRED, RETIRED, "current"]

    new_public = public_key_path(world.root).read_bytes()
    public_key_path(world.root).write_bytes(centre.public_pem)  # stopped before publishing the new public key
    assert centre_key(world.root).public_pem == new_public == public_key_path(world.root).read_bytes()


def test_rotating_with_no_key_yet_is_refused(world: World) -> None:
    with pytest.raises(SigningKeyError, match="there is no centre key yet to rotate or revoke"):
        rotate_key(world.services.db, ADMIN, world.root)
    assert audit_rows(world)[-1].outcome == "failure" and not history_path(world.root).exists()


def test_a_rotation_waits_for_a_signature_in_progress(world: World, centre: CentreKey) -> None:
    """A signer holds the key lock from its check that the key is current to its signature: a rotation (in a
    thread, as another process would) waits for it and then retires the key."""
    done: list[object] = []
    rotation = threading.Thread(target=lambda: done.append(rotate_key(world.services.db, ADMIN, world.root)))
    with key_lock(world.root):
        rotation.start()
        time.sleep(0.4)
        assert not done and load_history(history_path(world.root)).current.fingerprint == centre.fingerprint
    rotation.join(10)
    assert done and load_history(history_path(world.root)).current.fingerprint != centre.fingerprint


def test_a_copy_of_the_history_kept_elsewhere_verifies_too(world: World, centre: CentreKey, tmp_path: Path) -> None:
    package = export(world, tmp_path / "pkg")
    rotate_key(world.services.db, ADMIN, world.root)
    published = tmp_path / "court" / "keys.json"
    published.parent.mkdir()
    shutil.copy(history_path(world.root), published)
    raw = json.loads(published.read_text())
    assert all(set(e) == {"fingerprint", "public_key_pem", "active_from", "retired_at", "revoked_at",
                          "revoked_reason"} for e in raw)
    assert "PRIVATE" not in published.read_text()
    result = check_package(package, known_keys=load_history(published))
    assert result.ok and result.signature.key is not None and result.signature.key.fingerprint == centre.fingerprint
