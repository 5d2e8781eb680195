"""Camera hopping on the wall, on the demo city: arrows toward the neighbours, hops that keep the moment in
playback, and follow mode recording the trail in the store and drawing it on the (real QtWebEngine) map.

The recordings are stream copies of the demo cameras' clips (identity colour band and frame marker burned in),
indexed in a real SQLite store; the neighbours come from the real navigator over the demo city's streets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from c4desk.demo import city, render
from c4desk.domain.camera import Camera
from c4desk.domain.layouts import preset
from c4desk.domain.navigator import NeighbourGraph
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.media.playback import PlaybackPlayer
from c4desk.ui.map.map_view import MapView
from c4desk.ui.wall.hop_overlay import HopArrow, HopController, screen_angle
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import ViewPlayback
from c4desk.ui.wall.players import PlayerSource
from tests.media.test_playback import FPS, demo_clips, frame_rgb, marker, record
from tests.ui.map.conftest import READY_MS, run_js, wait_js
from tests.ui.wall.test_playback import insert_segments

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

ROUTE = ("cam01", "cam02", "cam03", "cam04")  # the scripted vehicle's first cameras (demo/script.py)
ANALYST = Actor("analyst1", Role.ANALYST, "ws-test")


@pytest.fixture
def site(services: Services, media_cache: Path, tmp_path: Path) -> tuple[dict[str, Camera], datetime]:
    """The demo city's cameras in the store, the route's cameras recorded for 20 s ten minutes ago."""
    cameras = city.demo_cameras()
    services.cameras.upsert_many(cameras)
    clips = demo_clips(media_cache, ROUTE)
    root = services.recordings.root
    base = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    for camera_id in ROUTE:
        insert_segments(services, root, camera_id, record(clips[camera_id], root, camera_id, base, 5))
    return {c.id: c for c in cameras}, base


@pytest.fixture
def wall(qtbot: QtBot, services: Services, site: tuple[dict[str, Camera], datetime]) -> Iterator[
        tuple[LiveGrid, ViewPlayback, HopController, MapView]]:
    cameras, _base = site
    grid = LiveGrid(PlayerSource(), layout=preset("1x1"), camera_lookup=cameras.get)
    qtbot.addWidget(grid)
    grid.resize(720, 420)
    map_view = MapView(streets_geojson=city.streets_geojson())
    map_view.resize(700, 600)
    map_view.set_cameras(cameras.values())
    with qtbot.waitSignal(map_view.page_ready, timeout=READY_MS):
        map_view.show()
    grid.show()
    qtbot.waitExposed(grid)
    playback = ViewPlayback(grid, services.recordings)
    hops = HopController(grid, playback=playback, trails=services.trails, actor=ANALYST, map_view=map_view)
    hops.set_graph(NeighbourGraph.build(list(cameras.values()), city.streets_geojson()))
    yield grid, playback, hops, map_view
    grid.close_players()
    map_view.close()


def showing(grid: LiveGrid, camera_id: str, at: datetime) -> bool:
    """The tile plays ``camera_id``'s recording and shows the frame recorded at ``at`` (read from its pixels)."""
    tile = grid.tiles[0]
    player, frame = tile.player, tile.current_frame
    if not isinstance(player, PlaybackPlayer) or player.camera_id != camera_id or frame is None:
        return False
    if frame.pts_s is None or abs(frame.pts_s - at.timestamp()) > 1e-3:
        return False
    return render.identify_camera(frame_rgb(frame)) == camera_id


