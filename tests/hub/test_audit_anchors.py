"""Signed audit anchors: written, checked, and the two attacks an unkeyed chain lets through (a record rewritten with
every later hash recomputed; the newest records cut off) caught by them; forged anchors refused; the hub's periodic
anchor. Real SQLite files (and PostgreSQL when C4DESK_TEST_PG_URL is set), the real centre key in the data dir."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import delete, select

from c4desk.config import Paths, Settings
from c4desk.domain.audit import AuditType, chain_hash
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.evidence.signing import centre_key, fingerprint, load_public_key, public_key_path
from c4desk.hub.audit_anchors import (
    HUB_SIGNER,
    Anchor,
    AuditAnchorer,
    anchor_as,
    anchors_path,
    check_anchors,
    parse_anchor,
    write_anchor,
)
from c4desk.hub.runtime import Hub
from c4desk.hub.services import Services
from c4desk.store.audit_log import AuditLog
from c4desk.store.db import Database, sqlite_url
from c4desk.store.models import AuditEventRow
from tests.store import conftest as store_fixtures

# The database fixtures (SQLite and PostgreSQL) of the store tests.
db, db_url, postgres_url, sqlite_db_url = (store_fixtures.db, store_fixtures.db_url, store_fixtures.postgres_url,
                                           store_fixtures.sqlite_db_url)

ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
SUPERVISOR = Actor("sup", Role.SUPERVISOR, "ws-sup")


def add_records(db: Database, n: int, start: int = 0) -> None:
    audit = AuditLog(db, "ws-test")
    for i in range(start, start + n):
        audit.record(ANALYST, event_type=AuditType.VIEW_LIVE, object=f"camera:cam{i:02d}", detail={"n": i})


def rewrite_history(db: Database, row_id: int, detail: dict[str, Any]) -> None:
    """The attack an unkeyed chain cannot see: change one record, then recompute its hash and every later record's
    prev_hash and hash with the public chain function, so the whole chain checks out again."""
    with db.session(write=True) as s:
        rows = list(s.scalars(select(AuditEventRow).where(AuditEventRow.id >= row_id).order_by(AuditEventRow.id)))
        prev = s.scalar(select(AuditEventRow.hash).where(AuditEventRow.id < row_id)
                        .order_by(AuditEventRow.id.desc()).limit(1)) or ""
        rows[0].detail = detail
        for row in rows:
            row.prev_hash = prev
            row.hash = chain_hash(at=row.at, username=row.username, workstation=row.workstation,
                                  event_type=row.event_type, object=row.object, outcome=row.outcome,
                                  detail=dict(row.detail), prev_hash=prev)
            prev = row.hash
            s.flush()  # one row at a time: the hash column is unique


def cut_newest(db: Database, keep: int) -> None:
    """The other attack: delete the newest records; what is left is a consistent chain."""
    with db.session(write=True) as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.id > keep))


def published_key(data_dir: Path) -> Ed25519PublicKey:
    return load_public_key(public_key_path(data_dir).read_bytes())


@pytest.fixture
def anchored(db: Database, data_dir: Path) -> Anchor:
    """Six records, anchored by the centre's key into the data dir's anchors file."""
    add_records(db, 6)
    anchor = write_anchor(db, centre_key(data_dir), anchors_path(data_dir), by=HUB_SIGNER)
    assert anchor is not None
    return anchor


def test_head_is_the_newest_record_and_the_count(db: Database) -> None:
    audit = AuditLog(db)
    assert audit.head() is None
    add_records(db, 3)
    head = audit.head()
    assert head is not None
    assert (head.record_id, head.records) == (3, 3) and head.hash == audit.verify_report().head_hash
    assert audit.hashes([3, 1, 99, 1]) == {r.id: r.hash for r in audit_rows(db) if r.id in (1, 3)}


def audit_rows(db: Database) -> list[AuditEventRow]:
    with db.session() as s:
        return list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))


def test_anchor_is_one_signed_line_that_verifies(anchored: Anchor, db: Database, data_dir: Path) -> None:
    path = anchors_path(data_dir)
    lines = path.read_text(encoding="ascii").splitlines()
    assert len(lines) == 1
    raw = json.loads(lines[0])
    head = AuditLog(db).head()
    assert head is not None
    assert (raw["record_id"], raw["hash"], raw["records"], raw["by"]) == (6, head.hash, 6, "hub")
    assert raw["key"] == centre_key(data_dir).fingerprint == fingerprint(published_key(data_dir))
    assert raw["at"].endswith("Z") and len(base64.b64decode(raw["signature"])) == 64
    parsed, _signed = parse_anchor(lines[0], 1)
    assert (parsed.record_id, parsed.hash, parsed.at) == (anchored.record_id, anchored.hash, anchored.at)

    add_records(db, 2, start=6)  # records after the anchor are fine: the anchor vouches for 1-6
    report = check_anchors(db, path, published_key(data_dir))
    assert report.ok and report.present and report.checked == 1
    assert report.newest is not None and report.newest.record_id == 6
    assert report.summary() == f"anchors: 1 checked, newest at {raw['at']} (record 6)"


def test_empty_trail_writes_no_anchor(db: Database, data_dir: Path) -> None:
    assert write_anchor(db, centre_key(data_dir), anchors_path(data_dir), by="hub") is None
    assert not anchors_path(data_dir).exists()


def test_rewrite_with_recomputed_hashes_passes_the_chain_but_not_the_anchor(anchored: Anchor, db: Database,
                                                                            data_dir: Path) -> None:
    rewrite_history(db, 3, {"note": "nothing to see"})
    assert AuditLog(db).verify() == []  # the attack that passed before
    report = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert [(p.line, p.record_id) for p in report.problems] == [(1, 6)]
    assert "record 6 no longer has the hash anchored at" in str(report.problems[0])
    assert "the trail up to it was rewritten" in str(report.problems[0])
    assert str(report.problems[0]).startswith("anchor line 1 (record 6): ")


def test_cut_newest_records_caught_even_when_new_ones_fill_the_gap(anchored: Anchor, db: Database,
                                                                     data_dir: Path) -> None:
    cut_newest(db, keep=4)
    assert AuditLog(db).verify() == []  # a shorter chain is still a consistent chain
    report = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert [(p.line, p.record_id) for p in report.problems] == [(1, 6)]
    assert "record 6 is gone (the newest record is now 4): the trail was cut back" in report.problems[0].message

    # Covering it up with fresh records: on SQLite they even take ids 5 and 6 again, but not the anchored hash.
    add_records(db, 2, start=100)
    again = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert [p.record_id for p in again.problems] == [6] and not again.ok


def test_deleted_records_before_the_anchor_show_in_the_count(anchored: Anchor, db: Database,
                                                             data_dir: Path) -> None:
    with db.session(write=True) as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.id == 2))
    report = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert [p.record_id for p in report.problems] == [6]
    assert "5 records now, 6 when anchored" in report.problems[0].message


def forged_line(anchor: Anchor, key: Ed25519PrivateKey, claimed_key: str, **changes: Any) -> str:
    payload = anchor.payload() | changes | {"key": claimed_key}
    signed = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps(payload | {"signature": base64.b64encode(key.sign(signed)).decode()})


def test_forged_and_altered_anchors_are_refused(anchored: Anchor, db: Database, data_dir: Path) -> None:
    path = anchors_path(data_dir)
    mallory = Ed25519PrivateKey.generate()
    theirs = fingerprint(mallory.public_key())
    centre = anchored.key
    altered = json.loads(anchored.to_line()) | {"records": 3}
    with path.open("a", encoding="ascii") as f:
        f.write(forged_line(anchored, mallory, theirs, record_id=4) + "\n")  # their own key
        f.write(forged_line(anchored, mallory, centre, record_id=4) + "\n")  # claims the centre's key
        f.write(json.dumps(altered) + "\n")  # a genuine line with a field changed
        f.write("not json at all\n")
        f.write(json.dumps({"v": 1, "record_id": 1}) + "\n")
    report = check_anchors(db, path, published_key(data_dir))
    assert [(p.line, p.record_id) for p in report.problems] == [(2, 4), (3, 4), (4, 6), (5, None), (6, None)]
    messages = [p.message for p in report.problems]
    assert messages[0] == f"signed by key {theirs}, not the centre's key {centre}: refused"
    assert messages[1] == messages[2] == "its signature does not match the centre's key: forged or altered, refused"
    assert messages[3].startswith("not an anchor: not JSON")
    assert messages[4] == "not an anchor: missing hash, records, at, by, key, signature"
    assert report.checked == 6 and report.newest is not None and report.newest.line == 1


def test_missing_file_and_missing_key(db: Database, data_dir: Path) -> None:
    add_records(db, 2)
    report = check_anchors(db, anchors_path(data_dir), None)
    assert report.ok and not report.present and report.checked == 0
    assert report.summary() == f"no anchors: {anchors_path(data_dir)} does not exist"

    write_anchor(db, centre_key(data_dir), anchors_path(data_dir), by="hub")
    unchecked = check_anchors(db, anchors_path(data_dir), None, no_key_reason="the key file is gone")
    assert [str(p) for p in unchecked.problems] == ["anchors: 1 anchor(s) cannot be checked: the key file is gone"]


def test_a_torn_last_line_spoils_only_itself(anchored: Anchor, db: Database, data_dir: Path) -> None:
    path = anchors_path(data_dir)
    with path.open("a", encoding="ascii") as f:
        f.write('{"v":1,"record_id":6,"ha')  # a crash in the middle of a write
    add_records(db, 1, start=6)
    assert write_anchor(db, centre_key(data_dir), path, by="hub") is not None
    report = check_anchors(db, path, published_key(data_dir))
    assert [(p.line, p.message[:14]) for p in report.problems] == [(2, "not an anchor:")]
    assert report.newest is not None and (report.newest.line, report.newest.record_id) == (3, 7)


def test_people_anchor_with_read_audit_and_a_refusal_is_audited(db: Database, data_dir: Path) -> None:
    add_records(db, 2)
    with pytest.raises(PermissionDenied):
        anchor_as(db, ANALYST, data_dir)
    assert not anchors_path(data_dir).exists()
    denied = audit_rows(db)[-1]
    assert (denied.event_type, denied.username, denied.detail["action"]) == ("permission_denied", "ana", "read_audit")
    anchor = anchor_as(db, SUPERVISOR, data_dir)
    assert anchor is not None and anchor.by == "sup" and anchor.record_id == denied.id
    assert len(audit_rows(db)) == 3  # the anchor itself adds no record: it would move the head it signs


def test_anchorer_anchors_on_start_every_interval_and_on_stop(db: Database, data_dir: Path) -> None:
    add_records(db, 1)
    anchorer = AuditAnchorer(db, data_dir, interval_s=0.05).start()
    try:
        wait_for(lambda: anchorer.written >= 1)
        add_records(db, 2, start=1)
        wait_for(lambda: anchorer.last is not None and anchorer.last.record_id == 3)
        written = anchorer.written
        time.sleep(0.25)  # several quiet ticks: the head has not moved, so no new lines
        assert anchorer.written == written
        add_records(db, 1, start=3)
    finally:
        anchorer.stop()
    assert anchorer.last is not None and anchorer.last.record_id == 4  # the anchor at stop, whichever wrote it
    report = check_anchors(db, anchors_path(data_dir), published_key(data_dir))
    assert report.ok and report.checked == anchorer.written
    anchored_ids = [json.loads(line)["record_id"] for line in anchors_path(data_dir).read_text().splitlines()]
    assert anchored_ids[0] == 1 and anchored_ids[-1] == 4 and 3 in anchored_ids
    assert anchored_ids == sorted(set(anchored_ids))  # each head once


def test_anchorer_with_interval_zero_anchors_only_at_stop(db: Database, data_dir: Path) -> None:
    add_records(db, 2)
    anchorer = AuditAnchorer(db, data_dir, interval_s=0).start()
    time.sleep(0.1)
    assert not anchors_path(data_dir).exists()
    anchorer.stop()
    assert anchorer.written == 1 and anchorer.last is not None and anchorer.last.record_id == 2


def test_anchorer_survives_an_unusable_key(db: Database, data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A published public key whose private key is gone: no new key is made, the hub logs it and keeps going."""
    add_records(db, 1)
    public = public_key_path(data_dir)
    public.parent.mkdir(parents=True)
    public.write_bytes(centre_key(data_dir / "elsewhere").public_pem)
    anchorer = AuditAnchorer(db, data_dir, interval_s=0)
    anchorer.stop()
    assert anchorer.written == 0 and not anchors_path(data_dir).exists()
    assert "audit anchor not written" in caplog.text and "private key" in caplog.text


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


