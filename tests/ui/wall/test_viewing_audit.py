"""ViewingAudit on its own: a real grid and its playback, the real audit trail (SQLite). Each camera is audited once
as it comes on screen, again when the view goes recorded or back live, and an alert's response view audits every
camera of it for that alert (the "alert to first camera view" figure counts from these records).

The cameras have no stream (the tiles say so): which camera is on screen is all that is audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.domain.alerts import GunshotReport
from c4desk.domain.layouts import preset
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.viewing_audit import ViewingAudit
from tests.ui.wall.conftest import make_camera

WALL = Actor("wally", Role.WALL_OPERATOR, "wall-1")

Viewed = tuple[str, str, str, str, str | None]  # user, workstation, event, object, alert id


@dataclass
class Wall:
    grid: LiveGrid
    playback: WallPlayback
    viewing: ViewingAudit


@pytest.fixture
def wall(qtbot: QtBot, services: Services) -> Iterator[Wall]:
    grid = LiveGrid(PlayerSource(), layout=preset("2x1"))
    qtbot.addWidget(grid)
    grid.resize(640, 200)
    playback = WallPlayback(services.recordings, lambda: grid, grid, alert_lead_s=30.0)
    viewing = ViewingAudit(grid, playback, services.audit, WALL, grid)
    # Wired as the main window wires it.
    grid.view_changed.connect(viewing.on_view_changed)
    playback.mode_changed.connect(lambda *_: viewing.on_view_changed())
    grid.show()
    yield Wall(grid, playback, viewing)
    grid.close_players()


def viewed(services: Services) -> list[Viewed]:
    with services.db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type.in_(["view_live", "view_recorded"]))
                         .order_by(AuditEventRow.id))
        return [(r.username, r.workstation, r.event_type, r.object, r.detail.get("alert_id")) for r in rows]


def live(camera_id: str, alert_id: str | None = None) -> Viewed:
    return ("wally", "wall-1", "view_live", f"camera:{camera_id}", alert_id)


def recorded(camera_id: str, alert_id: str | None = None) -> Viewed:
    return ("wally", "wall-1", "view_recorded", f"camera:{camera_id}", alert_id)


def show(wall: Wall, *camera_ids: str) -> None:
    wall.grid.show_cameras([make_camera(c) for c in camera_ids])


def test_each_camera_is_audited_once_as_it_comes_on_screen(qtbot: QtBot, services: Services, wall: Wall) -> None:
    show(wall, "cam01", "cam02")
    qtbot.waitUntil(lambda: viewed(services) == [live("cam01"), live("cam02")], timeout=5000)
    assert wall.viewing.on_screen == {("cam01", False), ("cam02", False)}
    wall.grid.swap(0, 1)  # the same cameras moved around: nothing new is viewed
    show(wall, "cam02", "cam03")  # cam02 stays on screen: only cam03 is new
    qtbot.waitUntil(lambda: len(viewed(services)) == 3, timeout=5000)
    qtbot.wait(100)  # nothing more comes after it
    assert viewed(services) == [live("cam01"), live("cam02"), live("cam03")]
    show(wall, "cam01", "cam03")  # cam01 left the screen and came back: viewed again
    qtbot.waitUntil(lambda: len(viewed(services)) == 4, timeout=5000)
    assert viewed(services)[-1] == live("cam01")


def test_a_response_view_audits_every_camera_for_its_alert(qtbot: QtBot, services: Services, wall: Wall) -> None:
    show(wall, "cam01", "cam02")
    qtbot.waitUntil(lambda: len(viewed(services)) == 2, timeout=5000)
    with wall.viewing.for_alert("SST-7"):
        show(wall, "cam02", "cam03")  # cam02 was on screen already: now it is viewed for the alert too
    qtbot.waitUntil(lambda: len(viewed(services)) == 4, timeout=5000)
    assert viewed(services)[2:] == [live("cam02", "SST-7"), live("cam03", "SST-7")]
    show(wall, "cam02", "cam04")  # after the block, viewing is nobody's alert again
    qtbot.waitUntil(lambda: len(viewed(services)) == 5, timeout=5000)
    assert viewed(services)[-1] == live("cam04")
    # The centre's figure is measured from these records (it needs the alert itself to be stored).
    now = datetime.now(UTC)
    services.alerts.add_or_update_gunshot(GunshotReport(id="SST-7", type="single_gunshot", rounds=1, lat=41.76,
                                                        lon=-72.67, detected_at=now - timedelta(seconds=20)),
                                          received_at=now - timedelta(seconds=10))
    figures = services.reports.alert_first_view(Actor("sam", Role.SUPERVISOR, "ws-sup"),
                                                now - timedelta(minutes=1), now + timedelta(minutes=1))
    assert [(v.alert_id, v.camera_id) for v in figures.alerts if v.first_view_at is not None] == [("SST-7", "cam02")]


def test_going_to_playback_and_back_is_another_kind_of_viewing(qtbot: QtBot, services: Services,
                                                               wall: Wall) -> None:
    show(wall, "cam01", "cam02")
    qtbot.waitUntil(lambda: len(viewed(services)) == 2, timeout=5000)
    view = wall.playback.play_at(datetime.now(UTC) - timedelta(minutes=5), wall.grid, play=False)
    assert view.active
    qtbot.waitUntil(lambda: len(viewed(services)) == 4, timeout=5000)
    assert viewed(services)[2:] == [recorded("cam01"), recorded("cam02")]
    assert wall.viewing.on_screen == {("cam01", True), ("cam02", True)}
    view.leave()
    qtbot.waitUntil(lambda: len(viewed(services)) == 6, timeout=5000)
    assert viewed(services)[4:] == [live("cam01"), live("cam02")]


def test_an_empty_view_audits_nothing(qtbot: QtBot, services: Services, wall: Wall) -> None:
    wall.viewing.on_view_changed()
    wall.grid.show_cameras([])
    qtbot.wait(200)
    assert viewed(services) == [] and wall.viewing.on_screen == set()