def test_three_hops_along_the_demo_route_are_followed_recorded_and_drawn(
        qtbot: QtBot, services: Services, site: tuple[dict[str, Camera], datetime],
        wall: tuple[LiveGrid, ViewPlayback, HopController, MapView], tmp_path: Path) -> None:
    cameras, base = site
    grid, playback, hops, map_view = wall
    start = base + timedelta(seconds=2)
    playback.enter(start)
    grid.show_cameras([cameras["cam01"]])
    tile = grid.tiles[0]
    grid.select(tile)
    hops.refresh()
    qtbot.waitUntil(lambda: showing(grid, "cam01", start), timeout=5000)
    # Arrows for the neighbours, placed the way their streets leave the picture; cam02 (straight on) is first.
    arrows = hops.arrows
    assert arrows and arrows[0].neighbour.camera_id == "cam02" and arrows[0].best
    assert abs(screen_angle(cameras["cam01"], arrows[0].neighbour.direction_deg)) < 1  # ahead: the top edge
    assert arrows[0].geometry().center().y() < tile.height() / 2
    assert arrows[0].key_hint == "Alt+\u2191"

    with qtbot.waitSignal(hops.follow_changed, timeout=5000) as started:
        assert hops.start_follow(plate="6PZ193", label="shots fired, dark blue sedan")
    trail_id = started.args[0]
    assert isinstance(trail_id, int)

    times = [start]
    for step, camera_id in enumerate(ROUTE[1:], start=1):
        at = start + timedelta(seconds=3 * step + 7 / FPS)  # the analyst played on a little before each hop
        playback.clock.seek(at)
        qtbot.waitUntil(lambda t=at: isinstance(tile.player, PlaybackPlayer) and tile.player.shown_at == t,
                        timeout=5000)
        if step == 1:  # the first hop by keyboard: Alt+Up takes the arrow pointing up
            tile.setFocus()
            QTest.keyClick(tile, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
        else:  # then by clicking the route's next camera among the arrows
            arrow = next(a for a in hops.arrows if a.neighbour.camera_id == camera_id)
            QTest.mouseClick(arrow, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        # The tile moved to the next camera at the same moment: its pixels are that camera's frame at that time.
        qtbot.waitUntil(lambda c=camera_id, t=at: showing(grid, c, t), timeout=5000)
        assert marker(tile.current_frame) == round((at - base).total_seconds() * FPS) % 60  # type: ignore[arg-type]
        assert all(isinstance(a, HopArrow) and a.parent() is tile for a in hops.arrows)
        times.append(at)
    hops.stop_follow()

    # The store has the trail: four cameras, each entered at the video time of the hop, closed at the next.
    def stored() -> bool:
        trail = services.trails.get(trail_id)
        return trail is not None and trail.steps[-1:] != () and trail.steps[-1].time_out is not None
    qtbot.waitUntil(stored, timeout=5000)
    trail = services.trails.get(trail_id)
    assert trail is not None and trail.plate == "6PZ193"
    assert [s.camera_id for s in trail.steps] == list(ROUTE)
    assert [s.time_in for s in trail.steps] == times
    assert [s.time_out for s in trail.steps[:-1]] == times[1:]
    # ... and the map draws it: a stop per camera, labelled with its name and times, along the streets.
    entry = f"C4Map.hopTrails['hop-{trail_id}']"
    wait_js(qtbot, map_view, f"{entry} && {entry}.stops.length === 4 && {entry}.stops[3].indexOf('-') > 0")
    drawn = run_js(qtbot, map_view, f"{{stops: {entry}.stops, points: {entry}.points}}")
    assert [label.split(" ", 1)[0] for label in drawn["stops"]] == ["1.", "2.", "3.", "4."]
    assert cameras["cam03"].name in drawn["stops"][2]
    assert drawn["points"] >= 4  # the street route between the cameras, not fewer points than stops
    # Labels on screen (earlier drawings' labels fade out: opacity 0 until Leaflet's fade timer removes them).
    labels = run_js(qtbot, map_view, "Array.from(document.querySelectorAll('.c4-hop-label'))"
                                     ".filter(e => e.style.opacity !== '0').map(e => e.textContent)")
    assert labels == drawn["stops"]
    assert not [m for m in map_view.console_messages if m.level == "error"]
    # ... and it exports: GeoJSON along the streets, CSV one row per camera.
    qtbot.waitUntil(lambda: hops.last_trail is not None and hops.last_trail.steps[-1].time_out is not None,
                    timeout=5000)
    geo = json.loads(hops.export(trail, tmp_path / "trail.geojson").read_text())
    assert [f["properties"].get("camera_id") for f in geo["features"]] == [None, *ROUTE]
    assert len(geo["features"][0]["geometry"]["coordinates"]) >= 4
    rows = (hops.export(trail, tmp_path / "trail.csv")).read_text().splitlines()
    assert len(rows) == 5 and rows[1].split(",")[2] == "cam01"


def test_a_live_tile_hops_live_without_a_black_gap(qtbot: QtBot, services: Services, demo_site: list[str]) -> None:
    """Live, Alt+arrow moves the tile to the neighbour's live stream (the real demo RTSP server); the old picture
    stays up until the new camera's first one, and no playback is involved."""
    cameras = {c.id: c for c in services.cameras.list()}
    grid = LiveGrid(PlayerSource(), layout=preset("1x1"), camera_lookup=cameras.get)
    qtbot.addWidget(grid)
    grid.resize(640, 380)
    grid.show()
    qtbot.waitExposed(grid)
    hops = HopController(grid)
    hops.set_graph(NeighbourGraph.build(list(cameras.values()), city.streets_geojson()))
    grid.show_cameras([cameras["cam01"]])
    tile = grid.tiles[0]
    grid.select(tile)
    hops.refresh()
    qtbot.waitUntil(lambda: tile.status == "live" and tile.current_frame is not None, timeout=10_000)
    # Live, the arrows are up only while the mouse is over the tile: otherwise the picture stays clear.
    QApplication.sendEvent(tile, QEvent(QEvent.Type.Leave))
    assert not hops.arrows_shown and hops.arrows and not any(a.isVisible() for a in hops.arrows)
    QApplication.sendEvent(tile, QEnterEvent(QPointF(50, 50), QPointF(50, 50), QPointF(50, 50)))
    assert hops.arrows_shown and all(a.isVisible() for a in hops.arrows)
    blank_frames = []
    tile.frame_shown.connect(lambda frame: blank_frames.append(frame is None))
    tile.setFocus()
    QTest.keyClick(tile, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert tile.switching  # the new stream connects beside the old one
    qtbot.waitUntil(lambda: tile.camera is not None and tile.camera.id == "cam02" and not tile.switching
                    and tile.current_frame is not None
                    and render.identify_camera(frame_rgb(tile.current_frame)) == "cam02", timeout=10_000)
    assert tile.status == "live" and not isinstance(tile.player, PlaybackPlayer)
    assert not any(blank_frames)
    grid.close_players()
