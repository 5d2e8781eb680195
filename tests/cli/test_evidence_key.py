"""`c4desk evidence key`: the centre's signing-key fingerprint and public key file, made on first use, then kept;
the private key is never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c4desk.cli import main
from c4desk.credentials import lookup_secret
from c4desk.evidence.signing import fingerprint, load_public_key, secret_name


def test_evidence_key_is_made_once_and_shown(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "evidence", "key"]) == 0
    lines = capsys.readouterr().out.splitlines()
    published = data_dir / "evidence" / "centre-signing-key.pub"
    expected = fingerprint(load_public_key(published.read_bytes()))
    history = data_dir / "evidence" / "centre-signing-keys.json"
    assert lines == ["centre evidence-signing key (Ed25519) - made now",
                     f"fingerprint  {expected}",
                     f"public key   {published}  (publish it, with the fingerprint)",
                     f"private key  {data_dir / 'secrets' / secret_name(data_dir)} (owner-only file: no system "
                     "keyring)",
                     f"key history  {history}  (publish it too: `evidence verify --keys` checks old packages with it)",
                     f"  current  {expected}  since {json.loads(history.read_text())[0]['active_from']}"]

    assert main(["--data-dir", str(data_dir), "evidence", "key", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["fingerprint"] == expected and shown["created"] is False
    assert shown["public_key_file"] == str(published) and shown["algorithm"] == "Ed25519"
    assert shown["public_key_pem"].encode() == published.read_bytes()
    assert shown["key_history_file"] == str(history)
    assert shown["history"] == [{"fingerprint": expected, "active_from": lines[-1].rsplit(" ", 1)[1],
                                 "retired_at": None, "revoked_at": None, "revoked_reason": None, "status": "current"}]
    secret = lookup_secret(data_dir, secret_name(data_dir))
    assert secret is not None and secret.strip().splitlines()[1] not in json.dumps(shown)


def test_a_lost_private_key_is_a_clear_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "evidence", "key"]) == 0
    capsys.readouterr()
    (data_dir / "secrets" / secret_name(data_dir)).unlink()
    assert main(["--data-dir", str(data_dir), "evidence", "key"]) == 2
    assert "exists but its private key is in neither the system keyring nor" in capsys.readouterr().err
