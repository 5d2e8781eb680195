"""Plate commands on an isolated data dir: ingest (Axis JSON and CSV), hotlist import, search and history (as the
logged-in user: SEARCH_PLATES, every query audited)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.domain.permissions import Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.store.models import AuditEventRow

SITE = ("id,name,lat,lon,kind,serial\n"
        "lpr-1,Asylum & Main,41.766,-72.675,lpr,ACCC8E000001\n"
        "lpr-2,Park & Broad,41.757,-72.690,lpr,ACCC8E000002\n")
HOTLIST = "LIC;LIS;VMA;VCO;reason\n7KX193;CT;HOND;BLK;stolen 7/1\nZZZ999;NY;;;wanted\n"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def event(plate: str, car: int, at: str, serial: str = "ACCC8E000001", state: str = "new") -> dict[str, Any]:
    return {"carID": car, "carState": state, "plateText": plate, "plateRegion": "CT", "plateConfidence": 0.9,
            "carMoveDirection": "in", "capture_timestamp": at, "camera_info": {"SerialNumber": serial}}


@pytest.fixture
def site(data_dir: Path, site_admin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two LPR cameras and the NCIC list, imported by the site's administrator (``site_admin``)."""
    (tmp_path / "site.csv").write_text(SITE)
    assert run(data_dir, "site", "import", str(tmp_path / "site.csv")) == 0
    capsys.readouterr()
    (tmp_path / "hot.txt").write_text(HOTLIST)
    assert run(data_dir, "hotlist", "import", str(tmp_path / "hot.txt"), "--name", "NCIC", "--json") == 0
    assert out_json(capsys)["created"] == 2
    return tmp_path


