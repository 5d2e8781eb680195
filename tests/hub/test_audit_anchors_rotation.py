"""Audit anchors across key rotations: each anchor is checked against the key that signed it, found in the centre's
key history; a revoked key's anchors are problems naming when and why; an anchor dated after its key was retired
is refused; and the hub's anchorer, running while an admin rotates the key, never signs with a retired key. Real
SQLite files (and PostgreSQL when C4DESK_TEST_PG_URL is set), the real centre key in the data dir."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from c4desk.credentials import lookup_secret
from c4desk.domain.permissions import Actor, Role
from c4desk.evidence.key_admin import revoke_key, rotate_key
from c4desk.evidence.key_history import history_path, iso, load_history
from c4desk.evidence.signing import centre_key, fingerprint, secret_name
from c4desk.hub.audit_anchors import (
    HUB_SIGNER,
    Anchor,
    AuditAnchorer,
    anchors_path,
    check_anchors,
    check_published,
    write_anchor,
)
from c4desk.store.db import Database
from tests.hub.test_audit_anchors import add_records, published_key, wait_for
from tests.store import conftest as store_fixtures

# The database fixtures (SQLite and PostgreSQL) of the store tests.
db, db_url, postgres_url, sqlite_db_url = (store_fixtures.db, store_fixtures.db_url, store_fixtures.postgres_url,
                                           store_fixtures.sqlite_db_url)

ADMIN = Actor("boss", Role.ADMIN, "ws-boss")


def anchor_now(db: Database, data_dir: Path, n: int, start: int) -> Anchor:
    add_records(db, n, start=start)
    anchor = write_anchor(db, centre_key(data_dir), anchors_path(data_dir), by=HUB_SIGNER)
    assert anchor is not None
    return anchor


def line_with(anchor: Anchor, signer: Ed25519PrivateKey, **changes: object) -> str:
    """An anchor line with ``changes``, signed by ``signer`` (the canonical bytes, as the anchorer signs them)."""
    payload = anchor.payload() | changes
    signed = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps(payload | {"signature": base64.b64encode(signer.sign(signed)).decode()})


def test_anchors_before_and_after_rotations_all_verify(db: Database, data_dir: Path) -> None:
    first = anchor_now(db, data_dir, 3, 0)
    rotate_key(db, ADMIN, data_dir)
    second = anchor_now(db, data_dir, 2, 3)
    rotate_key(db, ADMIN, data_dir)
    third = anchor_now(db, data_dir, 1, 5)
    assert len({first.key, second.key, third.key}) == 3
    report = check_published(db, data_dir)
    assert report.ok and report.checked == 3, [str(p) for p in report.problems]
    assert report.newest is not None and report.newest.record_id == third.record_id
    # The current key alone refuses the older anchors: that is why the history is the default.
    alone = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert [p.line for p in alone.problems] == [1, 2]
    assert alone.problems[0].message == f"signed by key {first.key}, not the centre's key {third.key}: refused"


def test_an_anchor_signed_by_a_revoked_key_is_a_problem_naming_why(db: Database, data_dir: Path) -> None:
    old = anchor_now(db, data_dir, 3, 0)
    rotate_key(db, ADMIN, data_dir)
    change = revoke_key(db, ADMIN, data_dir, old.key, "the backup tape with it went missing")
    newer = anchor_now(db, data_dir, 1, 10)
    report = check_published(db, data_dir)
    assert not report.ok and report.checked == 2
    [problem] = report.problems
    assert (problem.line, problem.record_id) == (1, old.record_id)
    assert problem.message == (f"signed by the centre's key {old.key}, which was revoked at {iso(change.at)}: the "
                               "backup tape with it went missing: whoever holds it can sign anything, refused")
    assert report.newest is not None and report.newest.record_id == newer.record_id


def test_forged_anchors_under_the_history_are_refused(db: Database, data_dir: Path) -> None:
    """With a copy of the retired key (kept by a thief before it was deleted): an anchor dated after the retirement
    is refused. Another key claiming a retired key's name, or an unknown key, is refused too."""
    genuine = anchor_now(db, data_dir, 3, 0)
    stolen_pem = lookup_secret(data_dir, secret_name(data_dir))
    assert stolen_pem is not None
    stolen = load_pem_private_key(stolen_pem.encode(), password=None)
    assert isinstance(stolen, Ed25519PrivateKey)
    change = rotate_key(db, ADMIN, data_dir)
    mallory = Ed25519PrivateKey.generate()
    later = change.at + timedelta(seconds=5)
    with anchors_path(data_dir).open("a", encoding="ascii") as f:
        f.write(line_with(genuine, stolen, at=iso(later)) + "\n")  # the stolen copy, dated after the retirement
        f.write(line_with(genuine, mallory, record_id=2) + "\n")  # claims the retired key
        f.write(line_with(genuine, mallory, key=fingerprint(mallory.public_key())) + "\n")
    report = check_published(db, data_dir)
    assert [(p.line, p.message) for p in report.problems] == [
        (2, f"dated {iso(later)}, after its key {genuine.key} was retired at {iso(change.at)} (and its private key "
            "deleted): refused"),
        (3, f"its signature does not match the centre's key {genuine.key}: forged or altered, refused"),
        (4, f"signed by key {fingerprint(mallory.public_key())}, which is not one of the centre's 2 key(s) in its "
            "key history: refused")]
    assert report.newest is not None and report.newest.line == 1


def test_an_unusable_history_leaves_the_anchors_unchecked_never_trusted(db: Database, data_dir: Path) -> None:
    anchor_now(db, data_dir, 2, 0)
    path = history_path(data_dir)
    raw = json.loads(path.read_text())
    raw[0]["fingerprint"] = "ab" * 32
    path.write_text(json.dumps(raw))
    report = check_published(db, data_dir)
    [problem] = report.problems
    assert problem.line is None and str(problem).startswith(
        "anchors: 1 anchor(s) cannot be checked: the centre's key history is unusable: ")
    assert "entry 1: fingerprint: not the fingerprint of its public_key_pem" in problem.message

    path.unlink()  # a data directory from before histories: the published key, as before
    assert check_published(db, data_dir).ok


def test_the_hub_never_signs_with_a_retired_key_while_an_admin_rotates(db: Database, data_dir: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The anchorer loads the key for every anchor and signs under the key lock: rotations in between (three, while
    records keep coming) leave anchors by several keys, each valid for its key and dated before its retirement."""
    add_records(db, 1)
    anchorer = AuditAnchorer(db, data_dir, interval_s=0.01).start()
    try:
        wait_for(lambda: anchorer.written >= 1)
        for round_ in range(3):
            add_records(db, 1, start=10 + round_)
            time.sleep(0.05)
            rotate_key(db, ADMIN, data_dir)  # an audit record too: the head moves, the next tick anchors it
            written = anchorer.written
            wait_for(lambda written=written: anchorer.written > written)
    finally:
        anchorer.stop()
    lines = anchors_path(data_dir).read_text().splitlines()
    keys = {json.loads(line)["key"] for line in lines}
    history = load_history(history_path(data_dir))
    assert len(keys) >= 3 and keys <= {e.fingerprint for e in history.entries}
    report = check_published(db, data_dir)
    assert report.ok and report.checked == len(lines), [str(p) for p in report.problems]
    # A tick that loaded the key just before a rotation is refused at signing and tried again: logged, nothing else.
    refused = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all("signs nothing more" in message for message in refused), refused
