"""Basemaps: MBTiles (rows stored y-flipped) and local XYZ folders served through the map's scheme; broken
street maps and tile files are reported while the map still opens with what is valid."""

from __future__ import annotations

import base64
import http.server
import io
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from pytestqt.qtbot import QtBot

from c4desk.demo.city import demo_cameras, streets_geojson
from c4desk.ui.map.basemap import MBTiles
from c4desk.ui.map.map_view import MapView
from tests.ui.map.conftest import run_js, wait_js


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


RED, BLUE = png((255, 0, 0)), png((0, 0, 255))


def make_mbtiles(path: Path, fmt: str = "png") -> Path:
    """A two-tile MBTiles file: zoom 1, column 0. Row 1 (TMS, from the south) is red: XYZ y=0, the north."""
    db = sqlite3.connect(path)
    try:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "Test tiles"), ("format", fmt), ("minzoom", "0"), ("maxzoom", "2"),
            ("bounds", "-72.68,41.76,-72.66,41.77"),
            ("attribution", "<a href=\"https://example.invalid/\">Test tiles &amp; co</a>")])
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(1, 0, 1, RED), (1, 0, 0, BLUE)])
        db.commit()
    finally:
        db.close()
    return path


def fetch_in_page(qtbot: QtBot, view: MapView, url: str) -> bytes:
    run_js(qtbot, view, f"(window.__tile = null, fetch({json.dumps(url)})"
                        ".then(function (r) { return r.arrayBuffer(); })"
                        ".then(function (b) { window.__tile = btoa(String.fromCharCode.apply(null, new Uint8Array(b)));"
                        " }), 1)")
    wait_js(qtbot, view, "window.__tile !== null")
    return base64.b64decode(run_js(qtbot, view, "window.__tile"))


def tile_url(view: MapView, z: int, x: int, y: int) -> str:
    template = view._basemap.page.tile_url
    assert template is not None
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def test_mbtiles_reader_flips_rows(tmp_path: Path) -> None:
    tiles, problems = MBTiles.open(make_mbtiles(tmp_path / "t.mbtiles"))
    assert problems == [] and tiles is not None
    try:
        assert tiles.tile(1, 0, 0) == ("image/png", RED)
        assert tiles.tile(1, 0, 1) == ("image/png", BLUE)
        assert tiles.tile(1, 1, 0) is None
        assert tiles.bounds() == (41.76, -72.68, 41.77, -72.66)
    finally:
        tiles.close()


def test_mbtiles_tile_served_y_flipped(qtbot: QtBot, make_map: Callable[..., MapView], tmp_path: Path) -> None:
    path = make_mbtiles(tmp_path / "city.mbtiles")
    view = make_map(basemap=f"mbtiles:{path}", streets_geojson=streets_geojson(),
                    setup=lambda v: v.set_cameras(demo_cameras()))
    assert view.reported_problems == []
    assert fetch_in_page(qtbot, view, tile_url(view, 1, 0, 0)) == RED
    assert fetch_in_page(qtbot, view, tile_url(view, 1, 0, 1)) == BLUE
    missing = fetch_in_page(qtbot, view, tile_url(view, 1, 1, 1))  # not in the file: a transparent tile
    assert Image.open(io.BytesIO(missing)).convert("RGBA").getpixel((0, 0)) == (0, 0, 0, 0)
    # Leaflet's tile layer asks the same scheme, and the attribution is shown as text, without the link.
    wait_js(qtbot, view, "document.querySelectorAll('.leaflet-tile-pane img').length > 0")
    assert run_js(qtbot, view, "Array.from(document.querySelectorAll('.leaflet-tile-pane img'))"
                               ".every(function (i) { return i.src.indexOf('c4map://app/tiles/') === 0; })")
    attribution = run_js(qtbot, view, "document.querySelector('.leaflet-control-attribution').innerHTML")
    assert "Test tiles &amp; co" in attribution and "example.invalid" not in attribution
    assert view.blocked_requests == []
    assert [m for m in view.console_messages if m.level == "error"] == []


def test_xyz_folder(qtbot: QtBot, make_map: Callable[..., MapView], tmp_path: Path) -> None:
    (tmp_path / "tiles" / "1" / "0").mkdir(parents=True)
    (tmp_path / "tiles" / "1" / "0" / "0.png").write_bytes(RED)
    view = make_map(basemap=f"xyz:{tmp_path}/tiles/{{z}}/{{x}}/{{y}}.png")
    assert view.reported_problems == []
    assert fetch_in_page(qtbot, view, tile_url(view, 1, 0, 0)) == RED


