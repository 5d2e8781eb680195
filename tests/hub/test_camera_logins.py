"""Storing a camera's login: administrators only, audited without the password, bad input refused by field.

Real databases (SQLite, and PostgreSQL when C4DESK_TEST_PG_URL is set) and the real secret store (the tests' null
keyring, so the owner-only file under DATA_DIR/secrets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from c4desk.credentials import camera_login, put_secret
from c4desk.domain.camera import Camera
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CamerasChanged
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.hub.camera_logins import default_credential_ref, set_camera_login
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow
from tests.store import conftest as store_fixtures

db, db_url, postgres_url, sqlite_db_url = (store_fixtures.db, store_fixtures.db_url, store_fixtures.postgres_url,
                                           store_fixtures.sqlite_db_url)

ADMIN = Actor("ada", Role.ADMIN, "ws-admin")
ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
PASSWORD = "Xy8 p@ss:w/rd%#é"


@pytest.fixture
def cameras(db: Database) -> CameraRepository:
    repo = CameraRepository(db, EventBus())
    repo.upsert_many([Camera("cam07", "Main & 1st", 41.76, -72.67, stream_main="rtsp://10.0.0.7/axis-media/media.amp"),
                      Camera("ptz01", "Tower", 41.77, -72.68, credential_ref="site-ptz01")])
    return repo


def audit_rows(db: Database) -> list[AuditEventRow]:
    with db.session() as s:
        return list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))


def assert_no_password_in_audit(db: Database) -> None:
    for row in audit_rows(db):
        text = json.dumps([row.object, row.detail], ensure_ascii=False)
        assert PASSWORD not in text and "Xy8" not in text, text


def test_an_admin_stores_a_login_and_the_camera_gets_a_credential_ref(db: Database, cameras: CameraRepository,
                                                                      data_dir: Path) -> None:
    changed: list[CamerasChanged] = []
    bus = EventBus()
    bus.subscribe(CamerasChanged, changed.append)
    repo = CameraRepository(db, bus)
    stored = set_camera_login(db, repo, ADMIN, data_dir, "cam07", "viewer", PASSWORD)
    assert stored.as_dict() == {"camera_id": "cam07", "credential_ref": "camera-cam07", "user": "viewer",
                                "credential_ref_created": True}
    camera = repo.get("cam07")
    assert camera is not None and camera.credential_ref == default_credential_ref("cam07") == "camera-cam07"
    assert camera_login(data_dir, camera.credential_ref) == ("viewer", PASSWORD)
    assert changed and "cam07" in changed[-1].updated  # walls and recorders reconnect with the login
    rows = audit_rows(db)
    login = next(r for r in rows if r.detail.get("action") == "set_login")
    assert (login.username, login.event_type, login.object, login.outcome) == ("ada", "privileged", "camera:cam07",
                                                                               "success")
    assert login.detail == {"action": "set_login", "credential_ref": "camera-cam07", "user": "viewer"}
    assert_no_password_in_audit(db)


def test_a_credential_ref_from_the_site_file_is_kept_and_a_login_replaced(db: Database, cameras: CameraRepository,
                                                                          data_dir: Path) -> None:
    put_secret(data_dir, "site-ptz01", "old:old-password")
    stored = set_camera_login(db, cameras, ADMIN, data_dir, "ptz01", "root", PASSWORD)
    assert (stored.credential_ref, stored.ref_created) == ("site-ptz01", False)
    assert camera_login(data_dir, "site-ptz01") == ("root", PASSWORD)
    assert not [r for r in audit_rows(db) if r.detail.get("action") == "site_import"]  # the camera was not edited


def test_only_those_who_may_edit_cameras_store_logins(db: Database, cameras: CameraRepository,
                                                      data_dir: Path) -> None:
    with pytest.raises(PermissionDenied):
        set_camera_login(db, cameras, ANALYST, data_dir, "cam07", "viewer", PASSWORD)
    assert camera_login(data_dir, "camera-cam07") is None
    camera = cameras.get("cam07")
    assert camera is not None and camera.credential_ref == ""
    (denied,) = audit_rows(db)
    assert (denied.username, denied.event_type, denied.object, denied.outcome) == (
        "ana", "permission_denied", "camera:cam07", "failure")
    assert_no_password_in_audit(db)


@pytest.mark.parametrize(("camera_id", "user", "password", "field"), [
    ("nope", "viewer", PASSWORD, "camera_id"),
    ("cam07", "", PASSWORD, "user"),
    ("cam07", "vie:wer", PASSWORD, "user"),
    ("cam07", "viewer", "", "password"),
    ("cam07", "viewer", f" {PASSWORD}", "password"),
    ("cam07", "viewer", f"{PASSWORD}\n", "password"),
], ids=["unknown-camera", "no-user", "colon-in-user", "no-password", "padded-password", "newline-in-password"])
def test_bad_input_is_refused_by_field_stored_nowhere_and_audited(db: Database, cameras: CameraRepository,
                                                                  data_dir: Path, camera_id: str, user: str,
                                                                  password: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        set_camera_login(db, cameras, ADMIN, data_dir, camera_id, user, password)
    assert [e.field for e in refused.value.errors] == [field]
    assert not (data_dir / "secrets").exists() or not any((data_dir / "secrets").iterdir())
    (failure,) = audit_rows(db)
    assert (failure.event_type, failure.outcome, failure.detail["action"]) == ("privileged", "failure", "set_login")
    assert_no_password_in_audit(db)


def test_a_credential_ref_that_is_a_path_is_refused(db: Database, data_dir: Path) -> None:
    repo = CameraRepository(db)
    repo.upsert_many([Camera("cam09", "Odd", 41.76, -72.67, credential_ref="../settings.json")])
    with pytest.raises(ValidationError) as refused:
        set_camera_login(db, repo, ADMIN, data_dir, "cam09", "viewer", PASSWORD)
    assert [e.field for e in refused.value.errors] == ["credential_ref"]
    assert not (data_dir / "settings.json").exists()
