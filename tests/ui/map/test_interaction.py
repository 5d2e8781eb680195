"""Both ways: real clicks on the page reach Python, Python's calls change the page without reloading it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEngineScript
from pytestqt.qtbot import QtBot

from c4desk.demo.city import demo_cameras, streets_geojson
from c4desk.domain.alerts import AlertStatus
from c4desk.domain.coverage import cameras_in_circle, cameras_in_polygon
from c4desk.domain.geo import bearing_deg, destination
from c4desk.ui.map.map_view import MapView
from tests.ui.map.conftest import click, container_point, run_js, wait_js
from tests.ui.map.test_page import gunshot


def demo(make_map: Callable[..., MapView]) -> MapView:
    def setup(view: MapView) -> None:
        view.set_cameras(demo_cameras())
        view.fit_to_cameras()

    return make_map(streets_geojson=streets_geojson(), setup=setup)


def icon_point(qtbot: QtBot, view: MapView, camera_id: str) -> tuple[float, float]:
    wait_js(qtbot, view, f"C4Map.cameraPoint({camera_id!r}) !== null")
    p = run_js(qtbot, view, f"C4Map.cameraPoint({camera_id!r})")
    return p["x"], p["y"]


def test_real_click_on_a_camera_emits_its_id(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    x, y = icon_point(qtbot, view, "cam04")
    with qtbot.waitSignal(view.camera_clicked, timeout=10_000) as blocker:
        click(view, x, y)
    assert blocker.args == ["cam04"]
    wait_js(qtbot, view, "document.querySelector('[data-camera-id=\"cam04\"]').classList.contains('c4-selected')")


SLOW_CHANNEL = """
(function () {
  var real;
  Object.defineProperty(window, 'QWebChannel', { configurable: true,
    get: function () {
      return real && function (transport, ready) {
        return new real(transport, function (ch) { setTimeout(function () { ready(ch); }, 300); });
      };
    },
    set: function (v) { real = v; } });
}());
"""


def test_clicks_before_the_channel_is_up_are_queued(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    """A click the page sends before QWebChannel is connected is delivered once it is, before pageReady.
    (The test slows the channel's handshake down by 300 ms so that the click surely comes first.)"""
    order: list[str] = []

    def setup(view: MapView) -> None:
        early = QWebEngineScript()
        early.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        early.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        early.setSourceCode(SLOW_CHANNEL + "document.addEventListener('DOMContentLoaded', function () {"
                            " window.__queued = !C4Map.connected(); C4Map.send('cameraClicked', 'early-bird'); });")
        view.page.scripts().insert(early)
        view.camera_clicked.connect(order.append)
        view.page_ready.connect(lambda: order.append("page_ready"))

    view = make_map(streets_geojson=streets_geojson(), setup=setup)
    assert run_js(qtbot, view, "window.__queued") is True
    assert order == ["early-bird", "page_ready"]


def test_hover_shows_name_kind_and_state(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    view.set_camera_state("ptz01", "live")
    x, y = icon_point(qtbot, view, "ptz01")
    focus = view.web_view.focusProxy()
    assert focus is not None
    QTest.mouseMove(focus, QPoint(round(x) + 40, round(y) + 40))
    QTest.mouseMove(focus, QPoint(round(x), round(y)))
    wait_js(qtbot, view, "document.querySelector('.leaflet-tooltip') !== null")
    text = run_js(qtbot, view, "document.querySelector('.leaflet-tooltip').textContent")
    assert "PTZ High & Pearl" in text and "PTZ camera" in text and "State: live" in text


def test_select_camera_highlights_and_pans(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    view.select_camera("lpr03")
    wait_js(qtbot, view, "document.querySelector('[data-camera-id=\"lpr03\"]').classList.contains('c4-selected')")
    assert run_js(qtbot, view, "document.querySelectorAll('.c4-cam.c4-selected').length") == 1
    # Scrolled far away, selecting pans back to it.
    run_js(qtbot, view, "(C4Map.map.setView([41.70, -72.60], 17, {animate: false}), 1)")
    view.select_camera("cam01")
    wait_js(qtbot, view, "C4Map.map.getBounds().contains(C4Map.cams.cam01.marker.getLatLng())")
    wait_js(qtbot, view, "document.querySelector('[data-camera-id=\"cam01\"]').classList.contains('c4-selected')")
    assert run_js(qtbot, view, "document.querySelectorAll('.c4-cam.c4-selected').length") == 1


def test_state_colour_and_ptz_heading(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    view.set_camera_state("cam01", "offline")
    view.set_camera_state("cam02", "live")
    wait_js(qtbot, view, "document.querySelector('[data-camera-id=\"cam01\"]').classList.contains('c4-state-offline')")
    wait_js(qtbot, view, "document.querySelector('[data-camera-id=\"cam02\"]').classList.contains('c4-state-live')")
    cam = next(c for c in demo_cameras() if c.id == "ptz01")
    view.set_camera_heading("ptz01", 30.0)
    wait_js(qtbot, view, "C4Map.cams.ptz01.data.heading === 30")
    ring = run_js(qtbot, view, "C4Map.cams.ptz01.cone.getLatLngs()[0].map(function (p) { return [p.lat, p.lng]; })")
    middle = ring[1 + (len(ring) - 1) // 2]
    assert abs(bearing_deg(cam.lat, cam.lon, *middle) - 30.0) < 1.0
    # Area selection follows the reported heading too.
    aimed = next(c for c in view.cameras() if c.id == "ptz01")
    assert aimed.heading_deg == 30.0


def test_add_alert_without_reloading_the_page(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    run_js(qtbot, view, "(window.__survivor = 'still here', 1)")
    loads = run_js(qtbot, view, "C4Map.stats.loads")
    view.add_alert(gunshot("g7"))
    wait_js(qtbot, view, "document.querySelector('[data-alert-id=\"g7\"]') !== null")
    assert run_js(qtbot, view, "window.__survivor") == "still here"
    assert run_js(qtbot, view, "C4Map.stats.loads") == loads
    assert run_js(qtbot, view, "document.querySelectorAll('.c4-pulse').length") == 1
    assert run_js(qtbot, view, "document.querySelector('[data-alert-id=\"g7\"]').className").count("awesome-marker")

    view.update_alert(gunshot("g7", status=AlertStatus.CLOSED))
    wait_js(qtbot, view, "document.querySelector('[data-alert-id=\"g7\"]').classList"
                         ".contains('awesome-marker-icon-gray')")
    view.remove_alert("g7")
    wait_js(qtbot, view, "document.querySelector('[data-alert-id=\"g7\"]') === null")
    assert run_js(qtbot, view, "window.__survivor") == "still here"


def test_alert_click_and_select(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    lat, lon = destination(41.7650, -72.6730, 45, 60)
    view.add_alert(gunshot("g1", lat=lat, lon=lon))
    wait_js(qtbot, view, "C4Map.alertPoint('g1') !== null")
    p = run_js(qtbot, view, "C4Map.alertPoint('g1')")
    with qtbot.waitSignal(view.alert_clicked, timeout=10_000) as blocker:
        click(view, p["x"], p["y"] - 6)
    assert blocker.args == ["g1"]
    view.select_alert(None)
    view.add_alert(gunshot("g2", lat=41.7700, lon=-72.6650))
    run_js(qtbot, view, "(C4Map.map.setView([41.70, -72.60], 17, {animate: false}), 1)")
    view.select_alert("g2")
    wait_js(qtbot, view, "document.querySelector('[data-alert-id=\"g2\"]') !== null && "
                         "document.querySelector('[data-alert-id=\"g2\"]').classList.contains('c4-selected')")


def test_circle_drawn_with_the_mouse_selects_what_the_domain_says(
        qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    button = run_js(qtbot, view, "document.querySelector('.c4-draw-circle').getBoundingClientRect()")
    click(view, button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    wait_js(qtbot, view, "C4Map.drawMode() === 'circle'")
    cam04 = next(c for c in demo_cameras() if c.id == "cam04")
    centre = container_point(qtbot, view, *destination(cam04.lat, cam04.lon, 0, 8))  # Trumbull & Pearl
    edge = container_point(qtbot, view, *destination(cam04.lat, cam04.lon, 0, 8 + 60))
    shapes: list[dict[str, Any]] = []
    view.area_drawn.connect(shapes.append)
    click(view, *centre)
    with qtbot.waitSignal(view.area_selected, timeout=10_000) as blocker:
        click(view, *edge)
    assert len(shapes) == 1 and shapes[0]["type"] == "circle"
    shape = shapes[0]
    assert 55 < shape["radius_m"] < 65
    expected = [c.id for c in cameras_in_circle(view.cameras(), shape["lat"], shape["lon"], shape["radius_m"])]
    assert blocker.args == [expected]
    assert {"cam04", "lpr02", "ptz01"} <= set(expected)  # stands in it / stands in it / looks into it
    assert "prv01" not in expected and "cam10" not in expected
    wait_js(qtbot, view, "document.querySelectorAll('.c4-cam.c4-in-area').length === " + str(len(expected)))


def test_polygon_drawn_with_the_mouse(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    shapes: list[dict[str, Any]] = []
    view.area_drawn.connect(shapes.append)
    run_js(qtbot, view, "(C4Map.startDraw('polygon'), 1)")
    # A box round the north-east block (Main-Prospect, Asylum-Church).
    corners = [(41.76625, -72.67125), (41.76625, -72.66945), (41.76745, -72.66945), (41.76745, -72.67125)]
    points = [container_point(qtbot, view, *c) for c in corners]
    for p in points:
        click(view, *p)
        qtbot.wait(50)
    with qtbot.waitSignal(view.area_selected, timeout=10_000) as blocker:
        click(view, *points[0])  # back on the first corner closes it
    assert len(shapes) == 1 and shapes[0]["type"] == "polygon"
    ring = [(float(p[0]), float(p[1])) for p in shapes[0]["ring"]]
    assert len(ring) == 4
    expected = [c.id for c in cameras_in_polygon(view.cameras(), ring)]
    assert blocker.args == [expected]
    assert "prv01" in expected  # stands inside
    inside_only = [c.id for c in cameras_in_polygon(view.cameras(), ring, include_fov=False)]
    assert set(inside_only) < set(expected)  # others only look into it


def test_select_area_from_python_matches(make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    cams = [replace(c) for c in demo_cameras()]
    shape = {"type": "circle", "lat": cams[0].lat, "lon": cams[0].lon, "radius_m": 1.0}
    assert view.select_area(shape) == [cams[0].id]
    assert view.select_area({"type": "circle", "lat": 1e9, "lon": 0, "radius_m": 5}) == []
    assert "drawn circle" in view.reported_problems[-1]


def test_trail_with_times(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo(make_map)
    lpr = [c for c in demo_cameras() if c.kind == "lpr"]
    view.show_trail("AB123", [(c.lat, c.lon, f"22:1{i}:00") for i, c in enumerate(lpr)])
    wait_js(qtbot, view, "document.querySelectorAll('.c4-trail-label').length === " + str(len(lpr)))
    labels = run_js(qtbot, view, "Array.from(document.querySelectorAll('.c4-trail-label'))"
                                 ".map(function (e) { return e.textContent; })")
    assert sorted(labels) == [f"22:1{i}:00" for i in range(len(lpr))]
    view.clear_trail("AB123")
    wait_js(qtbot, view, "document.querySelectorAll('.c4-trail-label').length === 0")
