"""The playback timeline on a real store: what it draws (recorded ranges, gaps, alerts, reads, bookmarks), zoom
from minutes to days, and its controls driving the view's playback (scrub, play, speed, frame step, jump to a
time, jump to an alert minus the lead)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, insert, select

from c4desk.domain.alerts import GunshotReport
from c4desk.domain.layouts import preset
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.media.playback import PlaybackPlayer
from c4desk.store.models import AlertRow, AuditEventRow, PlateReadRow, RecordingGapRow
from c4desk.store.plate_reads import row_values
from c4desk.ui import theme
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.timeline import (
    ALERT_LANE_H,
    MAX_SPAN,
    MIN_SPAN,
    RULER_H,
    StoreTimelineSource,
    TimelineWidget,
)
from tests.media.test_playback import FPS, demo_clips, record
from tests.ui.wall.conftest import make_camera
from tests.ui.wall.test_playback import insert_segments

pytestmark = [pytest.mark.timeout(90)]

LEAD_S = 5.0
ANALYST = Actor("analyst1", Role.ANALYST, "ws")


@pytest.fixture
def site(services: Services, media_cache: Path) -> datetime:
    """cam01 recorded 12 s, cam02 4 s then a recorder gap; an alert, a read of cam01, a bookmark on cam02."""
    clips = demo_clips(media_cache)
    root = services.recordings.root
    base = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    insert_segments(services, root, "cam01", record(clips["cam01"], root, "cam01", base, 3))
    insert_segments(services, root, "cam02", record(clips["cam02"], root, "cam02", base, 1))
    with services.db.session(write=True) as s:
        s.add(RecordingGapRow(camera_id="cam02", start_at=base + timedelta(seconds=4),
                              end_at=base + timedelta(seconds=12), reason="camera offline"))
    services.alerts.add_or_update_gunshot(GunshotReport(
        id="SST-1", type="multiple_gunshots", detected_at=base + timedelta(seconds=9), lat=41.765, lon=-72.673,
        rounds=4, address="High & Elm"))
    services.cameras.upsert_many([make_camera("cam01"), make_camera("cam02")])
    services.plate_reads.add(LprRead(camera_id="cam01", plate_raw="6PZ193", read_at=base + timedelta(seconds=6)))
    services.recordings.add_bookmark(Actor("analyst1", Role.ANALYST, "ws"), "cam02", base + timedelta(seconds=2),
                                     "car enters")
    return base


@pytest.fixture
def desk(qtbot: QtBot, services: Services, site: datetime) -> Iterator[tuple[LiveGrid, WallPlayback,
                                                                                TimelineWidget]]:
    grid = LiveGrid(PlayerSource(), layout=preset("2x1"))
    qtbot.addWidget(grid)
    grid.resize(640, 200)
    timeline = TimelineWidget(StoreTimelineSource(services.recordings, services.alerts, services.plate_reads,
                                                  actor=ANALYST).load, alert_lead_s=LEAD_S)
    qtbot.addWidget(timeline)
    timeline.resize(1000, 120)
    playback = WallPlayback(services.recordings, lambda: grid, grid, alert_lead_s=LEAD_S)
    playback.bind_timeline(timeline, grid)
    grid.show()
    timeline.show()
    qtbot.waitExposed(timeline)
    yield grid, playback, timeline
    grid.close_players()


def colour_at(widget: TimelineWidget, x: float, y: int) -> QColor:
    bar = widget.bar
    return bar.grab().toImage().pixelColor(round(x), y)


def near(colour: QColor, expected: QColor, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in ((colour.red(), expected.red()), (colour.green(), expected.green()),
                                                    (colour.blue(), expected.blue())))


def hue(colour: QColor) -> str:
    """Which channel stands out (the bars are translucent over the dark rows): "red", "green", or "" (grey)."""
    r, g, b = colour.red(), colour.green(), colour.blue()
    if r > g + 40 and r > b + 40:
        return "red"
    if g > r + 40 and g > b + 20:
        return "green"
    return ""


def test_timeline_draws_what_was_recorded_and_what_happened(qtbot: QtBot, desk: tuple[LiveGrid, WallPlayback,
                                                                                        TimelineWidget],
                                                            site: datetime) -> None:
    grid, playback, timeline = desk
    base = site
    playback.play_at(base + timedelta(seconds=1), grid, play=False)
    grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    bar = timeline.bar
    assert [name for _id, name in bar.rows] == ["Ann Uccello & Elm EB", "High & Elm EB"]
    bar.set_window(base - timedelta(seconds=20), base + timedelta(seconds=40))
    qtbot.waitUntil(lambda: bar.data is not None and bar.data.covers(*bar.visible_window), timeout=5000)
    data = bar.data
    assert data is not None
    assert data.ranges["cam01"] == [(base, base + timedelta(seconds=12))]  # three segments, one range
    assert [g[2] for g in data.gaps["cam02"]] == ["camera offline"]
    assert sorted(m.kind for m in data.marks) == ["alert", "bookmark", "read"]
    qtbot.wait(50)
    row0 = RULER_H + ALERT_LANE_H + 9
    row1 = row0 + 18
    # cam01 recorded (green) with its read's amber tick at +6 s; cam02 recorded, then in its gap (red) at +8 s.
    assert hue(colour_at(timeline, bar.x_of(base + timedelta(seconds=3)), row0)) == "green"
    assert near(colour_at(timeline, bar.x_of(base + timedelta(seconds=6)), row0), QColor(theme.WARN))
    assert hue(colour_at(timeline, bar.x_of(base + timedelta(seconds=2.5)), row1)) == "green"
    assert hue(colour_at(timeline, bar.x_of(base + timedelta(seconds=8)), row1)) == "red"
    assert near(colour_at(timeline, bar.x_of(base + timedelta(seconds=9)), RULER_H + 4), QColor(theme.BAD))  # alert
    assert hue(colour_at(timeline, bar.x_of(base + timedelta(seconds=20)), row0)) == ""  # nothing recorded
    # Hovering a mark names it.
    mark = bar.mark_at(QPoint(round(bar.x_of(base + timedelta(seconds=2))), row1))
    assert mark is not None and mark.kind == "bookmark" and mark.label == "car enters"


def test_zoom_goes_from_minutes_to_days_around_the_mouse(qtbot: QtBot, desk: tuple[LiveGrid, WallPlayback,
                                                                                    TimelineWidget]) -> None:
    _grid, _playback, timeline = desk
    bar = timeline.bar
    for _ in range(40):
        bar.zoom(2.0)
    start, end = bar.visible_window
    assert end - start == MAX_SPAN and timeline.span_label.text() == "7 days"
    for _ in range(40):
        bar.zoom(0.5)
    start, end = bar.visible_window
    assert end - start == MIN_SPAN and timeline.span_label.text() == "2 min"
    # The wheel zooms around the time under the mouse: that time stays under it.
    x = bar.plot_rect().x() + bar.plot_rect().width() * 0.25
    anchor = bar.time_at(x)
    wheel = QWheelEvent(QPointF(x, 40), bar.mapToGlobal(QPointF(x, 40)), QPoint(), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(bar, wheel)
    start, end = bar.visible_window
    assert end - start > MIN_SPAN
    assert abs((bar.time_at(x) - anchor).total_seconds()) < 0.5


def test_controls_drive_the_views_playback(qtbot: QtBot, desk: tuple[LiveGrid, WallPlayback, TimelineWidget],
                                           site: datetime) -> None:
    grid, playback, timeline = desk
    base = site
    grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    assert timeline.mode_button.text() == "LIVE" and not timeline.play_button.isEnabled()
    view = playback.for_grid(grid)
    bar = timeline.bar
    bar.set_window(base - timedelta(seconds=20), base + timedelta(seconds=40))
    # Scrubbing in a live view starts playback where the analyst clicked.
    x = bar.x_of(base + timedelta(seconds=2))
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(x), 60))
    assert view.active and timeline.mode_button.text() == "PLAYBACK" and timeline.play_button.isEnabled()
    assert abs((view.clock.position() - bar.time_at(round(x))).total_seconds()) < 0.01
    # Dragging scrubs.
    QTest.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(x), 60))
    QTest.mouseMove(bar, QPoint(round(bar.x_of(base + timedelta(seconds=7))), 60))
    QTest.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(base + timedelta(seconds=7))), 60))
    assert abs((view.clock.position() - (base + timedelta(seconds=7))).total_seconds()) < 0.2
    # Jump to a typed time; then a frame step forward lands on the next recorded frame of the selected tile.
    target = base + timedelta(seconds=3, milliseconds=400)
    timeline.time_edit.setDateTime(QDateTime.fromMSecsSinceEpoch(int(target.timestamp() * 1000)))
    QTest.mouseClick(timeline.go_button, Qt.MouseButton.LeftButton)
    assert view.clock.position() == target
    grid.select(grid.tiles[0])
    qtbot.waitUntil(lambda: isinstance(grid.tiles[0].player, PlaybackPlayer)
                    and grid.tiles[0].player.shown_at is not None, timeout=5000)
    QTest.mouseClick(timeline.step_button, Qt.MouseButton.LeftButton)
    assert view.clock.position() == base + timedelta(seconds=round(3.4 * FPS + 0.5) / FPS)  # frame 52 at 3.4667 s
    QTest.mouseClick(timeline.step_back_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(timeline.step_back_button, Qt.MouseButton.LeftButton)
    assert view.clock.position() == base + timedelta(seconds=50 / FPS)
    # Play, speed, pause, backwards.
    QTest.mouseClick(timeline.play_button, Qt.MouseButton.LeftButton)
    assert view.clock.playing and view.clock.speed == 1.0
    timeline.speed_box.setCurrentIndex(timeline.speed_box.findText("4x"))
    timeline.speed_box.activated.emit(timeline.speed_box.currentIndex())
    assert view.clock.speed == 4.0
    QTest.mouseClick(timeline.reverse_button, Qt.MouseButton.LeftButton)
    assert view.clock.playing and view.clock.speed == -4.0
    QTest.mouseClick(timeline.reverse_button, Qt.MouseButton.LeftButton)
    assert not view.clock.playing
    # Jump to the alert: its time minus the lead (double-click its mark), the cursor follows.
    qtbot.waitUntil(lambda: bool(timeline.alert_marks()), timeout=5000)
    alert_x = round(bar.x_of(base + timedelta(seconds=9)))
    with qtbot.waitSignal(timeline.alert_jumped, timeout=2000):
        QTest.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(alert_x, RULER_H + 5))
    assert view.clock.position() == base + timedelta(seconds=9 - LEAD_S)
    qtbot.waitUntil(lambda: bar.cursor_at == base + timedelta(seconds=9 - LEAD_S), timeout=2000)
    # Back to live.
    QTest.mouseClick(timeline.mode_button, Qt.MouseButton.LeftButton)
    assert not view.active and timeline.mode_button.text() == "LIVE"


def test_keyboard_drives_playback(qtbot: QtBot, desk: tuple[LiveGrid, WallPlayback, TimelineWidget],
                                  site: datetime) -> None:
    """Ctrl+P live <-> playback, Space play/pause, comma/period frame steps, [ and ] speed."""
    grid, playback, timeline = desk
    timeline.hide()  # a window of its own here (in the workstation it is a dock of the window): out of the way
    grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    view = playback.for_grid(grid)
    grid.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is grid, timeout=3000)
    grid.select(grid.tiles[0])
    grid.tiles[0].setFocus()
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert view.active and not view.clock.playing  # alert-lead (5 s) before now: no recording there, fine
    view.clock.seek(site + timedelta(seconds=2))
    qtbot.waitUntil(lambda: isinstance(grid.tiles[0].player, PlaybackPlayer)
                    and grid.tiles[0].player.shown_at is not None, timeout=5000)
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_Space)
    assert view.clock.playing
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_BracketRight)
    assert view.clock.speed == 2.0
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_Space)
    assert not view.clock.playing
    view.clock.seek(site + timedelta(seconds=2))
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_Period)
    assert view.clock.position() == site + timedelta(seconds=31 / FPS)
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_Comma)
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_Comma)
    assert view.clock.position() == site + timedelta(seconds=29 / FPS)
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not view.active


def test_a_window_far_in_the_past_shows_its_alerts_and_reads(qtbot: QtBot, desk: tuple[LiveGrid, WallPlayback,
                                                                                         TimelineWidget],
                                                               services: Services, site: datetime) -> None:
    """Twenty days back, one alert and one read of cam01; since then more than a thousand of each (more than any
    "newest N" list holds): the window still shows them, because the source asks the stores for that window."""
    _grid, _playback, timeline = desk
    old = site - timedelta(days=20)
    services.alerts.add_or_update_gunshot(GunshotReport(
        id="SST-OLD", type="single_gunshot", detected_at=old + timedelta(seconds=30), lat=41.765, lon=-72.673,
        rounds=1, address="Main & Pearl"), received_at=old + timedelta(seconds=32))
    services.plate_reads.add(LprRead(camera_id="cam01", plate_raw="OLD123", read_at=old + timedelta(seconds=50)))
    since = [old + timedelta(days=1, minutes=i) for i in range(1100)]
    with services.db.session(write=True) as s:
        s.add_all(AlertRow(id=f"SST-N{i}", source="gunshot", type="single_gunshot", lat=41.76, lon=-72.67,
                           detected_at=at, received_at=at) for i, at in enumerate(since))
        s.execute(insert(PlateReadRow), [row_values(LprRead(camera_id="cam01", plate_raw=f"NEW{i}", read_at=at))
                                         for i, at in enumerate(since)])
    assert "SST-OLD" not in {a.id for a in services.alerts.recent(1000)}  # the old way would have missed both
    assert "OLD123" not in {r.plate_raw for r in services.plate_reads.recent(1000, actor=ANALYST)}
    _grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    bar = timeline.bar
    bar.set_window(old, old + timedelta(minutes=2))
    qtbot.waitUntil(lambda: bar.data is not None and bar.data.covers(*bar.visible_window), timeout=5000)
    data = bar.data
    assert data is not None
    assert [(m.kind, m.label, m.at) for m in data.marks] == [
        ("alert", "single gunshot Main & Pearl", old + timedelta(seconds=30)),
        ("read", "OLD123", old + timedelta(seconds=50))]
    qtbot.wait(50)
    row0 = RULER_H + ALERT_LANE_H + 9
    assert near(colour_at(timeline, bar.x_of(old + timedelta(seconds=30)), RULER_H + 4), QColor(theme.BAD))
    assert near(colour_at(timeline, bar.x_of(old + timedelta(seconds=50)), row0), QColor(theme.WARN))
    # Scrolled a day on, the window's own marks replace them (and there are many more there).
    later = StoreTimelineSource(services.recordings, services.alerts, services.plate_reads, actor=ANALYST,
                                alert_limit=50, read_limit=60).load(["cam01"], since[0], since[-1])
    assert sum(m.kind == "alert" for m in later.marks) == 50 and sum(m.kind == "read" for m in later.marks) == 60
    assert max(m.at for m in later.marks) == since[-1]  # the newest of the window when capped


def test_a_wall_operators_timeline_shows_no_plate_reads(services: Services, site: datetime) -> None:
    """Plate reads need SEARCH_PLATES (the store checks it): a wall operator's timeline draws the alert and the
    bookmark but no read, and does not ask the store (no refusal per scroll in the audit trail)."""
    window = (site - timedelta(seconds=20), site + timedelta(seconds=40))
    wall = Actor("wally", Role.WALL_OPERATOR, "wall-1")
    for actor, kinds in ((wall, ["alert", "bookmark"]), (None, ["alert", "bookmark"]),
                         (ANALYST, ["alert", "bookmark", "read"])):
        data = StoreTimelineSource(services.recordings, services.alerts, services.plate_reads,
                                   actor=actor).load(["cam01", "cam02"], *window)
        assert sorted(m.kind for m in data.marks) == kinds, actor
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEventRow)
                        .where(AuditEventRow.event_type == "permission_denied")) == 0
