"""Tagging a clip from a tile and the audit of what was viewed, in the real main window (real SQLite store,
real recorded MPEG-TS segments of the demo clips).

I and O mark the in and out points at the moment the selected tile shows (the playback clock); T stores that span
as a clip at once, Shift+T opens the clip dialog with it and the open case; either way the clip gets evidence holds
on the recording under it.
Every camera that comes on screen is audited as viewed live or recorded, with the alert that asked for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.ui.cases.clip_dialog import ClipDialog
from tests.ui.wall.test_bookmarks import open_window, recorded  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.timeout(120)]

ANALYST = Actor("ana", Role.ANALYST, "ws-ana")


def views_audited(services: Services) -> list[tuple[str, str, str | None]]:
    with services.db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type.in_(
            [AuditType.VIEW_LIVE.value, AuditType.VIEW_RECORDED.value])).order_by(AuditEventRow.id))
        return [(r.event_type, r.object, r.detail.get("alert_id")) for r in rows]


def test_marks_in_playback_become_the_clip_with_its_holds(qtbot: QtBot, services: Services, data_dir: Path,
                                                          recorded: datetime) -> None:  # noqa: F811
    case = services.cases.create(ANALYST, "26-0500", "shooting", title="Shots fired")
    window = open_window(qtbot, services, data_dir, ANALYST)
    window.case_panel.open_case(case.number)
    qtbot.waitUntil(lambda: window.case_panel.current_case() is not None, timeout=5000)
    tile = window.grid.tiles[0]
    QTest.mouseClick(tile, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.grid.selected_tile is tile and tile.camera is not None, timeout=5000)
    view = window.playback.play_at(recorded + timedelta(seconds=2), window.grid, play=False)
    qtbot.waitUntil(lambda: view.active, timeout=5000)

    QTest.keyClick(window, Qt.Key.Key_I)  # in at +2 s
    view.clock.seek(recorded + timedelta(seconds=7))
    QTest.keyClick(window, Qt.Key.Key_O)  # out at +7 s
    assert window.clip_marks.marks("cam01") == (recorded + timedelta(seconds=2), recorded + timedelta(seconds=7))
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    dialogs: list[ClipDialog] = []
    qtbot.waitUntil(lambda: bool(dialogs.extend(d for d in window.findChildren(ClipDialog) if d.isVisible())
                                 or dialogs), timeout=3000)
    dialog = dialogs[0]
    start, end = dialog.span()
    assert abs((start - (recorded + timedelta(seconds=2))).total_seconds()) < 1
    assert abs((end - (recorded + timedelta(seconds=7))).total_seconds()) < 1
    with qtbot.waitSignal(dialog.tagged, timeout=10_000) as tagged:
        dialog.save_button.click()
    clip = tagged.args[0]
    assert clip.camera_id == "cam01" and clip.case_number == case.number and clip.created_by == ANALYST.username
    assert clip.held_segments  # the recording under the clip is kept from retention
    qtbot.waitUntil(lambda: window.clip_marks.marks("cam01") == (None, None), timeout=3000)
    # Both cameras came on screen live first, then recorded when the view went to playback: each one audited.
    qtbot.waitUntil(lambda: {("view_recorded", "camera:cam01", None), ("view_recorded", "camera:cam02", None)}
                    <= set(views_audited(services)), timeout=5000)
    assert {("view_live", "camera:cam01", None), ("view_live", "camera:cam02", None)} <= set(views_audited(services))
    window.close()


def test_t_tags_the_moment_at_once_without_a_dialog(qtbot: QtBot, services: Services, data_dir: Path,
                                                    recorded: datetime) -> None:  # noqa: F811
    window = open_window(qtbot, services, data_dir, ANALYST)
    tile = window.grid.tiles[0]
    QTest.mouseClick(tile, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.grid.selected_tile is tile and tile.camera is not None, timeout=5000)
    view = window.playback.play_at(recorded + timedelta(seconds=6), window.grid, play=False)
    qtbot.waitUntil(lambda: view.active, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: bool(services.clips.my_clips(ANALYST)), timeout=5000)
    (clip,) = services.clips.my_clips(ANALYST)
    assert not [d for d in window.findChildren(ClipDialog) if d.isVisible()]
    # No marks: the moment with ten seconds either side, not in a case (Ctrl+N files it), held from retention.
    moment = recorded + timedelta(seconds=6)
    assert abs((clip.start_at - (moment - timedelta(seconds=10))).total_seconds()) < 1
    assert abs((clip.end_at - (moment + timedelta(seconds=10))).total_seconds()) < 1
    assert clip.case_id is None and clip.held_segments and clip.status == "draft"
    qtbot.waitUntil(lambda: f"Clip {clip.id} tagged" in window.statusBar().currentMessage(), timeout=3000)
    window.close()


def test_a_response_view_is_audited_for_its_alert_even_for_cameras_already_on_screen(
        qtbot: QtBot, services: Services, data_dir: Path, recorded: datetime) -> None:  # noqa: F811
    from c4desk.integrations.gunshot import parse_gunshot

    window = open_window(qtbot, services, data_dir, ANALYST)  # cam01 and cam02 live on screen
    qtbot.waitUntil(lambda: {("view_live", "camera:cam01", None), ("view_live", "camera:cam02", None)}
                    <= set(views_audited(services)), timeout=5000)
    # A shot 50 m north of both cameras (they look north): both are in its response view.
    report = parse_gunshot({"id": "SST-77", "type": "single_gunshot", "rounds": 1, "lat": 41.76045, "lon": -72.67,
                            "detected_at": datetime.now().astimezone().isoformat()})
    alert, _ = services.alerts.add_or_update_gunshot(report, feed="test")
    qtbot.waitUntil(lambda: window.alert_queue.alert(alert.id) is not None, timeout=5000)
    window.response.open_alert(alert.id)
    qtbot.waitUntil(lambda: {("view_live", "camera:cam01", "SST-77"), ("view_live", "camera:cam02", "SST-77")}
                    <= set(views_audited(services)), timeout=5000)
    # The dashboards measure "alert to first camera view" from exactly these records.
    views = services.reports.alert_first_view(ANALYST, alert.received_at - timedelta(minutes=1),
                                              alert.received_at + timedelta(minutes=1))
    assert [v.alert_id for v in views.alerts if v.first_view_at is not None] == ["SST-77"]
    window.close()
