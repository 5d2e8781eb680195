"""The map page itself: offline, nothing leaves the app, no console errors, hostile text stays text."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import shiboken6
from PySide6.QtWebEngineCore import QWebEngineSettings
from pytestqt.qtbot import QtBot

from c4desk.demo.city import demo_cameras, streets_geojson
from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.ui.map.map_view import MapView
from c4desk.ui.map.page import MapPage
from c4desk.ui.map.profile import map_profile, network_blocker, scheme_handler
from c4desk.ui.map.scheme import ORIGIN, RESOURCES
from tests.ui.map.conftest import run_js, wait_js

NASTY = "</script><b>\"'"
T0 = datetime(2025, 3, 1, 22, 15, 0, tzinfo=UTC)


def gunshot(alert_id: str = "g1", lat: float = 41.7652, lon: float = -72.6731, **kw: object) -> Alert:
    fields: dict[str, object] = {"id": alert_id, "source": "gunshot", "type": "Multiple gunshots", "priority": 1,
                                 "status": AlertStatus.NEW, "detected_at": T0, "received_at": T0, "lat": lat,
                                 "lon": lon, "address": "100 block Pearl St", "rounds": 4}
    fields.update(kw)
    return Alert(**fields)  # type: ignore[arg-type]


def demo_map(make_map: Callable[..., MapView]) -> MapView:
    def setup(view: MapView) -> None:
        view.set_cameras(demo_cameras())
        view.set_alerts([gunshot()])
        view.fit_to_cameras()

    return make_map(streets_geojson=streets_geojson(), setup=setup)


def test_page_loads_offline_with_no_outside_request(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = demo_map(make_map)
    wait_js(qtbot, view, "document.querySelectorAll('.c4-cam').length > 0")
    assert view.blocked_requests == []
    assert view.page_url.startswith(ORIGIN + "/page/")
    served = scheme_handler().page_html(view.page_url.rsplit("/", 1)[1].removesuffix(".html"))
    assert served is not None
    assert re.search(rb"https?://", served) is None, "the served page names an outside URL"
    # Every request the page made (the interceptor sees them all) was for our scheme or inline data.
    urls = [u for first, u in network_blocker().recent if first == view.page_url]
    assert any(u.endswith("/leaflet.js") for u in urls) and any(u.endswith(".woff2") for u in urls), urls
    assert all(u.startswith(ORIGIN + "/") or u.startswith("data:") for u in urls), urls
    assert run_js(qtbot, view, "Object.keys(C4Map.cams).length") == len(demo_cameras())
    assert run_js(qtbot, view, "Object.keys(C4Map.alerts).length") == 1
    # Font Awesome really rendered (its font loaded from the vendored files).
    wait_js(qtbot, view, "document.fonts.check('900 12px \"Font Awesome 6 Free\"')")
    assert [m for m in view.console_messages if m.level != "info"] == []
    assert view.reported_problems == []


def test_vendored_libraries_carry_their_licences() -> None:
    vendor = RESOURCES / "vendor"
    for lib, licence in (("leaflet", "LICENSE"), ("jquery", "LICENSE.txt"), ("bootstrap", "LICENSE"),
                         ("fontawesome", "LICENSE.txt"), ("awesome-markers", "LICENSE"),
                         ("markercluster", "MIT-LICENCE.txt")):
        assert (vendor / lib / licence).is_file(), lib
        assert (vendor / lib / "package.json").is_file(), lib
    assert '"version": "1.9.' in (vendor / "leaflet" / "package.json").read_text()


def test_interceptor_blocks_and_logs_outside_requests(qtbot: QtBot) -> None:
    """The last line of defence: a probe page on the shared profile, without the map's CSP and allowed to
    reach remote URLs, asks for an outside image. The interceptor blocks it and logs it."""
    url = scheme_handler().add_page("probe", "<!DOCTYPE html><html><body>"
                                             "<img src='https://tiles.example.invalid/1/2/3.png'></body></html>")
    page = MapPage(map_profile())
    page.settings().setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
    try:
        with qtbot.waitSignal(page.loadFinished, timeout=20_000):
            page.load(url)
        qtbot.waitUntil(lambda: any(b.first_party == url for b in network_blocker().blocked), timeout=10_000)
        hit = [b for b in network_blocker().blocked if b.first_party == url]
        assert hit[0].url == "https://tiles.example.invalid/1/2/3.png"
    finally:
        scheme_handler().forget("probe")
        page.deleteLater()
        qtbot.waitUntil(lambda: not shiboken6.isValid(page), timeout=5_000)


def test_page_refuses_to_navigate_away(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = make_map(streets_geojson=streets_geojson())
    run_js(qtbot, view, "(window.__probe = 7, location.href = 'https://example.invalid/', 1)")
    qtbot.waitUntil(lambda: "https://example.invalid/" in view.blocked_requests, timeout=10_000)
    assert run_js(qtbot, view, "window.__probe") == 7


def test_outside_requests_from_script_are_stopped(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    """Even a script inside the page cannot fetch from outside: the page's CSP refuses it before the network."""
    view = make_map(streets_geojson=streets_geojson())
    run_js(qtbot, view, "(new Image().src = 'https://example.invalid/x.png', 1)")
    qtbot.waitUntil(lambda: any("Content Security Policy" in m.message for m in view.console_messages),
                    timeout=10_000)


