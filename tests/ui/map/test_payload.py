"""What Python sends the page, without a page: escaping, camera/alert validation, GeoJSON checks, area shapes."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from c4desk.demo.city import demo_cameras, streets_geojson
from c4desk.ui.map.area import select_area
from c4desk.ui.map.basemap import geojson_bounds, load_streets, parse_basemap, plain_attribution
from c4desk.ui.map.model import MapModel
from c4desk.ui.map.payload import js_call, js_value


@given(st.text())
def test_js_value_is_inert_json(text: str) -> None:
    out = js_value({"name": text})
    assert json.loads(out) == {"name": text}
    assert out.isascii()  # U+2028/U+2029 and friends escaped
    assert not any(c in out for c in "<>&")  # no '</script>', no '<!--', no entities


def test_js_call_shape() -> None:
    assert js_call("C4Map.selectCamera", "a'b", True) == 'C4Map.selectCamera("a\'b",true);'
    assert js_call("C4Map.fitCameras") == "C4Map.fitCameras();"
    assert "\\u003c/script\\u003e" in js_call("f", "</script>")


def test_model_keeps_valid_cameras_and_aims_ptz() -> None:
    model = MapModel()
    cams = demo_cameras()
    payload, problems = model.set_cameras([*cams, replace(cams[0], id="bad", lon=float("inf"))])
    assert len(payload) == len(cams) and len(problems) == 1
    cone = model.set_heading("ptz01", 370.0)
    assert cone is not None and cone["heading"] == 10.0
    assert model.set_heading("ptz01", float("nan")) is None
    assert model.set_heading("nope", 10.0) is None
    assert next(c for c in model.aimed_cameras() if c.id == "ptz01").heading_deg == 10.0
    state = model.page_state(fit=True)
    assert state["fit"] is True and len(state["cameras"]) == len(cams)


def test_load_streets_keeps_the_good_features() -> None:
    fc, problems = load_streets(streets_geojson())
    assert problems == [] and fc is not None and len(fc["features"]) == 10
    s, w, n, e = geojson_bounds(fc) or (0, 0, 0, 0)
    assert s < 41.765 < n and w < -72.673 < e
    assert load_streets(None)[0] is None
    single = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-72.6, 41.7]}}
    assert load_streets(single)[0] is not None
    fc2, problems2 = load_streets({"type": "FeatureCollection", "features": [
        single, {"type": "Feature", "geometry": {"type": "Point", "coordinates": [True, 41.7]}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-72.6, float("nan")]]]}}]})
    assert fc2 is not None and len(fc2["features"]) == 1 and "skipped 2 of 3" in problems2[0]


def test_basemap_setting_and_attribution() -> None:
    assert parse_basemap("streets").kind == "streets"
    assert parse_basemap("mbtiles:/a/b.mbtiles").target == "/a/b.mbtiles"
    assert parse_basemap("xyz:http://h/{z}/{x}/{y}.png").target == "http://h/{z}/{x}/{y}.png"
    assert parse_basemap("mbtiles:").kind == "streets"
    assert plain_attribution('<a href="https://x">&copy; OSM</a> <script>x</script>') == "© OSM x"


def test_select_area_validates_shapes() -> None:
    cams = demo_cameras()
    c = cams[0]
    assert select_area(cams, {"type": "circle", "lat": c.lat, "lon": c.lon, "radius_m": 0.5})[0] == [c.id]
    for bad in ({"type": "circle", "lat": c.lat, "lon": c.lon, "radius_m": -1},
                {"type": "circle", "lat": "x", "lon": c.lon, "radius_m": 5},
                {"type": "circle", "lat": c.lat, "lon": c.lon, "radius_m": True},
                {"type": "polygon", "ring": [[c.lat, c.lon]] * 2},
                {"type": "polygon", "ring": "nope"},
                {"type": "hexagon"}):
        ids, problem = select_area(cams, bad)
        assert ids == [] and problem
