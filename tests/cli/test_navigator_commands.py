"""``c4desk cameras neighbours`` on an isolated data dir holding the demo city's cameras, streets and plate reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.demo import city, script
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url

BASE = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def at(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def demo_site(data_dir: Path) -> Path:
    """The demo city's cameras and streets, and the plate reads its scenario stores (the suspect's and others)."""
    paths = Paths(data_dir).ensure()
    services = Services.open(sqlite_url(paths.database))
    try:
        services.cameras.upsert_many(city.demo_cameras())
        for e in script.events():
            if e.kind == "lpr_read":
                services.plate_reads.add(LprRead(camera_id=str(e.payload["camera_id"]),
                                                 plate_raw=str(e.payload["plate"]),
                                                 read_at=BASE + timedelta(seconds=e.t)))
    finally:
        services.close()
    paths.streets_file.write_text(json.dumps(city.streets_geojson()))
    return data_dir


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_neighbours_json_best_first(demo_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_site, "cameras", "neighbours", "cam02", "--limit", "3", "--json") == 0
    rows = out_json(capsys)
    assert [r["camera_id"] for r in rows] == ["ptz01", "cam03", "cam01"]
    assert set(rows[0]) == {"camera_id", "name", "direction_deg", "travel_s", "score", "street"}
    assert rows[0] == {"camera_id": "ptz01", "name": "PTZ High & Pearl", "direction_deg": 0.0, "travel_s": 0.0,
                       "score": rows[0]["score"], "street": "Trumbull St"}
    assert rows[0]["score"] > rows[1]["score"] > rows[2]["score"]


def test_plate_reads_rerank_and_give_etas(demo_site: Path, site_admin: str, capsys: pytest.CaptureFixture[str]) -> None:
    # --plate is a plate search: it acts as the site's administrator (C4DESK_USER, set by ``site_admin``).
    # The vehicle leaves ptz02's view at loop time 64 s; without a plate the way back (cam03) ranks first.
    assert run(demo_site, "cameras", "neighbours", "ptz02", "--json") == 0
    assert out_json(capsys)[0]["camera_id"] == "cam03"
    left = 64.0
    assert run(demo_site, "cameras", "neighbours", "ptz02", "--plate", script.SUSPECT_PLATE, "--at", at(left),
               "--json") == 0
    rows = out_json(capsys)
    assert rows[0]["camera_id"] == "cam04" and rows[0]["eta"] == at(left)  # it is already in cam04's view
    cam05 = next(r for r in rows if r["camera_id"] == "cam05")
    seen = min(p.t_in for p in script.passes() if p.camera_id == "cam05")
    eta = datetime.fromisoformat(cam05["eta"])
    assert abs((eta - BASE).total_seconds() - seen) < 2.0  # the script's vehicle appears there then


def test_human_output_and_geometry_only(demo_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_site, "cameras", "neighbours", "cam01", "--heading", "90", "--limit", "2") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("cam01 Ann Uccello & Elm EB: 2 suggestion(s)")
    assert "cam02" in out[1] and "E  along Elm St" in out[1]
    Paths(demo_site).streets_file.unlink()
    assert run(demo_site, "cameras", "neighbours", "cam01", "--heading", "90", "--json") == 0
    captured = capsys.readouterr()
    assert "no street network" in captured.err
    rows = json.loads(captured.out)
    # Straight-line geometry is coarser: the wide PTZ view up the road competes with cam02.
    assert "cam02" in [r["camera_id"] for r in rows[:2]] and all(r["street"] == "" for r in rows)


def test_bad_arguments_are_clean_errors(demo_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_site, "cameras", "neighbours", "nope", "--json") == 2
    assert "camera_id: unknown camera 'nope'" in capsys.readouterr().err
    assert run(demo_site, "cameras", "neighbours", "cam01", "--plate", "6PZ193") == 2
    assert "--plate needs --at" in capsys.readouterr().err
    assert run(demo_site, "cameras", "neighbours", "cam01", "--plate", "6P*", "--at", at(0)) == 2
    assert "plate" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(demo_site, "cameras", "neighbours", "cam01", "--at", "2026-07-04T21:00:00")  # no zone
    assert "has no zone" in capsys.readouterr().err
    Paths(demo_site).streets_file.write_text("{not json")
    assert run(demo_site, "cameras", "neighbours", "cam01") == 2
    assert "streets.geojson: cannot read the street network" in capsys.readouterr().err
