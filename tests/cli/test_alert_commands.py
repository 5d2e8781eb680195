"""``c4desk ingest gunshot``, ``ingest gunshot-csv`` and ``cameras covering`` on an isolated data dir."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from c4desk.cli import main

SHOT: dict[str, Any] = {
    "id": "SST-9", "type": "multiple_gunshots", "rounds": 3, "lat": 41.765, "lon": -72.6725,
    "detected_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
}
SITE = (
    "id,name,lat,lon,heading_deg,fov_deg,range_m,kind\n"
    "c-looks,Looks at it,41.7645,-72.6725,0,60,150,fixed\n"        # 55.6 m south, facing north
    "c-away,Faces away,41.7648,-72.6725,180,60,150,fixed\n"        # 22 m south, facing south
    "p-1,PTZ,41.7656,-72.6725,90,60,200,ptz\n"                     # 66.7 m north, can turn
    "l-1,LPR,41.7651,-72.6725,0,30,40,lpr\n"
)
CSV = ("unique_id,date,block,district,beat,rounds,incident_type_description,latitude,longitude\n"
       "A1,07/04/2023 09:14:05 PM,001XX W MADISON ST,001,0111,1,SINGLE GUNSHOT,41.88,-87.63\n"
       "A2,07/04/2023 09:20:00 PM,001XX W MADISON ST,001,0111,4,MULTIPLE GUNSHOTS,41.88,-87.63\n")


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def alerts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert run(data_dir, "alerts", "list", "--json") == 0
    out: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return out


def test_ingest_gunshot_file(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "shot.json"
    f.write_text(json.dumps(SHOT))
    assert run(data_dir, "ingest", "gunshot", str(f)) == 0
    stored = json.loads(capsys.readouterr().out)
    assert (stored["id"], stored["priority"], stored["status"]) == ("SST-9", 1, "new")
    assert [a["id"] for a in alerts(data_dir, capsys)] == ["SST-9"]


def test_ingest_gunshot_stdin_array(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps([SHOT, {**SHOT, "id": "SST-10"}])))
    assert run(data_dir, "ingest", "gunshot", "-") == 0
    assert [a["id"] for a in json.loads(capsys.readouterr().out)] == ["SST-9", "SST-10"]


def test_ingest_gunshot_errors_exit_2_and_store_nothing(data_dir: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "shots.json"
    f.write_text(json.dumps([SHOT, {**SHOT, "id": "SST-11", "lat": 100, "rounds": "3"}]))
    assert run(data_dir, "ingest", "gunshot", str(f)) == 2
    err = capsys.readouterr().err
    assert f"{f}: [1] rounds: must be a whole number, got a string '3'" in err
    assert f"{f}: [1] lat: 100 is outside [-90, 90]" in err
    assert "nothing stored" in err
    assert alerts(data_dir, capsys) == []
    f.write_text("{oops")
    assert run(data_dir, "ingest", "gunshot", str(f)) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert run(data_dir, "ingest", "gunshot", str(tmp_path / "missing.json")) == 2


def test_ingest_gunshot_csv_all_or_nothing(data_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "shots.csv"
    f.write_text(CSV + "A3,07/04/2023 09:30:00 PM,X,001,0111,,SINGLE GUNSHOT,41.88,-87.63\n")
    assert run(data_dir, "ingest", "gunshot-csv", str(f)) == 2
    err = capsys.readouterr().err
    assert f"{f}: line 4: rounds: required" in err and "--skip-bad" in err
    assert alerts(data_dir, capsys) == []
    assert run(data_dir, "ingest", "gunshot-csv", str(f), "--skip-bad", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"created": 2, "updated": 0, "unchanged": 0, "skipped_rows": 1}
    stored = alerts(data_dir, capsys)
    assert {a["id"]: a["status"] for a in stored} == {"A1": "closed", "A2": "closed"}
    assert stored[0]["detected_at"] in ("2023-07-05T02:14:05+00:00", "2023-07-05T02:20:00+00:00")


def test_ingest_gunshot_csv_open(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "shots.csv"
    f.write_text(CSV)
    assert run(data_dir, "ingest", "gunshot-csv", str(f), "--open") == 0
    assert "imported 2 alert(s): 2 new" in capsys.readouterr().out
    assert {a["status"] for a in alerts(data_dir, capsys)} == {"new"}


def test_cameras_covering(data_dir: Path, site_admin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                          ) -> None:
    site = tmp_path / "site.csv"
    site.write_text(SITE)
    assert run(data_dir, "site", "import", str(site)) == 0
    capsys.readouterr()
    assert run(data_dir, "cameras", "covering", "41.765", "-72.6725", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["camera_id"], r["in_fov"]) for r in rows] == [
        ("c-looks", True), ("p-1", True), ("c-away", False), ("l-1", False)]
    assert set(rows[0]) == {"camera_id", "name", "kind", "distance_m", "bearing_deg", "in_fov"}
    assert rows[0]["distance_m"] == pytest.approx(55.6, abs=0.1) and rows[0]["bearing_deg"] == 0.0
    assert rows[1]["bearing_deg"] == 180.0
    assert run(data_dir, "cameras", "covering", "41.765", "-72.6725", "--limit", "1", "--json") == 0
    assert [r["camera_id"] for r in json.loads(capsys.readouterr().out)] == ["c-looks", "l-1"]
    assert run(data_dir, "cameras", "covering", "41.765", "-72.6725") == 0
    text = capsys.readouterr().out
    assert text.index("covering:") < text.index("others:") < text.index("LPR:")
    assert run(data_dir, "cameras", "covering", "95", "0") == 2
    assert "LAT 95 is outside" in capsys.readouterr().err