@pytest.fixture
def services(data_dir: Path) -> Iterator[Services]:
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        yield services
    finally:
        services.close()


def test_the_hub_anchors_periodically_and_when_it_stops(services: Services, data_dir: Path) -> None:
    settings = Settings()
    settings.hub.listen = "127.0.0.1:0"
    settings.audit.anchor_minutes = 0.002  # 120 ms
    add_records(services.db, 2)
    hub = Hub(services, settings, Paths(data_dir))
    hub.start()
    try:
        assert hub.anchorer is not None
        anchorer = hub.anchorer
        wait_for(lambda: anchorer.written >= 1)
        add_records(services.db, 1, start=2)
        wait_for(lambda: anchorer.last is not None and anchorer.last.record_id == 3)
        add_records(services.db, 1, start=3)
    finally:
        hub.stop()
    assert hub.anchorer is None
    lines = anchors_path(data_dir).read_text().splitlines()
    assert [json.loads(line)["record_id"] for line in lines] == [2, 3, 4]  # start, a tick, the stop
    report = check_anchors(services.db, anchors_path(data_dir), published_key(data_dir))
    assert report.ok and report.newest is not None and report.newest.record_id == 4


def test_the_interval_setting() -> None:
    assert Settings().audit.anchor_minutes == 10.0
    assert Settings.model_validate({"audit": {"anchor_minutes": 0}}).audit.anchor_minutes == 0
    with pytest.raises(ValidationError) as info:
        Settings.model_validate({"audit": {"anchor_minutes": -1}})
    assert info.value.errors()[0]["loc"] == ("audit", "anchor_minutes")


