"""`c4desk recordings list|prune` and `c4desk cameras record` on an isolated data dir (real SQLite, real files)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from c4desk.cli import main
from c4desk.config import Paths, RecordingSettings, Settings, save_settings
from c4desk.domain.permissions import Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url

ADMIN_PW = "admin-password"
T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
SITE = "id,name,lat,lon,stream_main\ncam1,Main & 1st,41.766,-72.675,rtsp://127.0.0.1:8554/cam1\n"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def open_services(data_dir: Path) -> Services:
    return Services.open(sqlite_url(Paths(data_dir).database), recordings_root=Paths(data_dir).recordings_dir)


def add_segment(services: Services, camera: str, start: datetime, seconds: float, size: int = 188) -> int:
    seg = services.recordings.open_segment(camera, start, "h264")
    seg.path.parent.mkdir(parents=True, exist_ok=True)
    seg.path.write_bytes(b"\x47" * size)
    services.recordings.close_segment(seg.id, start + timedelta(seconds=seconds), size)
    return seg.id


@pytest.fixture
def recorded(data_dir: Path) -> list[int]:
    services = open_services(data_dir)
    try:
        ids = [add_segment(services, "cam1", T0, 60), add_segment(services, "cam1", T0 + timedelta(seconds=60), 60),
               add_segment(services, "cam1", T0 + timedelta(minutes=10), 60)]
        services.recordings.open_gap("cam1", T0 + timedelta(seconds=120), "stream lost: connection lost")
        services.recordings.close_gap("cam1", T0 + timedelta(minutes=10))
    finally:
        services.close()
    return ids


def test_recordings_list_shows_segments_gaps_and_ranges(data_dir: Path, recorded: list[int],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "recordings", "list", "cam1", "--since", "2026-07-04T21:00:30Z",
               "--until", "2026-07-04T23:30+02:00", "--json") == 0
    out = out_json(capsys)
    assert out["camera_id"] == "cam1" and out["until"] == "2026-07-04T21:30:00+00:00"
    assert [s["id"] for s in out["segments"]] == recorded
    first = out["segments"][0]
    assert first["start_at"] == "2026-07-04T21:00:00+00:00" and first["end_at"] == "2026-07-04T21:01:00+00:00"
    assert first["bytes"] == 188 and first["status"] == "complete" and first["codec"] == "h264"
    assert first["path"] == str(Paths(data_dir).recordings_dir / "cam1" / "2026-07-04"
                                / "cam1_20260704T210000.000000.ts")
    assert out["gaps"] == [{"start_at": "2026-07-04T21:02:00+00:00", "end_at": "2026-07-04T21:10:00+00:00",
                            "reason": "stream lost: connection lost"}]
    assert out["ranges"] == [["2026-07-04T21:00:30+00:00", "2026-07-04T21:02:00+00:00"],
                             ["2026-07-04T21:10:00+00:00", "2026-07-04T21:11:00+00:00"]]

    assert run(data_dir, "recordings", "list", "cam1", "--since", "2026-07-04T21:00Z", "--until",
               "2026-07-04T21:30Z") == 0
    text = capsys.readouterr().out
    assert "cam1: 3 segment(s)" in text and "gap      2026-07-04T21:02:00+00:00" in text

    with pytest.raises(SystemExit):
        run(data_dir, "recordings", "list", "cam1", "--since", "2026-07-04T21:00")  # no zone: refused
    assert "has no time zone" in capsys.readouterr().err
    assert run(data_dir, "recordings", "list", "cam1", "--since", "2026-07-05T00:00Z", "--until",
               "2026-07-04T00:00Z") == 2
    assert "is after --until" in capsys.readouterr().err


def test_recordings_prune_by_the_settings(data_dir: Path, recorded: list[int],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    paths = Paths(data_dir)
    # 376 bytes of budget for 564 recorded: the oldest unheld segment goes (the first is under a hold).
    save_settings(paths, Settings(recording=RecordingSettings(retention_days=3650, disk_budget_gb=376 / 1e9)))
    services = open_services(data_dir)
    try:
        services.recordings.add_hold(recorded[0], "sup", "case 2026-000123")
    finally:
        services.close()
    assert run(data_dir, "recordings", "prune", "--dry-run", "--json") == 0
    dry = out_json(capsys)
    assert dry["dry_run"] is True and [s["id"] for s in dry["segments"]] == [recorded[1]]
    assert Path(dry["segments"][0]["path"]).exists()

    assert run(data_dir, "recordings", "prune", "--json") == 0
    done = out_json(capsys)
    assert done["deleted"] == 1 and done["bytes_freed"] == 188 and not Path(dry["segments"][0]["path"]).exists()
    assert done["remaining"] == {"segments": 2, "bytes": 376, "held_segments": 1, "held_bytes": 188}
    assert run(data_dir, "recordings", "prune") == 0
    assert "deleted 0 segment(s)" in capsys.readouterr().out


def test_cameras_record_needs_an_administrator(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("C4DESK_PASSWORD", ADMIN_PW)
    assert run(data_dir, "user", "add", "boss", "--role", "admin") == 0  # the first user: bootstrapped
    (tmp_path / "site.csv").write_text(SITE)
    assert run(data_dir, "site", "import", str(tmp_path / "site.csv"), "--user", "boss") == 0  # admins edit cameras
    services = open_services(data_dir)
    try:
        boss = services.users.authenticate("boss", ADMIN_PW)
        services.users.add(boss, "ana", "analyst-password", Role.ANALYST)
    finally:
        services.close()
    capsys.readouterr()

    monkeypatch.setenv("C4DESK_USER", "boss")
    assert run(data_dir, "cameras", "record", "cam1", "on", "--json") == 0
    assert out_json(capsys) == {"camera_id": "cam1", "record": True}
    services = open_services(data_dir)
    try:
        assert services.cameras.recording_ids() == ["cam1"]
    finally:
        services.close()
    assert run(data_dir, "cameras", "record", "cam1", "off") == 0
    assert capsys.readouterr().out == "cam1: recording off\n"
    assert run(data_dir, "cameras", "record", "nope", "on") == 2
    assert "camera_id: no camera 'nope'" in capsys.readouterr().err

    monkeypatch.setenv("C4DESK_USER", "ana")
    monkeypatch.setenv("C4DESK_PASSWORD", "analyst-password")
    assert run(data_dir, "cameras", "record", "cam1", "on") == 2
    assert "ana (analyst) may not edit cameras" in capsys.readouterr().err
