"""Bookmarks from the wall, in the real main window on a real SQLite store with real recorded segments.

In playback, B on the selected tile bookmarks the moment the tile shows (the playback clock, to the microsecond)
and attaches it to the case open in the Cases panel; live, the tile's context menu does the same at "now". Each
time the bookmark is stored with its camera, time, case and the logged-in user, audited in the same transaction,
and drawn as a flag on the timeline. A refused role and a bad field come back as a message in the dialog, with
nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.config import Paths, Settings
from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow, BookmarkRow
from c4desk.store.recordings import Bookmark
from c4desk.ui import theme
from c4desk.ui.app import build_main_window
from c4desk.ui.main_window import MainWindow
from c4desk.ui.theme import apply_dark_theme
from c4desk.ui.wall.bookmark_dialog import BookmarkDialog
from c4desk.ui.wall.timeline import TimelineBar
from tests.media.test_playback import demo_clips, record
from tests.ui.wall.conftest import make_camera
from tests.ui.wall.test_playback import insert_segments

pytestmark = [pytest.mark.timeout(120)]

ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")
CASE = "26-0412"


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)


@pytest.fixture
def recorded(services: Services, media_cache: Path) -> datetime:
    """cam01 and cam02 recorded for 12 s, ten minutes ago (real MPEG-TS segments); returns the start."""
    clips = demo_clips(media_cache)
    root = services.recordings.root
    base = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    services.cameras.upsert_many([make_camera("cam01"), make_camera("cam02")])
    for camera_id in ("cam01", "cam02"):
        insert_segments(services, root, camera_id, record(clips[camera_id], root, camera_id, base, 3))
    return base


def open_window(qtbot: QtBot, services: Services, data_dir: Path, actor: Actor) -> MainWindow:
    window = build_main_window(services, Settings(), Paths(data_dir), user=actor)
    qtbot.addWidget(window)
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # window shortcuts need the active window
    window.grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    return window


def open_dialog(qtbot: QtBot, window: QWidget) -> BookmarkDialog:
    found: list[BookmarkDialog] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(BookmarkDialog) if d.isVisible()]
        return len(found) == 1

    qtbot.waitUntil(shown, timeout=3000)
    return found[0]


def stored(services: Services, bookmark_id: int) -> BookmarkRow:
    with services.db.session() as s:
        row = s.get(BookmarkRow, bookmark_id)
        assert row is not None
        s.expunge(row)
        return row


def audit_of(services: Services, bookmark_id: int) -> list[AuditEventRow]:
    with services.db.session() as s:
        rows = list(s.scalars(select(AuditEventRow).where(AuditEventRow.object == f"bookmark:{bookmark_id}")))
        s.expunge_all()
        return rows


def flag_drawn(bar: TimelineBar, row: int, at: datetime) -> bool:
    """The flag's pennant (right of its pole, so neither the pole nor a cursor at the same time is tested)."""
    image = bar.grab().toImage()
    x, top = round(bar.x_of(at)), bar.row_top(row)
    colour = image.pixelColor(x + 3, top + 5)
    accent = QColor(theme.ACCENT)
    return all(abs(a - b) <= 40 for a, b in ((colour.red(), accent.red()), (colour.green(), accent.green()),
                                             (colour.blue(), accent.blue())))


def shoot(widget: QWidget, name: str) -> None:
    QApplication.processEvents()
    assert widget.grab().save(f"/tmp/marks-{name}.png")