def test_every_anchor_goes_to_the_copies_too_and_an_unreachable_copy_is_skipped(
        db: Database, data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    share = tmp_path / "share" / "anchors.jsonl"  # made on first use, like the data directory's own file
    not_a_folder = tmp_path / "unmounted"
    not_a_folder.write_text("a file where a share's folder should be")
    away = not_a_folder / "anchors.jsonl"
    add_records(db, 2)
    anchorer = AuditAnchorer(db, data_dir, interval_s=0, copies=[share, away])
    anchorer.anchor()
    add_records(db, 1, start=2)
    anchorer.stop()
    assert anchorer.written == 2 and anchorer.copy_failures == 2  # the unreachable copy missed both
    assert share.read_text() == anchors_path(data_dir).read_text()
    assert "audit anchor not copied to" in caplog.text and str(away) in caplog.text
    # The data directory's anchors file deleted with a cut-back trail: the copy still catches the cut.
    anchors_path(data_dir).unlink()
    cut_newest(db, keep=2)
    report = check_anchors(db, share, published_key(data_dir))
    assert [(p.line, p.record_id) for p in report.problems] == [(2, 3)], report.summary()
    assert "record 3 is gone" in report.problems[0].message


def test_the_hub_writes_the_copies_the_settings_name(services: Services, data_dir: Path, tmp_path: Path) -> None:
    settings = Settings.model_validate({"hub": {"listen": "127.0.0.1:0"}, "audit": {
        "anchor_minutes": 0, "anchor_copies": [str(tmp_path / "usb" / "anchors.jsonl")]}})
    add_records(services.db, 3)
    hub = Hub(services, settings, Paths(data_dir))
    hub.start()
    hub.stop()
    copy = tmp_path / "usb" / "anchors.jsonl"
    assert copy.read_text() == anchors_path(data_dir).read_text() != ""
    assert check_anchors(services.db, copy, published_key(data_dir)).ok
