"""Any view plays back, not only the main window's: the playback keys work in a detached view window, and the one
timeline dock moves to the view that plays back (and back home when that window closes). Real store, recorded
segments cut from the demo clips, real keys on real windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from c4desk.domain.layouts import ViewSpec, preset
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.media.playback import PlaybackPlayer
from c4desk.store.views import ViewRepository
from c4desk.ui.wall.controller import WallController
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.timeline import StoreTimelineSource, TimelineWidget
from c4desk.ui.wall.windows import ViewWindow
from tests.ui.wall.conftest import make_camera
from tests.ui.wall.test_timeline import site  # noqa: F401 - the fixture: cam01 and cam02 recorded, minutes ago

pytestmark = [pytest.mark.timeout(90)]

ANALYST = Actor("ana", Role.ANALYST, "ws-ana")


class Desk:
    """A main window with its grid, the wall controller and playback wired as ui/main_window.py does."""

    def __init__(self, qtbot: QtBot, services: Services) -> None:
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        self.grid = LiveGrid(PlayerSource(), parent=self.window, layout=preset("1x1"))
        self.window.setCentralWidget(self.grid)
        self.wall = WallController(self.grid, PlayerSource(), bus=services.bus, user="ana", window=self.window,
                                   views=ViewRepository(services.db), actor=ANALYST)
        self.playback = WallPlayback(services.recordings, self.wall.active_grid, self.window, alert_lead_s=5.0)
        self.timeline = TimelineWidget(StoreTimelineSource(services.recordings, services.alerts,
                                                           services.plate_reads, actor=ANALYST).load)
        qtbot.addWidget(self.timeline)
        self.playback.bind_timeline(self.timeline, self.grid)
        self.wall.window_opened.connect(self.playback.attach_window)
        self.wall.set_cameras([make_camera("cam01"), make_camera("cam02")])
        self.grid.show_cameras([make_camera("cam01")])
        self.window.resize(640, 400)
        self.window.show()
        qtbot.waitExposed(self.window)


def activate(qtbot: QtBot, window: QMainWindow | ViewWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def test_a_detached_view_plays_back_with_the_keys_and_the_timeline_follows_it(
        qtbot: QtBot, services: Services, site: datetime) -> None:  # noqa: F811 - the fixture imported above
    desk = Desk(qtbot, services)
    assert desk.playback.timeline_grid is desk.grid
    detached = desk.wall.detach(ViewSpec(name="chase", layout=preset("1x1"), cameras=("cam02",)))
    qtbot.waitExposed(detached)
    activate(qtbot, detached)
    assert desk.wall.active_grid() is detached.grid

    tile = detached.grid.tiles[0]
    QTest.keyClick(tile, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # in the detached window
    view = desk.playback.for_grid(detached.grid)
    assert view.active and not desk.playback.for_grid(desk.grid).active  # that view, not the main one
    assert desk.playback.timeline_grid is detached.grid  # the timeline shows the view that went to playback
    assert desk.timeline._camera_ids == ["cam02"]

    view.clock.seek(site + timedelta(seconds=1))
    qtbot.waitUntil(lambda: isinstance(tile.player, PlaybackPlayer) and tile.player.shown_at is not None,
                    timeout=5000)
    QTest.keyClick(tile, Qt.Key.Key_Space)
    assert view.clock.playing
    QTest.keyClick(tile, Qt.Key.Key_BracketRight)
    assert view.clock.speed == 2.0
    QTest.keyClick(tile, Qt.Key.Key_Space)
    assert not view.clock.playing

    # The timeline's own controls drive the view it shows: Live takes the detached view back to live.
    desk.timeline.live_requested.emit()
    assert not view.active

    # Back in the main window, Ctrl+P there plays the main view back; the timeline comes along.
    activate(qtbot, desk.window)
    QTest.keyClick(desk.grid.tiles[0], Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert desk.playback.for_grid(desk.grid).active and not view.active
    assert desk.playback.timeline_grid is desk.grid and desk.timeline._camera_ids == ["cam01"]

    # The detached view in playback again; turning to its window brings the timeline to it.
    view.enter(site + timedelta(seconds=2))
    activate(qtbot, desk.window)
    desk.playback.bind_timeline(desk.timeline, desk.grid)  # as if the analyst last worked in the main view
    activate(qtbot, detached)
    qtbot.waitUntil(lambda: desk.playback.timeline_grid is detached.grid, timeout=3000)

    # Its window closes: the timeline goes home to the main view (still in playback there).
    detached.close()
    qtbot.waitUntil(lambda: desk.playback.timeline_grid is desk.grid, timeout=3000)
    assert desk.timeline._camera_ids == ["cam01"] and desk.timeline._in_playback
    desk.wall.close()
    desk.grid.close_players()


def test_the_wall_window_is_the_active_view_when_it_is_active(qtbot: QtBot, services: Services,
                                                               tmp_path: Path) -> None:
    desk = Desk(qtbot, services)
    wall = desk.wall.open_wall()
    qtbot.waitExposed(wall)
    wall.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wall, timeout=3000)
    assert desk.wall.active_grid() is wall.grid
    assert desk.playback.toggle_action in wall.actions()  # Ctrl+P and the rest reach the wall's view
    desk.wall.close()
    desk.grid.close_players()
