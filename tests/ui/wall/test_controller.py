"""The wall controller with a real store: saved views and favourites, detached windows restored with their
cameras, pushes to the wall through the bus, snapshots with their hash (taken as the logged-in user; a wall
operator is refused), the custom layout editor."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from c4desk.demo import render
from c4desk.domain.camera import Camera
from c4desk.domain.events import WallPush
from c4desk.domain.layouts import Layout, TileRect, ViewSpec, preset, uniform
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.store.models.views import SnapshotRow
from c4desk.store.snapshots import Snapshot, SnapshotRepository
from c4desk.store.views import ViewRepository
from c4desk.ui.wall.controller import WallController
from c4desk.ui.wall.layout_editor import LayoutEditor
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.players import PlayerSource
from tests.ui.wall.conftest import image_rgb, make_camera

# Cameras without stream URLs: these tests are about views, not video, and cost no decoding.
QUIET = [make_camera(f"q{i}") for i in range(1, 10)]


class Seat:
    """A main window with its grid and the wall controller, as main_window wires them."""

    def __init__(self, qtbot: QtBot, services: Services, data_dir: Path, user: str = "ana",
                 role: Role = Role.ANALYST) -> None:
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        self.grid = LiveGrid(PlayerSource(), parent=self.window)
        self.window.setCentralWidget(self.grid)
        self.wall = WallController(self.grid, PlayerSource(), bus=services.bus, user=user, window=self.window,
                                   views=ViewRepository(services.db),
                                   snapshots=SnapshotRepository(services.db, data_dir / "snapshots"),
                                   actor=Actor(user, role, f"seat-{user}"))
        self.messages: list[str] = []
        self.wall.message.connect(self.messages.append)
        self.window.resize(760, 480)
        self.window.show()

    def close(self) -> None:
        self.wall.close()
        self.window.close()


@pytest.fixture
def seats(qtbot: QtBot, services: Services, data_dir: Path) -> Iterator[list[Seat]]:
    made: list[Seat] = []
    yield made
    for seat in made:
        seat.close()


def test_saved_views_round_trip_and_favourites(qtbot: QtBot, services: Services, data_dir: Path,
                                               seats: list[Seat]) -> None:
    seat = Seat(qtbot, services, data_dir)
    seats.append(seat)
    seat.wall.set_cameras(QUIET)
    seat.grid.set_layout(preset("1+5"))
    seat.grid.show_cameras(QUIET[:4])
    seat.wall.save_view("North", favourite=1)
    qtbot.waitUntil(lambda: 1 in seat.wall.favourites, timeout=5000)
    seat.grid.set_layout(preset("2x2"))
    seat.grid.start_cycle([c.id for c in QUIET], 5.0)
    seat.wall.save_view("Tour", favourite=2)
    qtbot.waitUntil(lambda: 2 in seat.wall.favourites, timeout=5000)
    assert [v.name for v in seat.wall.saved_views] == ["North", "Tour"]
    seat.grid.stop_cycle()
    seat.grid.set_layout(preset("3x3"))
    seat.grid.show_cameras([])
    # Ctrl+1 brings the first view back exactly; Ctrl+2 the cycling one.
    QTest.keyClick(seat.window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert seat.grid.grid_layout == preset("1+5")
    assert seat.grid.cameras() == ["q1", "q2", "q3", "q4", None, None]
    QTest.keyClick(seat.window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert seat.grid.cycle == tuple(c.id for c in QUIET) and seat.grid.cycle_dwell_s == 5.0
    assert seat.grid.cameras() == ["q1", "q2", "q3", "q4"]
    assert not seat.wall.apply_favourite(9)
    # Another user sees the view once it is shared, and can load it.
    seat.wall.save_view("Room", shared=True)
    qtbot.waitUntil(lambda: len(seat.wall.saved_views) == 3, timeout=5000)
    other = Seat(qtbot, services, data_dir, user="ben")
    seats.append(other)
    qtbot.waitUntil(lambda: [v.name for v in other.wall.saved_views] == ["Room"], timeout=5000)
    other.wall.set_cameras(QUIET)
    other.wall.load_view(other.wall.saved_views[0])
    assert other.grid.view_spec().cycle == seat.grid.view_spec().cycle


def test_detached_windows_come_back_with_their_cameras(qtbot: QtBot, services: Services, data_dir: Path,
                                                       seats: list[Seat]) -> None:
    seat = Seat(qtbot, services, data_dir)
    seat.wall.set_cameras(QUIET)
    seat.grid.show_cameras(QUIET[:2])
    window = seat.wall.detach(ViewSpec(name="x", layout=preset("1+5"), cameras=("q5", "q6", None, "q7")))
    qtbot.waitExposed(window)
    window.resize(500, 300)
    screen = QGuiApplication.screens()[-1]  # the second monitor of the test platform's two, when there are two
    screen_name = screen.name()  # compared by name: PySide may hand out a new wrapper for the same screen
    window.move_to_screen(screen)
    assert window.screen().name() == screen_name and screen.geometry().contains(window.geometry())
    full = seat.wall.detach(ViewSpec(name="y", layout=uniform(1), cameras=("q8",)))
    full.toggle_fullscreen()
    qtbot.waitUntil(full.isFullScreen, timeout=3000)
    seat.wall.open_wall(screen)
    assert len(seat.wall.grids()) == 4
    state = QSettings(str(data_dir / "ui-state.ini"), QSettings.Format.IniFormat)
    seat.wall.save_state(state, "users/ana/wall")
    state.sync()
    seat.close()

    again = Seat(qtbot, services, data_dir)
    seats.append(again)
    again.wall.restore_state(QSettings(str(data_dir / "ui-state.ini"), QSettings.Format.IniFormat),
                             "users/ana/wall")
    assert len(again.wall.windows) == 2
    restored, restored_full = again.wall.windows
    # The cameras are known by id until the camera list arrives, then the tiles fill in.
    assert restored.grid.cameras() == ["q5", "q6", None, "q7", None, None]
    assert restored.grid.tiles[0].camera is None
    again.wall.set_cameras(QUIET)
    assert [t.camera.id if t.camera else None for t in restored.grid.tiles] == ["q5", "q6", None, "q7", None, None]
    assert again.grid.cameras() == ["q1", "q2", None, None]
    assert restored.size().width() == 500 and restored.screen().name() == screen_name
    assert restored_full.isFullScreen() and restored_full.grid.cameras() == ["q8"]
    assert again.wall.wall is not None and again.wall.wall.isFullScreen()
    assert again.wall.wall.screen().name() == screen_name
    menu = [a.text() for a in restored.grid.tile_menu(restored.grid.tiles[0]).actions()]
    assert {"Move window to screen", "Full screen", "Close window"} <= set(menu)
    # F11 leaves full screen.
    restored_full.activateWindow()
    qtbot.waitUntil(restored_full.isActiveWindow, timeout=3000)
    QTest.keyClick(restored_full, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not restored_full.isFullScreen(), timeout=3000)


def test_push_reaches_the_wall_from_tiles_and_from_other_threads(qtbot: QtBot, services: Services,
                                                                 data_dir: Path, seats: list[Seat]) -> None:
    seat = Seat(qtbot, services, data_dir)
    seats.append(seat)
    seat.wall.set_cameras(QUIET)
    screen = QGuiApplication.screens()[-1]
    wall = seat.wall.open_wall(screen)
    qtbot.waitExposed(wall)
    assert wall.isFullScreen() and wall.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert wall.screen().name() == screen.name() and wall.geometry() == screen.geometry()
    assert not wall.grid.editable and not wall.grid.tiles[0].acceptDrops()
    seat.grid.set_layout(preset("1+5"))
    seat.grid.show_cameras(QUIET[:3])
    with qtbot.waitSignal(wall.pushed, timeout=3000) as pushed:
        seat.grid.push_camera(seat.grid.tiles[1])  # the tile menu's "Push camera to wall"
    assert pushed.args[0].camera_ids == ("q2",) and pushed.args[0].pushed_by == "ana"
    assert wall.grid.grid_layout == preset("1x1") and wall.grid.cameras() == ["q2"]
    with qtbot.waitSignal(wall.pushed, timeout=3000):
        seat.grid.push_view()
    assert wall.grid.grid_layout == preset("1+5") and wall.grid.cameras() == ["q1", "q2", "q3", None, None, None]
    # A custom layout travels as JSON.
    seat.grid.set_layout(Layout(3, 3, (TileRect(row=0, col=0, rows=3, cols=2), TileRect(row=0, col=2),
                                       TileRect(row=1, col=2), TileRect(row=2, col=2))))
    with qtbot.waitSignal(wall.pushed, timeout=3000):
        seat.grid.push_view()
    assert wall.grid.grid_layout.tiles == seat.grid.grid_layout.tiles
    # The bus may deliver on any thread (another seat's push via the database): the wall still gets it.
    with qtbot.waitSignal(wall.pushed, timeout=3000):
        sender = threading.Thread(target=services.bus.publish,
                                  args=(WallPush(camera_ids=("q9", "q8"), layout="", pushed_by="ben"),))
        sender.start()
        sender.join()
    assert wall.grid.grid_layout == preset("2x2") and wall.grid.cameras()[:2] == ["q9", "q8"]
    # Pushes for another wall are not for this one.
    services.bus.publish(WallPush(camera_ids=("q1",), target="lobby"))
    qtbot.wait(50)
    assert wall.last_push is not None and wall.last_push.pushed_by == "ben"
    seat.wall.close_wall()
    assert seat.wall.wall is None


def test_snapshot_is_a_hashed_png_of_the_live_picture(qtbot: QtBot, services: Services, data_dir: Path,
                                                      seats: list[Seat], wall_cameras: dict[str, Camera]) -> None:
    seat = Seat(qtbot, services, data_dir)
    seats.append(seat)
    seat.wall.set_cameras(list(wall_cameras.values()))
    tile = seat.grid.open_camera(wall_cameras["cam04"])
    assert not seat.wall.take_snapshot(tile)  # not live yet: nothing to vouch for
    qtbot.waitUntil(lambda: tile.status == "live", timeout=8000)
    saved: list[Snapshot] = []
    assert seat.wall.take_snapshot(tile, saved.append)
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    snap = saved[0]
    data = snap.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == snap.sha256
    assert snap.camera_id == "cam04" and snap.taken_by == "ana" and snap.taken_at.tzinfo is not None
    image = QImage.fromData(data, "PNG")
    assert (image.width(), image.height()) == (snap.width, snap.height)
    assert render.identify_camera(image_rgb(image)) == "cam04"
    assert SnapshotRepository(services.db, data_dir).get(snap.id) == snap
    assert any("Snapshot of" in m for m in seat.messages)
    assert seat.wall.snapshot_action.isEnabled()
    with services.db.session() as s:
        record = s.scalars(select(AuditEventRow).where(AuditEventRow.object == f"snapshot:{snap.id}")).one()
        assert (record.event_type, record.username, record.workstation, record.detail["action"],
                record.detail["sha256"]) == ("clip_change", "ana", "seat-ana", "still", snap.sha256)


def test_a_wall_operator_is_told_why_no_snapshot(qtbot: QtBot, services: Services, data_dir: Path,
                                                 seats: list[Seat], wall_cameras: dict[str, Camera]) -> None:
    """The wall operator lacks TAG_CLIPS: the menu action is disabled with the reason, and a still asked for from
    the tile's menu is refused by the store (audited), shown as a line in the status bar, with nothing stored."""
    seat = Seat(qtbot, services, data_dir, user="wally", role=Role.WALL_OPERATOR)
    seats.append(seat)
    assert not seat.wall.snapshot_action.isEnabled()
    assert "may not take stills" in seat.wall.snapshot_action.toolTip()
    seat.wall.set_cameras(list(wall_cameras.values()))
    tile = seat.grid.open_camera(wall_cameras["cam04"])
    qtbot.waitUntil(lambda: tile.status == "live", timeout=8000)
    saved: list[Snapshot] = []
    assert seat.wall.take_snapshot(tile, saved.append)  # asked (the store decides)
    qtbot.waitUntil(lambda: any("not allowed" in m for m in seat.messages), timeout=5000)
    message = next(m for m in seat.messages if "not allowed" in m)
    assert message.startswith("Snapshot not allowed: wally (wall operator) may not take stills")
    assert saved == [] and list((data_dir / "snapshots").rglob("*.png")) == []
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SnapshotRow)) == 0
        denied = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type == "permission_denied")).one()
        assert (denied.username, denied.workstation, denied.object, denied.detail["action"]) == (
            "wally", "seat-wally", "camera:cam04", "tag_clips")


