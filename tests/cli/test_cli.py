"""The command line on an isolated data dir: import, list, upgrade, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.domain.permissions import Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.store.migrate import head_revision
from c4desk.store.models import AuditEventRow

GOOD = (
    "id,name,lat,lon,heading_deg,fov_deg,range_m,kind,serial,stream_main\n"
    "c1,Main & Pearl,41.765,-72.673,90,60,150,fixed,S1,rtsp://127.0.0.1:8554/c1\n"
    "c2,LPR Asylum,41.766,-72.672,270,30,40,lpr,S2,rtsp://127.0.0.1:8554/c2\n"
)


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def test_import_then_list_json(data_dir: Path, site_admin: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.csv"
    site.write_text(GOOD)
    assert run(data_dir, "site", "import", str(site), "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"created": 2, "updated": 0, "skipped_rows": 0}
    assert run(data_dir, "cameras", "list", "--json") == 0
    cams = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in cams] == ["c1", "c2"]
    assert set(cams[0]) == {"id", "name", "lat", "lon", "heading_deg", "fov_deg", "range_m", "kind", "serial",
                            "stream_main", "stream_sub", "ptz_protocol", "ptz_url", "credential_ref", "owner",
                            "contact", "enabled"}
    assert cams[1]["kind"] == "lpr"


def test_reimport_updates_by_id(data_dir: Path, site_admin: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.csv"
    site.write_text(GOOD)
    run(data_dir, "site", "import", str(site))
    site.write_text(GOOD.replace("Main & Pearl", "Main & Pearl (moved)"))
    assert run(data_dir, "site", "import", str(site), "--json") == 0
    out = capsys.readouterr().out
    # Only the camera that changed counts as updated; the unchanged one is left alone.
    assert json.loads(out[out.index("{"):]) == {"created": 0, "updated": 1, "skipped_rows": 0}
    run(data_dir, "cameras", "list", "--json")
    assert json.loads(capsys.readouterr().out)[0]["name"] == "Main & Pearl (moved)"


def test_bad_file_imports_nothing_and_names_line_and_field(data_dir: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.csv"
    site.write_text(GOOD + "c3,Bad,95,-72.6,0,60,100,fixed,,\n")
    assert run(data_dir, "site", "import", str(site)) == 2
    err = capsys.readouterr().err
    assert "line 4: lat: 95 is outside [-90, 90]" in err
    assert "nothing imported" in err
    run(data_dir, "cameras", "list", "--json")
    assert json.loads(capsys.readouterr().out) == []


def test_skip_bad_imports_the_good_rows(data_dir: Path, site_admin: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.csv"
    site.write_text(GOOD + "c3,Bad,95,-72.6,0,60,100,fixed,,\n")
    assert run(data_dir, "site", "import", str(site), "--skip-bad", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"created": 2, "updated": 0, "skipped_rows": 1}


def test_site_import_needs_an_administrator(data_dir: Path, site_admin: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A camera edit (EDIT_CAMERAS): an analyst is refused (audited), no login is a clear error, the admin's import
    is audited under their name."""
    site = tmp_path / "site.csv"
    site.write_text(GOOD)
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        boss = services.users.authenticate(site_admin, "boss-password")
        services.users.add(boss, "ana", "analyst-password", Role.ANALYST)
    finally:
        services.close()
    monkeypatch.delenv("C4DESK_USER")
    assert run(data_dir, "site", "import", str(site)) == 2
    assert "this command needs a login: give --user NAME" in capsys.readouterr().err
    monkeypatch.setenv("C4DESK_PASSWORD", "analyst-password")
    assert run(data_dir, "site", "import", str(site), "--user", "ana") == 2
    assert "ana (analyst) may not edit cameras" in capsys.readouterr().err
    monkeypatch.setenv("C4DESK_PASSWORD", "boss-password")
    assert run(data_dir, "site", "import", str(site), "--user", site_admin) == 0
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        assert [c.id for c in services.cameras.list()] == ["c1", "c2"]
        with services.db.session() as s:
            rows = s.scalars(select(AuditEventRow).where(AuditEventRow.object == "site:site.csv")
                             .order_by(AuditEventRow.id)).all()
    finally:
        services.close()
    assert [(r.username, r.event_type, r.outcome, r.detail["action"]) for r in rows] == [
        ("ana", "permission_denied", "failure", "edit_cameras"), ("boss", "privileged", "success", "site_import")]
    assert rows[1].detail["created"] == ["c1", "c2"]


def test_missing_file_is_a_clear_error(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "site", "import", str(tmp_path / "nope.csv")) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_db_upgrade_reports_revision(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = head_revision()
    assert run(data_dir, "db", "upgrade") == 0
    assert f"database at revision {head} (was empty)" in capsys.readouterr().out
    assert run(data_dir, "db", "upgrade") == 0
    assert capsys.readouterr().out.strip() == f"database at revision {head}"


def test_broken_settings_file_is_reported(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_dir / "settings.json").write_text('{"video": {"backend": "gpu"}}')
    assert run(data_dir, "cameras", "list") == 2
    assert "video.backend" in capsys.readouterr().err


def test_recent_alerts_and_reads_as_json(data_dir: Path, site_admin: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    site = tmp_path / "site.csv"
    site.write_text(GOOD)
    run(data_dir, "site", "import", str(site))
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({
        "id": "A-1", "type": "single_gunshot", "rounds": 1, "lat": 41.765, "lon": -72.673,
        "detected_at": "2026-07-04T21:14:05Z", "address": "Main & Pearl"})))
    assert run(data_dir, "ingest", "gunshot", "-") == 0
    reads = tmp_path / "reads.csv"
    reads.write_text("plate,region,read_at,camera_id,confidence,direction\n6PZ-193,CT,2026-07-04T21:15:00Z,c2,0.9,in\n")
    assert run(data_dir, "ingest", "lpr", str(reads)) == 0
    capsys.readouterr()
    assert run(data_dir, "alerts", "list", "--json") == 0
    alerts = json.loads(capsys.readouterr().out)
    assert [(a["id"], a["address"], a["priority"]) for a in alerts] == [("A-1", "Main & Pearl", 2)]
    assert run(data_dir, "plates", "recent", "--json") == 0
    assert json.loads(capsys.readouterr().out) == [{"plate": "6PZ193", "region": "CT",
                                                    "read_at": "2026-07-04T21:15:00+00:00", "camera_id": "c2",
                                                    "confidence": 0.9, "direction": "in"}]
