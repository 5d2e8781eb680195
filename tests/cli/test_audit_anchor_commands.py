"""`c4desk audit anchor` and the anchors part of `c4desk audit verify`, on an isolated data dir with a real SQLite
file: the OK line stays first, the anchors line follows; a rewritten or cut-back chain, a forged anchor and a copy of
the anchors kept elsewhere (`--anchors`, `--key`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from c4desk.cli import main
from c4desk.evidence.key_history import history_path
from c4desk.evidence.signing import fingerprint, public_key_path
from c4desk.hub.audit_anchors import anchors_path, parse_anchor
from c4desk.store.db import Database, sqlite_url
from tests.hub.test_audit_anchors import cut_newest, forged_line, rewrite_history

ADMIN_PW = "admin-password"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def login(monkeypatch: pytest.MonkeyPatch, user: str | None, password: str | None = None) -> None:
    for env, value in (("C4DESK_USER", user), ("C4DESK_PASSWORD", password)):
        if value is None:
            monkeypatch.delenv(env, raising=False)
        else:
            monkeypatch.setenv(env, value)


@pytest.fixture
def anchored(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data dir with an admin "boss" whose `audit anchor` signed the head (record 2: the bootstrap, the logon)."""
    login(monkeypatch, None, ADMIN_PW)
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(data_dir, "audit", "anchor") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("anchored record 2 (2 records) ")
    assert f"appended to {anchors_path(data_dir)}" in captured.err
    login(monkeypatch, None)
    return data_dir


@pytest.fixture
def db(anchored: Path) -> Iterator[Database]:
    """The data dir's database, opened as someone with write access to the file would."""
    database = Database(sqlite_url(anchored / "c4desk.sqlite"))
    try:
        yield database
    finally:
        database.dispose()


def test_anchor_then_verify_prints_ok_then_the_anchors(anchored: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(anchored, "audit", "anchor", "--json") == 0
    written = json.loads(capsys.readouterr().out)
    assert (written["record_id"], written["records"], written["by"]) == (3, 3, "boss")
    assert written["file"] == str(anchors_path(anchored))
    login(monkeypatch, None)
    assert run(anchored, "audit", "verify") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OK: 3 records; head 3 ")
    assert out[1:] == [f"anchors: 2 checked, newest at {written['at']} (record 3)"]


def test_rewritten_history_is_caught_by_the_anchor(anchored: Path, db: Database,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rewrite_history(db, 1, {"note": "someone else was the first admin"})
    assert run(anchored, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "TAMPERED: 1 problem(s) in 2 records"  # the chain itself checks out: only the anchor fails
    assert out[1].startswith("anchors: 1 checked, newest at ")
    assert out[2].startswith("anchor line 1 (record 2): record 2 no longer has the hash anchored at ")
    assert len(out) == 3


def test_cut_back_trail_is_caught_and_chain_problems_come_first(anchored: Path, db: Database,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    cut_newest(db, keep=1)
    assert run(anchored, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    at = json.loads(anchors_path(anchored).read_text())["at"]
    assert out == ["TAMPERED: 1 problem(s) in 1 records", f"anchors: 1 checked, newest at {at} (record 2)",
                   "anchor line 1 (record 2): record 2 is gone (the newest record is now 1): the trail was cut back "
                   f"or records deleted since this anchor of {at}"]


def test_forged_anchor_is_refused(anchored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = anchors_path(anchored)
    genuine, _ = parse_anchor(path.read_text().splitlines()[0])
    mallory = Ed25519PrivateKey.generate()
    with path.open("a") as f:
        f.write(forged_line(genuine, mallory, fingerprint(mallory.public_key()), record_id=1) + "\n")
    assert run(anchored, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "TAMPERED: 1 problem(s) in 2 records"
    assert out[1].startswith("anchors: 2 checked, newest at ") and out[1].endswith("(record 2)")
    assert out[2] == (f"anchor line 2 (record 1): signed by key {fingerprint(mallory.public_key())}, which is not "
                      "one of the centre's 1 key(s) in its key history: refused")


def test_no_anchors_file_still_verifies(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, None, ADMIN_PW)
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0
    capsys.readouterr()
    assert run(data_dir, "audit", "verify") == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and captured.out.startswith("OK: 1 records; head 1 ")
    assert f"note: no anchors: {anchors_path(data_dir)} does not exist" in captured.err


def test_a_copy_kept_elsewhere_and_its_key(anchored: Path, db: Database, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The attacker deletes the data dir's anchors file and public key; the copy on another machine still
    catches the rewrite."""
    safe = tmp_path / "other-machine"
    safe.mkdir()
    shutil.copy(anchors_path(anchored), safe / "anchors.jsonl")
    shutil.copy(public_key_path(anchored), safe / "centre.pub")
    anchors_path(anchored).unlink()
    public_key_path(anchored).unlink()
    rewrite_history(db, 2, {"reason": "all fine"})
    assert run(anchored, "audit", "verify") == 0  # nothing left here to compare with
    capsys.readouterr()
    assert run(anchored, "audit", "verify", "--anchors", str(safe / "anchors.jsonl"),
               "--key", str(safe / "centre.pub")) == 1
    assert "record 2 no longer has the hash anchored at" in capsys.readouterr().out


def test_anchors_without_a_key_to_check_them_fail(anchored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public_key_path(anchored).unlink()  # the key history still holds the key: the anchors are still checked
    assert run(anchored, "audit", "verify") == 0
    capsys.readouterr()
    history_path(anchored).unlink()
    assert run(anchored, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "TAMPERED: 1 problem(s) in 2 records"
    assert out[1] == "anchors: 1 checked, none valid (" + str(anchors_path(anchored)) + ")"
    assert out[2] == (f"anchors: 1 anchor(s) cannot be checked: the centre's public key {public_key_path(anchored)} "
                      "is missing, and so is the key history (give --keys HISTORY or --key FILE)")


def test_bad_options_and_roles(anchored: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run(anchored, "audit", "verify", "--anchors", str(tmp_path / "nowhere.jsonl")) == 2
    assert "--anchors: " in capsys.readouterr().err
    (tmp_path / "bad.pub").write_text("not a key")
    assert run(anchored, "audit", "verify", "--key", str(tmp_path / "bad.pub")) == 2
    assert f"--key: {tmp_path / 'bad.pub'}: not a PEM public key" in capsys.readouterr().err
    login(monkeypatch, "boss", ADMIN_PW)
    monkeypatch.setenv("C4DESK_NEW_PASSWORD", "analyst-password")
    assert run(anchored, "user", "add", "ana", "--role", "analyst") == 0
    login(monkeypatch, "ana", "analyst-password")
    capsys.readouterr()
    assert run(anchored, "audit", "anchor") == 2
    assert "ana (analyst) may not read audit" in capsys.readouterr().err
    assert len(anchors_path(anchored).read_text().splitlines()) == 1
