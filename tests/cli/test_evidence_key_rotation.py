"""`c4desk evidence key --rotate | --revoke FP --reason TEXT`, `evidence verify --keys HISTORY` and `audit verify`
across rotations, end to end through the command line (``c4desk.cli.main``, and once as a separate ``python -m
c4desk`` process): real users logging in, real recordings, real packages, the real key store of the tests (a null
keyring: the owner-only file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from c4desk.credentials import lookup_secret
from c4desk.evidence.key_history import history_path
from c4desk.evidence.signing import public_key_path, secret_name
from c4desk.hub.audit_anchors import anchors_path
from tests.cli.test_case_commands import CASE, PASSWORDS, as_user, out_json, rendered, run, site

__all__ = ["rendered", "site"]  # fixtures of the case commands' tests, used here

REPO = Path(__file__).resolve().parents[2]


def export_package(site: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """An approved clip of the case exported by ana into ``out``; the signing key's fingerprint."""
    as_user(monkeypatch, "ana")
    if run(site, "case", "show", CASE) != 0:
        assert run(site, "case", "create", "--number", CASE, "--type", "shooting") == 0
        assert run(site, "clip", "add", "--case", CASE, "--camera", "cam01", "--start", "2026-07-04T21:00:01Z",
                   "--end", "2026-07-04T21:00:02Z") == 0
        assert run(site, "clip", "submit", "1") == 0
        as_user(monkeypatch, "sam")
        assert run(site, "clip", "review", "1", "--approve") == 0
        as_user(monkeypatch, "ana")
    capsys.readouterr()
    assert run(site, "evidence", "export", CASE, "--out", str(out)) == 0
    return capsys.readouterr().out.splitlines()[-1].removeprefix("signed by the centre's key ")


