"""`c4desk cameras login` on an isolated data dir: real SQLite, the real secret store (the tests' null keyring, so
the owner-only file), the site imported the way an administrator does it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.credentials import camera_login
from c4desk.domain.permissions import Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.store.models import AuditEventRow
from tests.cli.conftest import SITE_ADMIN, SITE_ADMIN_PASSWORD

SITE = ("id,name,lat,lon,stream_main,credential_ref\n"
        "cam1,Main & 1st,41.766,-72.675,rtsp://127.0.0.1:8554/cam1,\n"
        "cam2,Tower,41.767,-72.676,rtsp://127.0.0.1:8554/cam2,site-cam2\n")
CAMERA_PASSWORD = "Kp4 p@ss:w/rd%#é"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


@pytest.fixture
def site(data_dir: Path, site_admin: str, tmp_path: Path) -> None:
    path = tmp_path / "site.csv"
    path.write_text(SITE)
    assert run(data_dir, "site", "import", str(path)) == 0


def open_services(data_dir: Path) -> Services:
    return Services.open(sqlite_url(Paths(data_dir).database), recordings_root=Paths(data_dir).recordings_dir)


def audit_texts(data_dir: Path) -> list[str]:
    services = open_services(data_dir)
    try:
        with services.db.session() as s:
            return [json.dumps([r.event_type, r.object, r.outcome, r.detail], ensure_ascii=False)
                    for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]
    finally:
        services.close()


def test_an_admin_gives_a_camera_its_login(data_dir: Path, site: None, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    monkeypatch.setenv("C4DESK_CAMERA_PASSWORD", CAMERA_PASSWORD)
    assert run(data_dir, "cameras", "login", "cam1", "--camera-user", "viewer", "--json") == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"camera_id": "cam1", "credential_ref": "camera-cam1", "user": "viewer",
                               "credential_ref_created": True}
    assert camera_login(data_dir, "camera-cam1") == ("viewer", CAMERA_PASSWORD)
    # The site file's own credential_ref is used as it is.
    assert run(data_dir, "cameras", "login", "cam2", "--camera-user", "root") == 0
    out2, err2 = capsys.readouterr()
    assert out2.strip() == "login for camera cam2 stored as 'site-cam2' (user root)"
    assert camera_login(data_dir, "site-cam2") == ("root", CAMERA_PASSWORD)
    assert run(data_dir, "cameras", "list", "--json") == 0
    listed = {c["id"]: c["credential_ref"] for c in json.loads(capsys.readouterr().out)}
    assert listed == {"cam1": "camera-cam1", "cam2": "site-cam2"}
    audit = audit_texts(data_dir)
    assert any('"set_login"' in a and "camera:cam1" in a and '"success"' in a for a in audit)
    for text in (out, err, out2, err2, *audit):
        assert CAMERA_PASSWORD not in text and "Kp4" not in text


def test_the_command_is_refused_to_an_analyst_and_for_an_unknown_camera(
        data_dir: Path, site: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    services = open_services(data_dir)
    try:
        admin = services.users.authenticate(SITE_ADMIN, SITE_ADMIN_PASSWORD, workstation="t")
        services.users.add(admin, "ana", "analyst-password", Role.ANALYST)
    finally:
        services.close()
    monkeypatch.setenv("C4DESK_CAMERA_PASSWORD", CAMERA_PASSWORD)
    monkeypatch.setenv("C4DESK_USER", "ana")
    monkeypatch.setenv("C4DESK_PASSWORD", "analyst-password")
    capsys.readouterr()
    assert run(data_dir, "cameras", "login", "cam1", "--camera-user", "viewer") == 2
    assert "ana (analyst) may not edit cameras" in capsys.readouterr().err
    assert camera_login(data_dir, "camera-cam1") is None
    monkeypatch.setenv("C4DESK_USER", SITE_ADMIN)
    monkeypatch.setenv("C4DESK_PASSWORD", SITE_ADMIN_PASSWORD)
    assert run(data_dir, "cameras", "login", "nope", "--camera-user", "viewer") == 2
    assert "camera_id: no camera 'nope'" in capsys.readouterr().err
    assert run(data_dir, "cameras", "login", "cam1", "--camera-user", "vie:wer") == 2
    err = capsys.readouterr().err
    assert "user: must not contain ':'" in err and CAMERA_PASSWORD not in err


def test_without_a_password_or_a_terminal_it_says_how_to_give_one(data_dir: Path, site: None,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("C4DESK_CAMERA_PASSWORD", raising=False)
    capsys.readouterr()
    assert run(data_dir, "cameras", "login", "cam1", "--camera-user", "viewer") == 2
    assert "C4DESK_CAMERA_PASSWORD" in capsys.readouterr().err
    assert camera_login(data_dir, "camera-cam1") is None
