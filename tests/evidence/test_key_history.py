"""The published key history (DATA_DIR/evidence/centre-signing-keys.json): made on the key's first use, migrated from
a data directory that had only centre-signing-key.pub, written atomically and world-readable, and a bad entry
rejects the whole file with a message naming the entry and the field. Real keys, real files."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from c4desk.domain.errors import ValidationError
from c4desk.evidence.key_history import (
    CURRENT,
    RETIRED,
    REVOKED,
    KeyEntry,
    KeyHistory,
    KeyHistoryError,
    history_path,
    load_history,
    parse_history,
    read_history,
    write_history,
)
from c4desk.evidence.signing import (
    SigningKeyError,
    centre_key,
    fingerprint,
    public_key_path,
    public_key_pem,
    secret_name,
)

T1 = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def entry(**changes: Any) -> dict[str, Any]:
    key = Ed25519PrivateKey.generate().public_key()
    return {"fingerprint": fingerprint(key), "public_key_pem": public_key_pem(key).decode(),
            "active_from": "2026-07-01T09:00:00Z", "retired_at": None, "revoked_at": None,
            "revoked_reason": None} | changes


def retired(**changes: Any) -> dict[str, Any]:
    return entry(active_from="2025-07-01T09:00:00Z", retired_at="2026-07-01T09:00:00Z") | changes


def rejected(entries: Any) -> list[str]:
    with pytest.raises(KeyHistoryError) as info:
        parse_history(json.dumps(entries), "keys.json")
    assert str(info.value).startswith("keys.json: ")
    assert isinstance(info.value, ValidationError)
    return [str(e) for e in info.value.errors]


def test_first_use_writes_the_history_with_the_current_key(tmp_path: Path) -> None:
    key = centre_key(tmp_path)
    path = history_path(tmp_path)
    assert path == tmp_path / "evidence" / "centre-signing-keys.json" == key.history_file
    [raw] = json.loads(path.read_text())
    assert raw["fingerprint"] == key.fingerprint and raw["public_key_pem"].encode() == key.public_pem
    assert raw["retired_at"] is None and raw["revoked_at"] is None and raw["revoked_reason"] is None
    assert raw["active_from"].endswith("Z")
    active = datetime.fromisoformat(raw["active_from"])
    assert abs((datetime.now(UTC) - active).total_seconds()) < 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # published: world-readable, owner-writable
    assert not list(path.parent.glob(".*"))  # no temp or lock file left
    history = read_history(tmp_path)
    assert history is not None and history.current.fingerprint == key.fingerprint
    assert history.current.status == CURRENT and history.current.period() == f"since {raw['active_from']}"


def test_a_data_dir_with_only_the_public_key_migrates_on_first_use(tmp_path: Path) -> None:
    """Data directories from before histories existed: the published key becomes the only entry, current since
    the public key file was written."""
    key = centre_key(tmp_path)
    history_path(tmp_path).unlink()
    published_at = datetime(2025, 3, 1, 12, 0, 5, tzinfo=UTC).timestamp()
    os.utime(public_key_path(tmp_path), (published_at, published_at))
    again = centre_key(tmp_path)
    assert again.fingerprint == key.fingerprint and not again.created
    [raw] = json.loads(history_path(tmp_path).read_text())
    assert (raw["fingerprint"], raw["active_from"], raw["retired_at"]) == (key.fingerprint, "2025-03-01T12:00:05Z",
                                                                           None)


def test_a_good_history_reads_back_as_written(tmp_path: Path) -> None:
    old, revoked, current = retired(), retired(revoked_at="2026-08-01T00:00:00+02:00",
                                               revoked_reason=" laptop stolen "), entry()
    history = parse_history(json.dumps([old, revoked, current]))
    assert [e.status for e in history.entries] == [RETIRED, REVOKED, CURRENT]
    assert history.current.fingerprint == current["fingerprint"]
    gone = history.entries[1]
    assert gone.revocation() == "revoked at 2026-07-31T22:00:00Z: laptop stolen"  # UTC, whole seconds, trimmed
    assert history.find(old["fingerprint"].replace(" ", "").upper()) == history.entries[0]
    assert history.find("not a fingerprint") is None
    write_history(tmp_path, history)
    assert load_history(history_path(tmp_path)) == history
    stored = json.loads(history_path(tmp_path).read_text())
    assert stored[1]["revoked_at"] == "2026-07-31T22:00:00Z" and stored[1]["revoked_reason"] == "laptop stolen"


def test_rotated_and_revoked_change_only_what_they_should() -> None:
    first = KeyEntry(fingerprint=entry()["fingerprint"], public_key_pem="", active_from=T1)
    second = KeyEntry(fingerprint=entry()["fingerprint"], public_key_pem="", active_from=T2)
    history = KeyHistory((first,)).rotated(second, T2.replace(microsecond=123456))
    assert [(e.fingerprint, e.retired_at) for e in history.entries] == [(first.fingerprint, T2),
                                                                       (second.fingerprint, None)]
    assert history.current == second
    revoked = history.revoked(first.fingerprint, T2, "leaked")
    assert revoked.entries[0].revoked_reason == "leaked" and revoked.entries[1] == second
    assert history.entries[0].signed_after_retirement(T2.replace(microsecond=999999)) is False  # same second
    assert history.entries[0].signed_after_retirement(datetime(2026, 7, 1, 9, 0, 1, tzinfo=UTC)) is True


def test_a_bad_pem_names_the_entry_and_field() -> None:
    [message] = rejected([entry(), retired(public_key_pem="-----BEGIN PUBLIC KEY-----\nnope\n")])
    assert message.startswith("entry 2: public_key_pem: not a PEM public key")
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    ec_pem = ec_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    assert rejected([entry(public_key_pem=ec_pem)]) == ["entry 1: public_key_pem: not an Ed25519 key"]
    assert rejected([entry(public_key_pem=42)]) == ["entry 1: public_key_pem: expected text: a PEM PUBLIC KEY block"]


def test_a_fingerprint_that_is_not_its_keys_is_rejected() -> None:
    good, other = entry(), entry()
    swapped = good | {"fingerprint": other["fingerprint"]}
    assert rejected([swapped]) == [f"entry 1: fingerprint: not the fingerprint of its public_key_pem (that key's is "
                                   f"{good['fingerprint']})"]
    assert rejected([entry(fingerprint="abcd")]) == [
        "entry 1: fingerprint: expected the key's SHA-256 fingerprint: 64 hex digits (spaces or colons between "
        "groups are fine)"]


def test_times_need_a_zone_and_an_order() -> None:
    assert rejected([entry(active_from="2026-07-01T09:00:00")]) == [
        "entry 1: active_from: '2026-07-01T09:00:00' has no zone: add Z (UTC) or an offset"]
    assert rejected([retired(retired_at="2026-07-01 09:00"), entry()]) == [
        "entry 1: retired_at: '2026-07-01 09:00' has no zone: add Z (UTC) or an offset"]
    assert rejected([retired(retired_at="yesterday"), entry()]) == [
        "entry 1: retired_at: 'yesterday' is not an ISO 8601 time"]
    assert rejected([entry(active_from=None)]) == ["entry 1: active_from: required: an ISO 8601 time with a zone"]
    assert rejected([retired(retired_at="2025-01-01T00:00:00Z"), entry()]) == [
        "entry 1: retired_at: before its active_from (2025-07-01T09:00:00Z)"]


def test_revocations_need_a_reason_and_a_retirement() -> None:
    assert rejected([retired(revoked_at="2026-08-01T00:00:00Z"), entry()]) == [
        "entry 1: revoked_reason: required when the key is revoked: say why"]
    assert rejected([retired(revoked_reason="why not"), entry()]) == [
        "entry 1: revoked_reason: must be null when the key is not revoked"]
    assert rejected([retired(), entry(revoked_at="2026-08-01T00:00:00Z", revoked_reason="leaked")]) == [
        "entry 2: revoked_at: a revoked key must also be retired (retired_at); revoking the current key rotates it"]


def test_the_file_as_a_whole() -> None:
    assert rejected([retired(), retired()]) == [
        "file: no entry is current (every key has a retired_at): exactly one must be"]
    assert rejected([entry(), entry()]) == ["entry 2: retired_at: null, like entry 1's: exactly one key is current"]
    same = entry()
    assert rejected([same | {"retired_at": "2026-08-01T00:00:00Z"}, same]) == [
        "entry 2: fingerprint: the same key as entry 1"]
    missing = entry()
    del missing["revoked_reason"], missing["active_from"]
    assert rejected([missing]) == ["entry 1: active_from: missing", "entry 1: revoked_reason: missing"]
    assert rejected([]) == ["file: expected a JSON list of the centre's keys, at least one"]
    assert rejected({"keys": []}) == ["file: expected a JSON list of the centre's keys, at least one"]
    assert rejected(["a key"]) == ["entry 1: not a JSON object"]
    with pytest.raises(KeyHistoryError, match=r"^keys.json: file: not JSON"):
        parse_history("[{", "keys.json")
    with pytest.raises(KeyHistoryError, match="file: No such file or directory"):
        load_history(Path("/nonexistent/keys.json"))


def test_a_bad_history_in_the_data_dir_stops_signing(tmp_path: Path) -> None:
    """The key is not used while the list of keys that vouches for it is damaged; nothing is rewritten."""
    key = centre_key(tmp_path)
    path = history_path(tmp_path)
    raw = json.loads(path.read_text())
    raw[0]["active_from"] = "2026-07-01T09:00:00"
    path.write_text(json.dumps(raw))
    with pytest.raises(SigningKeyError, match=r"key history is unusable: .*entry 1: active_from: .* has no zone"):
        centre_key(tmp_path)
    with pytest.raises(SigningKeyError, match="entry 1: active_from"):
        key.sign(b"manifest")
    assert json.loads(path.read_text()) == raw
    assert (tmp_path / "secrets" / secret_name(tmp_path)).exists()


def test_a_history_that_would_not_read_back_is_never_written(tmp_path: Path) -> None:
    good = parse_history(json.dumps([entry()]))
    two_current = KeyHistory((*good.entries, *parse_history(json.dumps([entry()])).entries))
    with pytest.raises(KeyHistoryError, match="exactly one key is current"):
        write_history(tmp_path, two_current)
    assert not history_path(tmp_path).exists()