def test_broken_mbtiles_reported_and_map_opens(qtbot: QtBot, make_map: Callable[..., MapView],
                                               tmp_path: Path) -> None:
    broken = tmp_path / "broken.mbtiles"
    broken.write_bytes(b"this is not an SQLite database at all" * 200)
    seen: list[list[str]] = []
    view = make_map(basemap=f"mbtiles:{broken}", streets_geojson=streets_geojson(),
                    setup=lambda v: (v.problems.connect(seen.append), v.set_cameras(demo_cameras())))
    assert seen and "not a usable MBTiles file" in seen[0][0]
    assert run_js(qtbot, view, "Object.keys(C4Map.cams).length") == len(demo_cameras())
    assert run_js(qtbot, view, "document.querySelectorAll('.leaflet-tile-pane img').length") == 0
    assert view._basemap.page.streets is not None  # fell back to the street map


def test_other_bad_mbtiles(make_map: Callable[..., MapView], tmp_path: Path) -> None:
    assert "no such file" in MBTiles.open(tmp_path / "missing.mbtiles")[1][0]
    vector = make_mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    assert "not supported" in MBTiles.open(vector)[1][0]
    empty = tmp_path / "empty.mbtiles"
    sqlite3.connect(empty).close()
    assert "not a usable MBTiles file" in MBTiles.open(empty)[1][0]
    view = make_map(basemap=f"mbtiles:{vector}")
    assert any("not supported" in p for p in view.reported_problems)


def test_broken_geojson_reported_and_valid_streets_drawn(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    good = streets_geojson()["features"]
    assert isinstance(good, list)
    broken = {"type": "FeatureCollection", "features": [
        good[0], "junk", {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[999, 41], [0, 0]]}},
        {"type": "Feature", "geometry": {"type": "Nonsense", "coordinates": []}}, good[1]]}
    seen: list[list[str]] = []
    view = make_map(streets_geojson=broken, setup=lambda v: v.problems.connect(seen.append))
    assert len(seen) == 1 and "skipped 3 of 5 features" in seen[0][0]
    count = run_js(qtbot, view, "(function () { var n = 0; C4Map.map.eachLayer(function (l) {"
                                "if (l.feature && l.feature.geometry) { n += 1; } }); return n; })()")
    assert count == 2


def test_unreadable_geojson_file(qtbot: QtBot, make_map: Callable[..., MapView], tmp_path: Path) -> None:
    bad = tmp_path / "streets.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    view = make_map(streets_geojson=bad, setup=lambda v: v.set_cameras(demo_cameras()))
    assert "cannot be read as JSON" in view.reported_problems[0]
    assert run_js(qtbot, view, "Object.keys(C4Map.cams).length") == len(demo_cameras())
    not_geojson: Any = [1, 2, 3]
    view2 = make_map(streets_geojson=not_geojson)
    assert "not a GeoJSON FeatureCollection" in view2.reported_problems[0]
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(streets_geojson()), encoding="utf-8")
    view3 = make_map(streets_geojson=good)
    assert view3.reported_problems == []


class _TileHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/tiles/1/0/0.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(RED)))
            self.end_headers()
            self.wfile.write(RED)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_agency_tile_server_is_fetched_by_python(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    """An agency XYZ server (here a local test server on the loopback): Python fetches, the page's requests
    still all go through the map's scheme and nothing is blocked."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        view = make_map(basemap=f"xyz:http://127.0.0.1:{port}/tiles/{{z}}/{{x}}/{{y}}.png")
        assert view.reported_problems == []
        assert fetch_in_page(qtbot, view, tile_url(view, 1, 0, 0)) == RED
        missing = fetch_in_page(qtbot, view, tile_url(view, 1, 1, 0))
        assert Image.open(io.BytesIO(missing)).convert("RGBA").getpixel((0, 0)) == (0, 0, 0, 0)
        assert tile_url(view, 1, 0, 0).startswith("c4map://app/tiles/")
        assert view.blocked_requests == []
        assert "Tiles: 127.0.0.1" in run_js(qtbot, view, "document.querySelector('.leaflet-control-attribution')"
                                                         ".textContent")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_bad_xyz_settings(make_map: Callable[..., MapView], tmp_path: Path) -> None:
    view = make_map(basemap="xyz:https://tiles.example.invalid/no-placeholders.png", streets_geojson=streets_geojson())
    assert any("needs {z}, {x} and {y}" in p for p in view.reported_problems)
    assert view._basemap.page.streets is not None and view._basemap.page.tile_url is None
    view2 = make_map(basemap=f"xyz:{tmp_path}/nowhere/{{z}}/{{x}}/{{y}}.png")
    assert any("does not exist" in p for p in view2.reported_problems)
