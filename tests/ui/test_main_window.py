"""The main window on a temporary data dir with the demo site, against the real demo RTSP server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from c4desk.config import Paths, Settings
from c4desk.demo import render
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.media.player import Frame
from c4desk.store.models import AuditEventRow
from c4desk.ui.app import build_main_window
from c4desk.ui.main_window import MainWindow


def frame_rgb(frame: Frame) -> np.ndarray:
    """BGRA bytes -> HxWx3 RGB array."""
    raw = np.frombuffer(frame.data, np.uint8)[: frame.stride * frame.height]
    bgra = raw.reshape(frame.height, frame.stride // 4, 4)[:, : frame.width]
    return bgra[:, :, [2, 1, 0]]


def open_window(qtbot: QtBot, services: Services, data_dir: Path) -> MainWindow:
    window = build_main_window(services, Settings(), Paths(data_dir), user="tester")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.camera_tree.item_for("cam01") is not None, timeout=5000)
    return window


def double_click_camera(window: MainWindow, camera_id: str) -> None:
    item = window.camera_tree.item_for(camera_id)
    assert item is not None
    tree = window.camera_tree.tree
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    pos = QPoint(rect.x() + 20, rect.center().y())
    # A real double-click is a press/release followed by the double-click event; views need the first press.
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def test_double_clicked_camera_shows_its_real_frames(qtbot: QtBot, services: Services, demo_site: list[str],
                                                     data_dir: Path) -> None:
    window = open_window(qtbot, services, data_dir)
    tree_groups = [window.camera_tree.tree.topLevelItem(i).text(0)  # type: ignore[union-attr]
                   for i in range(window.camera_tree.tree.topLevelItemCount())]
    assert tree_groups == ["Fixed (3)", "LPR (1)"]

    double_click_camera(window, "cam02")
    tile = window.grid.tiles[0]
    assert tile.camera is not None and tile.camera.id == "cam02"
    qtbot.waitUntil(lambda: tile.status == "live" and tile.current_frame is not None
                    and tile.current_frame.seq > 5, timeout=8000)
    frame = tile.current_frame
    assert frame is not None
    rgb = frame_rgb(frame)
    # The pixels are what the demo rendered for this camera: its identity band and a readable frame counter.
    assert render.identify_camera(rgb) == "cam02"
    assert render.decode_frame_marker(rgb, render.DEFAULT_SIZE) is not None
    # And the widget really paints them: the band's colour is on screen inside the tile (hop arrows, drawn over a
    # hovered tile, are turned off so they cannot cover the sampled pixel).
    window.hops.set_enabled(False)
    shot = tile.grab().toImage()
    band_y = int(tile.height() / 2 - tile.width() * 9 / 16 / 2) + 4
    colour = shot.pixelColor(tile.width() // 2, max(band_y, 22))
    expected = render.camera_colour("cam02")
    assert all(abs(a - b) <= 40 for a, b in zip((colour.red(), colour.green(), colour.blue()), expected,
                                                 strict=True)), (colour.name(), expected)

    # A second camera goes into the next empty tile, and the status bar counts both live.
    double_click_camera(window, "cam01")
    second = window.grid.tiles[1]
    qtbot.waitUntil(lambda: second.status == "live" and second.current_frame is not None, timeout=8000)
    second_frame = second.current_frame
    assert second_frame is not None
    assert render.identify_camera(frame_rgb(second_frame)) == "cam01"
    qtbot.waitUntil(lambda: "streams 2/2 live" in window.stream_label.text(), timeout=3000)
    window.close()


def test_layout_is_remembered_per_user(qtbot: QtBot, services: Services, data_dir: Path) -> None:
    window = open_window_empty(qtbot, services, data_dir)
    size = QSize(1500, 850)
    window.resize(size)
    window.lpr_dock.hide()
    window.close()
    again = open_window_empty(qtbot, services, data_dir)
    assert again.size() == size
    assert not again.lpr_dock.isVisible()
    again.close()
    state = QSettings(str(Paths(data_dir).ui_state_file), QSettings.Format.IniFormat)
    assert state.value("users/tester/main/state") is not None


def open_window_empty(qtbot: QtBot, services: Services, data_dir: Path) -> MainWindow:
    window = build_main_window(services, Settings(), Paths(data_dir), user="tester")
    qtbot.addWidget(window)
    window.show()
    return window


def test_unreachable_camera_says_why_and_keeps_the_rest_running(qtbot: QtBot, services: Services,
                                                                 demo_site: list[str], data_dir: Path) -> None:
    from c4desk.domain.camera import parse_camera

    services.cameras.upsert_many([parse_camera({"id": "dead1", "name": "Dead camera", "lat": 41.76, "lon": -72.67,
                                                "stream_main": "rtsp://127.0.0.1:9/nothing"})])
    window = open_window(qtbot, services, data_dir)
    qtbot.waitUntil(lambda: window.camera_tree.item_for("dead1") is not None, timeout=5000)
    double_click_camera(window, "dead1")
    double_click_camera(window, "cam03")
    dead, good = window.grid.tiles[0], window.grid.tiles[1]
    qtbot.waitUntil(lambda: dead.status in ("offline", "reconnecting") and dead.reason != "", timeout=8000)
    assert "refused" in dead.reason.lower()
    qtbot.waitUntil(lambda: good.status == "live", timeout=8000)
    window.close()


def test_area_selection_opens_a_view_of_every_camera_that_sees_it(qtbot: QtBot, services: Services,
                                                                  demo_site: list[str], data_dir: Path) -> None:
    window = open_window(qtbot, services, data_dir)
    window.on_area_selected(["cam01", "cam02", "cam03", "lpr01", "unknown"])
    qtbot.waitUntil(lambda: window.grid.cameras()[:4] == ["cam01", "cam02", "cam03", "lpr01"], timeout=5000)
    assert len(window.grid.tiles) == 4  # a 2x2 view sized to the selection
    window.on_area_selected(["cam03"])
    qtbot.waitUntil(lambda: window.grid.cameras() == ["cam03"], timeout=5000)  # one camera: a 1x1 view
    window.on_area_selected(["unknown"])  # nothing known sees it: the view is left as it was
    assert window.grid.cameras() == ["cam03"]
    window.close()


def test_live_plate_reads_reach_only_roles_that_may_see_them(qtbot: QtBot, services: Services,
                                                            data_dir: Path) -> None:
    """An analyst's Live reads tab gets each read from the bus; a wall operator's says why it shows none (no
    SEARCH_PLATES), gets none from the bus, and its opening leaves no refusal in the audit trail (it did not ask)."""
    services.cameras.upsert_many([Camera(id="lprA", name="Main St EB", lat=41.765, lon=-72.675,
                                         kind=CameraKind.LPR)])
    windows = {}
    for actor in (Actor("ana", Role.ANALYST, "ws-ana"), Actor("wally", Role.WALL_OPERATOR, "ws-wall")):
        window = build_main_window(services, Settings(), Paths(data_dir), user=actor)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda w=window: bool(w._cameras), timeout=5000)  # loaded (the reads with the cameras)
        window.lpr_dock.raise_()
        window.lpr_tabs.setCurrentWidget(window.live_reads)
        windows[actor.role] = window
    analyst, wall = windows[Role.ANALYST].live_reads, windows[Role.WALL_OPERATOR].live_reads
    assert analyst.currentWidget() is analyst.table and wall.currentWidget() is wall.notice
    assert "Your role (wall_operator) may not see plate reads" in wall.notice.text()
    read = services.plate_reads.add(LprRead(camera_id="lprA", plate_raw="6PZ193", read_at=datetime.now(UTC)))
    qtbot.waitUntil(lambda: analyst.table.records.rowCount() == 1, timeout=5000)
    qtbot.wait(100)  # the wall operator's window had the same event by now
    assert analyst.table.records.record(0).id == read.id and wall.table.records.rowCount() == 0
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEventRow)
                        .where(AuditEventRow.event_type.in_(["permission_denied", "plate_query"]))) == 0
    for window in windows.values():
        window.close()