def test_nasty_names_stay_text(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    cams = [replace(c, name=NASTY if c.id == "cam04" else c.name) for c in demo_cameras()]

    def setup(view: MapView) -> None:
        view.set_cameras(cams)  # before the page is ready: goes over in the initial state
        view.fit_to_cameras()

    view = make_map(streets_geojson=streets_geojson(), setup=setup)
    view.add_alert(gunshot("x</script>", address=NASTY, type=NASTY))  # after: goes over in its own call
    view.show_trail(NASTY, [(41.7645, -72.6740, NASTY), (41.7650, -72.6730, "22:16:05")])
    wait_js(qtbot, view, "!!C4Map.trails[" + '"</script><b>\\"\'"' + "]")
    assert run_js(qtbot, view, "C4Map.cams.cam04.data.name") == NASTY
    assert run_js(qtbot, view, "C4Map.alerts['x</script>'].data.address") == NASTY
    tip = run_js(qtbot, view, "(function(){var m = C4Map.cams.cam04.marker; m.openTooltip();"
                              "return m.getTooltip().getElement().textContent;}())")
    assert NASTY in tip
    labels = run_js(qtbot, view, "Array.from(document.querySelectorAll('.c4-trail-label'))"
                                 ".map(function (e) { return e.textContent; })")
    assert NASTY in labels
    assert run_js(qtbot, view, "document.querySelectorAll('.leaflet-pane b, .leaflet-tooltip b').length") == 0
    assert [m for m in view.console_messages if m.level == "error"] == []


def test_bad_cameras_are_reported_and_the_rest_drawn(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    good = demo_cameras()
    bad = [replace(good[0], id="nan", lat=float("nan")), replace(good[0], id="far", lat=123.0),
           replace(good[0], id="zero", lat=0.0, lon=0.0), replace(good[1], name="duplicate")]
    seen: list[list[str]] = []

    def setup(view: MapView) -> None:
        view.problems.connect(seen.append)
        view.set_cameras([*good, *bad])

    view = make_map(streets_geojson=streets_geojson(), setup=setup)
    assert run_js(qtbot, view, "Object.keys(C4Map.cams).length") == len(good)
    flat = [p for batch in seen for p in batch]
    assert len(flat) == 4 and flat == view.reported_problems
    assert any("nan" in p and "no valid position" in p for p in flat)
    assert any("far" in p for p in flat) and any("placeholder" in p for p in flat)
    assert any("listed twice" in p for p in flat)


def test_view_forgets_its_page_when_deleted(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    view = make_map(streets_geojson=streets_geojson())
    key = view.page_url.rsplit("/", 1)[1].removesuffix(".html")
    assert scheme_handler().page_html(key) is not None
    view.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(view), timeout=5_000)
    assert scheme_handler().page_html(key) is None


def test_map_recovers_when_its_renderer_dies(qtbot: QtBot, make_map: Callable[..., MapView]) -> None:
    """The renderer process is killed (as the OOM killer would): the page reloads and Python redraws it."""
    view = demo_map(make_map)
    view.set_camera_state("cam01", "offline")
    pid = view.renderer_pid()
    assert pid > 0
    with qtbot.waitSignal(view.page_ready, timeout=30_000):
        os.kill(pid, signal.SIGKILL)
    assert any("renderer stopped" in p for p in view.reported_problems)
    assert run_js(qtbot, view, "Object.keys(C4Map.cams).length") == len(demo_cameras())
    assert run_js(qtbot, view, "C4Map.cams.cam01.data.state") == "offline"