def test_bookmark_in_playback_and_live(qtbot: QtBot, services: Services, data_dir: Path, recorded: datetime,
                                       dark: None) -> None:
    case = services.cases.create(ANALYST, CASE, "shooting", title="Shots fired, Main & Pearl")
    window = open_window(qtbot, services, data_dir, ANALYST)
    window.case_panel.open_case(CASE)
    qtbot.waitUntil(lambda: window.case_panel.current_case() is not None, timeout=5000)
    assert window.bookmark_action.shortcut().toString() == "B"
    cases_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Cases")
    keys = [a.shortcut().toString() for a in cases_menu.actions()]
    assert keys[-5:] == ["T", "Shift+T", "I", "O", "B"]

    # Playback, paused at a moment between frames: B on the selected tile (cam01) bookmarks exactly that moment.
    grid, timeline = window.grid, window.timeline
    moment = recorded + timedelta(seconds=3, microseconds=456_789)
    view = window.playback.play_at(moment, grid, play=False)
    grid.select(grid.tiles[0])
    grid.tiles[0].setFocus()
    assert view.active and view.clock_for(grid.tiles[0]).position() == moment
    QTest.keyClick(grid.tiles[0], Qt.Key.Key_B)
    dialog = open_dialog(qtbot, window)
    assert dialog.camera_id == "cam01" and dialog.at == moment
    assert dialog.attach.isChecked() and CASE in dialog.attach.text()
    QTest.keyClicks(dialog.label, "Grey sedan enters northbound")
    dialog.note.setPlainText("Front passenger window down; plate hidden by a bike rack.")
    shoot(dialog, "dialog")
    with qtbot.waitSignal(dialog.bookmarked, timeout=5000) as signal:
        QTest.keyClick(dialog.label, Qt.Key.Key_Return)
    mark = signal.args[0]
    assert isinstance(mark, Bookmark)
    row = stored(services, mark.id)
    assert (row.camera_id, row.at, row.label, row.case_id, row.created_by) == (
        "cam01", moment, "Grey sedan enters northbound", case.id, "ana")
    assert row.note.startswith("Front passenger")
    [audit] = audit_of(services, mark.id)
    assert (audit.username, audit.workstation, audit.event_type, audit.outcome) == (
        "ana", "ws-ana", AuditType.CLIP_CHANGE.value, "success")
    assert audit.detail["case_id"] == case.id and audit.detail["camera_id"] == "cam01"
    # The case's timeline lists it, and so does the open case's detail once it reloads.
    assert ("bookmark", str(mark.id)) in {(i.kind, i.ref) for i in services.cases.timeline(case.id)}
    detail = window.case_panel.detail
    qtbot.waitUntil(lambda: detail.file is not None and any(i.kind == "bookmark" for i in detail.file.timeline),
                    timeout=5000)
    # Drawn on cam01's row of the timeline (the cursor moved away first, so only the flag can be accent there).
    view.clock.seek(moment + timedelta(seconds=20))
    bar = timeline.bar
    bar.set_window(recorded - timedelta(seconds=30), recorded + timedelta(seconds=60))
    qtbot.waitUntil(lambda: bar.data is not None and any(m.kind == "bookmark" and m.ref == str(mark.id)
                                                         for m in bar.data.marks), timeout=5000)
    qtbot.waitUntil(lambda: flag_drawn(bar, 0, moment), timeout=3000)
    shoot(timeline, "timeline-playback")
    # Double-clicking the flag goes back to its moment.
    QTest.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(moment)), bar.row_top(0) + 4))
    assert view.clock.position() == moment

    # Live, no case open: the tile menu's "Bookmark…" on cam02 bookmarks "now".
    view.leave()
    assert not view.active
    detail.show_case(None)
    assert window.case_panel.current_case() is None
    menu = grid.tile_menu(grid.tiles[1])
    entry = next(a for a in menu.actions() if a.text() == "Bookmark…")
    assert entry.shortcut().toString() == "B" and entry.isEnabled()
    before = datetime.now(UTC)
    entry.trigger()
    after = datetime.now(UTC)
    menu.deleteLater()
    live = open_dialog(qtbot, window)
    assert live.camera_id == "cam02" and before <= live.at <= after
    assert not live.attach.isEnabled() and live.case_id() is None
    with qtbot.waitSignal(live.bookmarked, timeout=5000) as signal:
        QTest.mouseClick(live.save_button, Qt.MouseButton.LeftButton)
    now_mark = signal.args[0]
    row = stored(services, now_mark.id)
    assert (row.camera_id, row.label, row.case_id, row.created_by) == ("cam02", "", None, "ana")
    assert before <= row.at <= after
    assert len(audit_of(services, now_mark.id)) == 1
    # The live timeline is brought to "now" and shows the flag on cam02's row.
    qtbot.waitUntil(lambda: bar.data is not None and any(m.ref == str(now_mark.id) for m in bar.data.marks),
                    timeout=5000)
    start, end = bar.visible_window
    assert start <= row.at <= end
    qtbot.waitUntil(lambda: flag_drawn(bar, 1, row.at), timeout=3000)
    shoot(timeline, "timeline-live")
    shoot(window, "window")


def test_refusals_and_bad_fields_are_shown_and_nothing_is_stored(qtbot: QtBot, services: Services,
                                                                 recorded: datetime, dark: None) -> None:
    at = recorded + timedelta(seconds=2)
    # A wall operator may not bookmark: the dialog says so up front, and the store refuses (and audits) anyway.
    refused = BookmarkDialog(services.recordings, WALL, "cam01", at, camera_name="Main & Asylum")
    qtbot.addWidget(refused)
    refused.show()
    assert not refused.save_button.isEnabled()
    assert "wall_operator" in refused.status.text() and refused.status.is_error
    refused.on_save()  # as if the button had been enabled (a role changed meanwhile)
    qtbot.waitUntil(lambda: refused.save_button.toolTip().startswith("Your role"), timeout=5000)
    qtbot.waitUntil(lambda: refused.status.text().startswith("Not allowed"), timeout=5000)
    assert refused.isVisible() and refused.bookmark is None
    shoot(refused, "dialog-refused")
    # An analyst with a note over the store's limit: the note is outlined and named; the dialog stays open.
    bad = BookmarkDialog(services.recordings, ANALYST, "cam01", at, camera_name="Main & Asylum")
    qtbot.addWidget(bad)
    bad.show()
    bad.label.setText("x" * 500)
    assert len(bad.label.text()) == 200  # the label field stops at the store's limit
    bad.note.setPlainText("n" * 10_001)
    bad.on_save()
    qtbot.waitUntil(lambda: bad.status.is_error and "note" in bad.status.text(), timeout=5000)
    assert "at most 10000" in bad.status.text() and "border" in bad.note.styleSheet()
    assert bad.save_button.isEnabled() and bad.isVisible()
    with services.db.session() as s:
        assert s.scalars(select(BookmarkRow)).all() == []
        denied = s.scalars(select(AuditEventRow).where(
            AuditEventRow.event_type == AuditType.PERMISSION_DENIED.value)).all()
        assert [(d.username, d.object) for d in denied] == [("wally", "camera:cam01")]