def test_ingest_events_search_and_history(data_dir: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = [event("7KX-193", 1, "2026-07-04T21:00:00Z"), event("7KX-193", 1, "2026-07-04T21:00:02Z", state="lost"),
              event("ABC123", 2, "2026-07-04T21:05:00Z", serial="ACCC8E000002"),
              event("7KX193", 3, "2026-07-04T22:00:00Z", serial="ACCC8E000002")]
    (site / "events.json").write_text(json.dumps(events))
    assert run(data_dir, "ingest", "lpr", str(site / "events.json"), "--json") == 0
    assert out_json(capsys) == {"created": 3, "updated": 1, "bad_events": 0, "hits": 2}

    assert run(data_dir, "plates", "search", "7KX*", "--json") == 0
    rows = out_json(capsys)
    assert rows == [
        {"plate": "7KX193", "region": "CT", "read_at": "2026-07-04T22:00:00+00:00", "camera_id": "lpr-2",
         "confidence": 0.9, "direction": "in"},
        {"plate": "7KX193", "region": "CT", "read_at": "2026-07-04T21:00:00+00:00", "camera_id": "lpr-1",
         "confidence": 0.9, "direction": "in"}]
    assert run(data_dir, "plates", "search", "7KX193", "--camera", "lpr-1", "--until", "2026-07-04T21:30Z",
               "--json") == 0
    assert [r["camera_id"] for r in out_json(capsys)] == ["lpr-1"]
    assert run(data_dir, "plates", "search", "A8C1Z3", "--fuzzy", "--json") == 0
    assert [r["plate"] for r in out_json(capsys)] == ["ABC123"]
    assert run(data_dir, "plates", "search", "C12", "--partial", "--limit", "1", "--json") == 0
    assert [r["plate"] for r in out_json(capsys)] == ["ABC123"]

    assert run(data_dir, "plates", "history", "7kx-193", "--json") == 0
    history = out_json(capsys)
    assert (history["reads"], history["first_seen"], history["last_seen"]) == (
        2, "2026-07-04T21:00:00+00:00", "2026-07-04T22:00:00+00:00")
    assert [c["camera_id"] for c in history["cameras"]] == ["lpr-2", "lpr-1"]
    assert run(data_dir, "plates", "history", "NEVER1", "--json") == 0
    assert out_json(capsys)["reads"] == 0

    assert run(data_dir, "alerts", "list", "--json") == 0
    assert sorted(a["type"] for a in out_json(capsys)) == ["hotlist_hit", "hotlist_hit"]


def test_bad_events_store_nothing(data_dir: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(event("ABC123", 1, "2026-07-04T21:00:00Z")),
             json.dumps(event("ABC124", 2, "2026-07-04T21:00:00Z", serial="UNKNOWN"))]
    (site / "events.jsonl").write_text("\n".join(lines) + "\n")
    assert run(data_dir, "ingest", "lpr", str(site / "events.jsonl")) == 2
    err = capsys.readouterr().err
    assert "line 2: camera_info.SerialNumber: unknown serial 'UNKNOWN'" in err and "nothing stored" in err
    assert run(data_dir, "plates", "search", "ABC12?", "--json") == 0
    assert out_json(capsys) == []
    assert run(data_dir, "ingest", "lpr", str(site / "events.jsonl"), "--skip-bad", "--json") == 0
    assert out_json(capsys) == {"created": 1, "updated": 0, "bad_events": 1, "hits": 0}


def test_ingest_csv_and_stdin(data_dir: Path, site: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    csv_text = ("plate,region,read_at,camera_id,confidence,direction\n"
                "ABC123,CT,2026-07-04T21:00:00Z,lpr-1,0.8,in\nXYZ789,NY,2026-07-04T21:01:00Z,lpr-2,,out\n")
    (site / "reads.csv").write_text(csv_text + "BAD1,CT,2026-07-04T21:02:00Z,lpr-9,,\n")
    assert run(data_dir, "ingest", "lpr", str(site / "reads.csv")) == 2
    assert "line 4: camera_id: unknown camera 'lpr-9'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(csv_text))
    assert run(data_dir, "ingest", "lpr", "-", "--json") == 0
    assert out_json(capsys) == {"stored": 2, "bad_rows": 0}
    assert run(data_dir, "plates", "search", "*78*", "--json") == 0
    assert [r["plate"] for r in out_json(capsys)] == ["XYZ789"]


def test_hotlist_replace_and_bad_file(data_dir: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / "hot2.csv").write_text("plate,state\n7KX193,CT\n")
    assert run(data_dir, "hotlist", "import", str(site / "hot2.csv"), "--name", "NCIC", "--replace", "--json") == 0
    summary = out_json(capsys)
    assert (summary["removed"], summary["unchanged"], summary["delimiter"]) == (1, 0, ",")
    (site / "bad.csv").write_text("plate,priority\nOK1,1\nA*,1\nOK2,7\n")
    assert run(data_dir, "hotlist", "import", str(site / "bad.csv"), "--name", "X") == 2
    err = capsys.readouterr().err
    assert "line 3: plate: give at least 3 plate characters with wildcards" in err
    assert "line 4: priority: 7 is not one of 1-5" in err and "nothing imported" in err
    assert run(data_dir, "hotlist", "bolo", "7K*93", "--reason", "robbery", "--json") == 0
    assert out_json(capsys)["hotlist"] == "BOLO"


def add_analyst_and_wall_operator(data_dir: Path, site_admin: str) -> None:
    """ana (analyst, password analyst-password) and wally (wall operator, wall-password), added by the site admin."""
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        boss = services.users.authenticate(site_admin, "boss-password")
        services.users.add(boss, "ana", "analyst-password", Role.ANALYST)
        services.users.add(boss, "wally", "wall-password", Role.WALL_OPERATOR)
    finally:
        services.close()


def test_hotlist_changes_act_as_the_user(data_dir: Path, site: Path, site_admin: str,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An analyst may enter a BOLO (entered by them) but not import a list; a wall operator neither."""
    add_analyst_and_wall_operator(data_dir, site_admin)
    capsys.readouterr()
    monkeypatch.setenv("C4DESK_USER", "ana")
    monkeypatch.setenv("C4DESK_PASSWORD", "analyst-password")
    assert run(data_dir, "hotlist", "bolo", "7K*93", "--reason", "robbery", "--json") == 0
    assert out_json(capsys)["plate"] == "7K*93"
    assert run(data_dir, "hotlist", "import", str(site / "hot.txt"), "--name", "NCIC", "--replace") == 2
    assert "ana (analyst) may not import hotlist" in capsys.readouterr().err
    monkeypatch.setenv("C4DESK_PASSWORD", "wall-password")
    assert run(data_dir, "hotlist", "bolo", "ABC123", "--reason", "r", "--user", "wally") == 2
    assert "wally (wall_operator) may not edit bolo" in capsys.readouterr().err
    monkeypatch.setenv("C4DESK_PASSWORD", "wrong")
    assert run(data_dir, "hotlist", "bolo", "ABC123", "--reason", "r") == 2
    assert "login as ana failed" in capsys.readouterr().err
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        entered = {(e.hotlist, e.plate): e.entered_by for e in services.hotlists.entries()}
    finally:
        services.close()
    assert entered == {("BOLO", "7K*93"): "ana", ("NCIC", "7KX193"): "boss", ("NCIC", "ZZZ999"): "boss"}


def test_bad_search_arguments(data_dir: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "plates", "search", "A*") == 2
    assert "give at least 2 plate characters" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(data_dir, "plates", "search", "ABC", "--since", "2026-07-04T21:00")
    assert "has no zone" in capsys.readouterr().err


def test_plate_searches_act_as_the_user_and_are_audited(data_dir: Path, site: Path, site_admin: str,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``plates search``, ``plates history`` and ``plates recent`` tell where a vehicle was: an analyst may (each
    query audited under their name; the recent feed is not a query), a wall operator may not (refused, audited),
    and nobody may without a login."""
    (site / "events.json").write_text(json.dumps([event("7KX-193", 1, "2026-07-04T21:00:00Z")]))
    assert run(data_dir, "ingest", "lpr", str(site / "events.json")) == 0
    add_analyst_and_wall_operator(data_dir, site_admin)
    capsys.readouterr()
    monkeypatch.setenv("C4DESK_USER", "ana")
    monkeypatch.setenv("C4DESK_PASSWORD", "analyst-password")
    assert run(data_dir, "plates", "search", "7KX*", "--json") == 0
    assert [r["plate"] for r in out_json(capsys)] == ["7KX193"]
    assert run(data_dir, "plates", "history", "7KX193", "--json") == 0
    assert out_json(capsys)["reads"] == 1
    assert run(data_dir, "plates", "recent", "--json") == 0  # the feed: the same right, but not a query (no record)
    assert [r["plate"] for r in out_json(capsys)] == ["7KX193"]
    monkeypatch.setenv("C4DESK_PASSWORD", "wall-password")
    for argv in (("plates", "search", "7KX*"), ("plates", "history", "7KX193"), ("plates", "recent")):
        assert run(data_dir, *argv, "--user", "wally") == 2
        assert "wally (wall_operator) may not search plates" in capsys.readouterr().err
    monkeypatch.delenv("C4DESK_USER")
    assert run(data_dir, "plates", "search", "7KX*") == 2
    assert "this command needs a login" in capsys.readouterr().err
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        with services.db.session() as s:
            queries = [(r.username, r.event_type, r.object, r.detail.get("query")) for r in s.scalars(
                select(AuditEventRow).where(AuditEventRow.object.like("plates:%")).order_by(AuditEventRow.id))]
    finally:
        services.close()
    assert queries == [("ana", "plate_query", "plates:7KX*", "search"),
                       ("ana", "plate_query", "plates:7KX193", "history"),
                       ("wally", "permission_denied", "plates:7KX*", "search"),
                       ("wally", "permission_denied", "plates:7KX193", "history"),
                       ("wally", "permission_denied", "plates:recent", "recent")]
