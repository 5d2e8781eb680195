"""`c4desk user ...` and `c4desk audit ...` on an isolated data dir: bootstrap, logins from the environment or a
prompt, admin-only changes, audit list and verify (a row edited in the SQLite file is named)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from c4desk.cli import main

ADMIN_PW = "admin-password"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def login(monkeypatch: pytest.MonkeyPatch, user: str | None, password: str | None,
          new_password: str | None = None) -> None:
    for env, value in (("C4DESK_USER", user), ("C4DESK_PASSWORD", password), ("C4DESK_NEW_PASSWORD", new_password)):
        if value is None:
            monkeypatch.delenv(env, raising=False)
        else:
            monkeypatch.setenv(env, value)


@pytest.fixture
def admin(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data dir whose first user, the admin "boss", was bootstrapped from C4DESK_PASSWORD."""
    login(monkeypatch, None, ADMIN_PW)
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0
    assert "first administrator boss created" in capsys.readouterr().err
    return data_dir


def users_json(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(data_dir, "user", "list", "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_bootstrap_needs_an_admin_and_happens_once(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, None, ADMIN_PW)
    assert run(data_dir, "user", "add", "ana", "--role", "analyst") == 2
    assert "first one must be an admin (--role admin)" in capsys.readouterr().err
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0
    capsys.readouterr()
    # Now there is a user, the same command without a login is refused.
    assert run(data_dir, "user", "add", "other", "--role", "admin") == 2
    assert "this command needs a login: give --user NAME or set C4DESK_USER" in capsys.readouterr().err


def test_bootstrap_password_typed_twice(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, None, None)
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 2  # no terminal, no variable
    assert "no password: set C4DESK_PASSWORD or run the command in a terminal" in capsys.readouterr().err
    # A terminal: the prompts are answered (getpass replaced, as a person typing would).
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    typed = iter(["first-try", "second-try", ADMIN_PW, ADMIN_PW])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0
    assert users_json(data_dir, monkeypatch, capsys)[0]["username"] == "boss"


def test_admin_adds_users_from_the_environment(admin: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", ADMIN_PW, new_password="analyst-password")
    assert run(admin, "user", "add", "ana", "--role", "analyst") == 0
    assert "user ana added (analyst)" in capsys.readouterr().err
    login(monkeypatch, None, ADMIN_PW, new_password="wall-password")
    assert run(admin, "user", "add", "wally", "--role", "wall_operator", "--user", "boss") == 0
    listed = users_json(admin, monkeypatch, capsys)
    assert [(u["username"], u["role"], u["active"]) for u in listed] == [
        ("ana", "analyst", True), ("boss", "admin", True), ("wally", "wall_operator", True)]
    # The analyst logs in with her own password, and may not add users.
    login(monkeypatch, "ana", "analyst-password", new_password="another-password")
    assert run(admin, "user", "add", "eve", "--role", "admin") == 2
    assert "ana (analyst) may not manage users" in capsys.readouterr().err


def test_bad_login_and_bad_role(admin: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", "wrong-password")
    assert run(admin, "user", "list") == 2
    assert "login as boss failed: unknown user name or wrong password" in capsys.readouterr().err
    login(monkeypatch, "boss", ADMIN_PW)
    with pytest.raises(SystemExit) as info:
        run(admin, "user", "role", "boss", "chief")
    assert info.value.code == 2
    assert "unknown role 'chief'" in capsys.readouterr().err


def test_role_password_disable(admin: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", ADMIN_PW, new_password="analyst-password")
    assert run(admin, "user", "add", "ana", "--role", "analyst") == 0
    assert run(admin, "user", "role", "ana", "supervisor") == 0
    assert "ana is now supervisor" in capsys.readouterr().err
    # Her own password: the login password is the old one.
    login(monkeypatch, "ana", "analyst-password", new_password="changed-password")
    assert run(admin, "user", "passwd", "ana") == 0
    login(monkeypatch, "ana", "analyst-password")
    assert run(admin, "audit", "list") == 2
    assert "login as ana failed" in capsys.readouterr().err
    login(monkeypatch, "ana", "changed-password")
    assert run(admin, "audit", "list") == 0
    capsys.readouterr()
    # Someone else's password without being an admin: refused.
    login(monkeypatch, "ana", "changed-password", new_password="hijacked-password")
    assert run(admin, "user", "passwd", "boss") == 2
    assert "may not manage users" in capsys.readouterr().err
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(admin, "user", "disable", "ana") == 0
    assert [u["active"] for u in users_json(admin, monkeypatch, capsys) if u["username"] == "ana"] == [False]
    login(monkeypatch, "ana", "changed-password")
    assert run(admin, "audit", "list") == 2
    assert "account ana is disabled" in capsys.readouterr().err
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(admin, "user", "enable", "ana") == 0


def test_audit_list_json_csv_and_filters(admin: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "nobody", "whatever")
    assert run(admin, "user", "list") == 2
    login(monkeypatch, "boss", ADMIN_PW)
    assert run(admin, "audit", "list", "--json", "--type", "logon") == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["username"], r["outcome"]) for r in records] == [("boss", "success"), ("nobody", "failure")]
    assert records[1]["detail"] == {"reason": "unknown user"}
    assert run(admin, "audit", "list", "--csv", "--who", "boss", "--since", "2000-01-01T00:00Z") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    kinds = [r["event_type"] for r in rows]
    assert kinds == ["user_change", "logon", "audit_read", "logon"]  # oldest first
    with pytest.raises(SystemExit) as info:
        run(admin, "audit", "list", "--since", "2026-07-04T21:00")
    assert info.value.code == 2
    assert "'2026-07-04T21:00' has no zone; add Z or an offset" in capsys.readouterr().err


def test_audit_verify_ok_and_tampered(admin: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", "wrong-password")
    assert run(admin, "user", "list") == 2
    login(monkeypatch, None, None)
    assert run(admin, "audit", "verify") == 0
    assert capsys.readouterr().out.startswith("OK: 2 records; head 2 ")
    with sqlite3.connect(admin / "c4desk.sqlite") as conn:
        conn.execute("UPDATE audit_events SET outcome = 'success' WHERE id = 2")
    assert run(admin, "audit", "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["TAMPERED: 1 problem(s) in 2 records",
                   "row 2: changed: its fields no longer match its hash (edited or forged)"]


def test_audit_list_needs_read_audit(admin: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    login(monkeypatch, "boss", ADMIN_PW, new_password="wall-password")
    assert run(admin, "user", "add", "wally", "--role", "wall_operator") == 0
    login(monkeypatch, "wally", "wall-password")
    assert run(admin, "audit", "list") == 2
    assert "wally (wall_operator) may not read audit" in capsys.readouterr().err