def key_json(site: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert run(site, "evidence", "key", "--json") == 0
    shown = out_json(capsys)
    assert isinstance(shown, dict)
    return shown


def test_rotate_verify_old_and_new_then_revoke(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    first = export_package(site, tmp_path / "pkg-before", monkeypatch, capsys)
    assert [e["fingerprint"] for e in key_json(site, capsys)["history"]] == [first]  # type: ignore[union-attr]
    old_secret = lookup_secret(site, secret_name(site))

    as_user(monkeypatch, "ana")
    before = {p: p.read_bytes() for p in (public_key_path(site), history_path(site))}
    assert run(site, "evidence", "key", "--rotate") == 2
    assert "ana (analyst) may not manage keys" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in before} == before

    as_user(monkeypatch, "boss")
    assert run(site, "evidence", "key", "--rotate") == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    second = lines[1].removeprefix("fingerprint  ")
    assert second != first and lines[0] == "centre evidence-signing key (Ed25519)"
    assert captured.err.splitlines()[-1] == (f"c4desk: retired {first} (its private key deleted); the centre's key "
                                             f"is now {second}")
    history = json.loads(history_path(site).read_text())
    rotated_at = history[0]["retired_at"]
    assert lines[4].startswith(f"key history  {history_path(site)}  (publish it too")
    assert lines[5:] == [f"  retired  {first}  {history[0]['active_from']} to {rotated_at}",
                         f"  current  {second}  since {rotated_at}"]
    assert lookup_secret(site, secret_name(site)) not in (None, old_secret)  # the old private key is gone

    assert export_package(site, tmp_path / "pkg-after", monkeypatch, capsys) == second
    keys = str(history_path(site))
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-before"), "--keys", keys) == 0
    assert capsys.readouterr().out.splitlines()[1] == (f"signed by the centre's retired key {first} "
                                                       f"({history[0]['active_from']} to {rotated_at})")
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-after"), "--keys", keys) == 0
    assert capsys.readouterr().out.splitlines()[1] == (f"signed by the centre's current key {second} "
                                                       f"(since {rotated_at})")
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-before")) == 0  # no key option: not proven
    assert capsys.readouterr().out.splitlines()[1] == (f"signed by key {first} (not checked against a known key: "
                                                       "pass --key, --fingerprint or --keys)")
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-before"), "--fingerprint", second) == 1
    capsys.readouterr()

    as_user(monkeypatch, "boss")
    assert run(site, "evidence", "key", "--revoke", first, "--reason", "key file found on a shared drive") == 0
    captured = capsys.readouterr()
    revoked_at = json.loads(history_path(site).read_text())[0]["revoked_at"]
    assert f"c4desk: revoked {first} (revoked at {revoked_at}: key file found on a shared drive)" in captured.err
    assert f"  revoked  {first}  {history[0]['active_from']} to {rotated_at}, revoked at {revoked_at}: key file " \
           "found on a shared drive" in captured.out.splitlines()
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-before"), "--keys", keys) == 1
    assert capsys.readouterr().out == (f"signature: manifest.sig: signed by the centre's key {first}, which was "
                                       f"revoked at {revoked_at}: key file found on a shared drive (whoever holds it "
                                       "can sign anything: this signature proves nothing)\n")
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-before"), "--keys", keys, "--json") == 1
    shown = out_json(capsys)
    assert shown["ok"] is False and shown["signature"]["status"] == "revoked"
    assert shown["signature"]["key"] == {"fingerprint": first, "active_from": history[0]["active_from"],
                                         "retired_at": rotated_at, "revoked_at": revoked_at,
                                         "revoked_reason": "key file found on a shared drive", "status": "revoked"}
    assert run(site, "evidence", "verify", str(tmp_path / "pkg-after"), "--keys", keys) == 0
    capsys.readouterr()

    # Revoking the current key rotates it; the JSON says what changed.
    assert run(site, "evidence", "key", "--revoke", second, "--reason", "policy: compromised workstation",
               "--json") == 0
    shown = out_json(capsys)
    third = shown["fingerprint"]
    assert third not in (first, second) and shown["change"]["revoked"]["fingerprint"] == second
    assert shown["change"]["new"]["fingerprint"] == third and shown["change"]["retired"]["fingerprint"] == second
    assert [e["status"] for e in shown["history"]] == ["revoked", "revoked", "current"]
    assert all("public_key_pem" not in e for e in shown["history"])


def test_audit_verify_checks_each_anchor_against_its_own_key(site: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    as_user(monkeypatch, "boss")
    assert run(site, "evidence", "key") == 0
    assert run(site, "audit", "anchor") == 0
    first = json.loads(anchors_path(site).read_text().splitlines()[0])["key"]
    assert run(site, "evidence", "key", "--rotate") == 0
    assert run(site, "audit", "anchor") == 0
    capsys.readouterr()
    monkeypatch.delenv("C4DESK_USER")
    assert run(site, "audit", "verify") == 0  # the key history, by default
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OK: ") and out[1].startswith("anchors: 2 checked, newest at ")
    assert len(out) == 2

    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    shutil.copy(history_path(site), elsewhere / "keys.json")
    shutil.copy(public_key_path(site), elsewhere / "current.pub")
    assert run(site, "audit", "verify", "--keys", str(elsewhere / "keys.json")) == 0
    capsys.readouterr()
    assert run(site, "audit", "verify", "--key", str(elsewhere / "current.pub")) == 1  # one key: the old anchor fails
    assert "anchor line 1 (record " in capsys.readouterr().out

    as_user(monkeypatch, "boss")
    assert run(site, "evidence", "key", "--revoke", first, "--reason", "leaked") == 0
    capsys.readouterr()
    monkeypatch.delenv("C4DESK_USER")
    assert run(site, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("TAMPERED: 1 problem(s) in ")
    assert out[2].startswith("anchor line 1 (record ") and out[2].endswith(
        f"signed by the centre's key {first}, which was revoked at "
        f"{json.loads(history_path(site).read_text())[0]['revoked_at']}: leaked: whoever holds it can sign anything, "
        "refused")


def test_bad_options_and_a_bad_history_file(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    as_user(monkeypatch, "boss")
    assert run(site, "evidence", "key", "--reason", "why") == 2
    assert "--reason goes with --revoke FINGERPRINT" in capsys.readouterr().err
    assert run(site, "evidence", "key", "--revoke", "ab" * 32) == 2
    assert "--revoke needs --reason TEXT" in capsys.readouterr().err
    assert run(site, "evidence", "key", "--revoke", "abcd", "--reason", "x") == 2
    assert "c4desk: fingerprint: expected the key's SHA-256 fingerprint: 64 hex digits" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(site, "evidence", "key", "--rotate", "--revoke", "ab" * 32)
    assert "not allowed with argument" in capsys.readouterr().err

    assert run(site, "evidence", "key") == 0
    capsys.readouterr()
    bad = json.loads(history_path(site).read_text())
    bad[0]["active_from"] = "2026-07-04 21:00:00"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    for command in (["evidence", "verify", str(tmp_path), "--keys"], ["audit", "verify", "--keys"]):
        assert run(site, *command, str(tmp_path / "bad.json")) == 2
        assert capsys.readouterr().err.strip() == (f"c4desk: --keys: {tmp_path / 'bad.json'}: entry 1: active_from: "
                                                   "'2026-07-04 21:00:00' has no zone: add Z (UTC) or an offset")
    assert run(site, "evidence", "verify", str(tmp_path), "--keys", str(tmp_path / "none.json")) == 2
    assert "--keys: " in capsys.readouterr().err


def test_the_installed_entry_point_rotates(site: Path) -> None:
    """The same through ``python -m c4desk`` in its own process, as an admin's shell runs it."""
    env = {**os.environ, "C4DESK_USER": "boss", "C4DESK_PASSWORD": PASSWORDS["boss"]}

    def c4desk(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "c4desk", "--data-dir", str(site), *argv], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    made = c4desk("evidence", "key", "--json")
    assert made.returncode == 0, made.stderr
    rotated = c4desk("evidence", "key", "--rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    shown = json.loads(rotated.stdout)
    assert shown["change"]["retired"]["fingerprint"] == json.loads(made.stdout)["fingerprint"]
    assert shown["fingerprint"] == shown["change"]["new"]["fingerprint"] != shown["change"]["retired"]["fingerprint"]
    refused = subprocess.run([sys.executable, "-m", "c4desk", "--data-dir", str(site), "evidence", "key", "--rotate"],
                             cwd=REPO, env={**env, "C4DESK_USER": "wally", "C4DESK_PASSWORD": PASSWORDS["wally"]},
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "wally (wall_operator) may not manage keys" in refused.stderr