def test_no_snapshot_without_a_logged_in_user(qtbot: QtBot, services: Services, data_dir: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    grid = LiveGrid(PlayerSource(), parent=window)
    wall = WallController(grid, PlayerSource(), bus=services.bus, user="ana", window=window,
                          snapshots=SnapshotRepository(services.db, data_dir / "snapshots"))
    messages: list[str] = []
    wall.message.connect(messages.append)
    tile = grid.tiles[0]
    assert not wall.take_snapshot(tile)
    assert messages == ["Snapshots need a logged-in user"]
    wall.close()


def test_custom_layout_editor_merges_and_splits(qtbot: QtBot) -> None:
    editor = LayoutEditor(uniform(3))
    qtbot.addWidget(editor)
    editor.canvas.select_cells(0, 0, 1, 1)
    assert editor.merge_button.isEnabled()
    editor.merge_selection()
    assert editor.result_layout.tiles[0] == TileRect(row=0, col=0, rows=2, cols=2) and len(editor.result_layout) == 6
    editor.canvas.select_cells(1, 1, 2, 2)  # cuts the big tile: refused, with the reason
    editor.merge_selection()
    assert "cuts through" in editor.problem.text() and len(editor.result_layout) == 6
    QTest.mouseClick(editor.canvas, Qt.MouseButton.LeftButton, pos=editor.canvas.rect().center() / 3)
    assert editor.split_button.isEnabled()
    editor.split_selection()
    assert editor.result_layout == Layout(3, 3, uniform(3).tiles, "custom")
    editor.cols.setValue(4)
    assert (editor.result_layout.cols, editor.result_layout.rows, len(editor.result_layout)) == (4, 3, 12)


def test_save_and_cycle_dialogs_return_what_was_chosen(qtbot: QtBot) -> None:
    from c4desk.ui.wall.dialogs import CycleDialog, SaveViewDialog

    save = SaveViewDialog("Downtown", shared=True, slot=3)
    qtbot.addWidget(save)
    assert save.values == ("Downtown", True, 3)
    save.name_edit.setText("  ")
    assert not save.buttons.button(save.buttons.StandardButton.Save).isEnabled()  # type: ignore[union-attr]
    cycle = CycleDialog(QUIET[:4], ["q2", "q4"], 1.0)
    qtbot.addWidget(cycle)
    assert cycle.values == (["q2", "q4"], 3.0)  # a dwell under 3 s is raised to 3 s
