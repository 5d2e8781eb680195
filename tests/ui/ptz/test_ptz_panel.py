"""The PTZ panel against the VAPIX simulator (see conftest: a stand-in for a real Axis camera over real HTTP).

The permission cases take CONTROL_PTZ away from the wall operator for the test (every role holds it in today's
table): the panel mirrors the table, and the person's client (``GuardedPtz``) refuses and audits.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.camera import Camera
from c4desk.domain.permissions import PERMISSIONS, Action, Actor, Role
from c4desk.hub.services import Services
from c4desk.integrations.ptz.guarded import GuardedPtz
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.store.models import AuditEventRow
from c4desk.ui.ptz.pad import pad_velocity
from c4desk.ui.ptz.ptz_panel import PtzPanel
from tests.ui.ptz.conftest import PASSWORD, USER, moves

STOP = {"continuouspantiltmove": "0,0", "continuouszoommove": "0"}


def client(sim: VapixSimulator, password: str = PASSWORD) -> VapixPtz:
    return VapixPtz(sim.url, USER, password, backoff_s=0.01)


@pytest.fixture
def panel(sim: VapixSimulator, qtbot: QtBot, ptz_camera: Camera) -> Iterator[PtzPanel]:
    sim.state.presets = {"Main St": (30.0, -10.0, 1.0), "Park": (-90.0, -5.0, 2000.0)}
    p = PtzPanel()
    qtbot.addWidget(p)
    p.resize(420, 520)
    p.show()
    qtbot.waitExposed(p)
    p.activateWindow()
    p.setFocus()
    p.set_camera(ptz_camera, client(sim))
    qtbot.waitUntil(lambda: p.last_position is not None and p.preset_names() == ["Main St", "Park"], timeout=5000)
    yield p
    assert p.shutdown(wait_ms=5000)  # every call finished before the simulator goes away


def wheel(widget: PtzPanel, notches: int) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_arrow_key_moves_while_held_and_stops_on_release(qtbot: QtBot, panel: PtzPanel,
                                                          sim: VapixSimulator) -> None:
    QTest.keyPress(panel, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: sim.state.pan_speed == 50, timeout=3000)
    QTest.keyPress(panel, Qt.Key.Key_Up)  # both held: diagonal
    qtbot.waitUntil(lambda: sim.state.tilt_speed == 50, timeout=3000)
    QTest.keyRelease(panel, Qt.Key.Key_Up)
    QTest.keyRelease(panel, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: moves(sim)[-1:] == [STOP], timeout=3000)
    sent = moves(sim)
    assert sent[0] == {"continuouspantiltmove": "50,0"}
    assert sent[-1] == STOP
    assert (sim.state.pan_speed, sim.state.tilt_speed) == (0, 0)


def test_wheel_and_keys_zoom_in_steps(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator) -> None:
    wheel(panel, 2)
    qtbot.waitUntil(lambda: sim.state.zoom > 900, timeout=3000)
    assert {"rzoom"} <= set(moves(sim)[0])
    before = sim.state.zoom
    QTest.keyClick(panel, Qt.Key.Key_Minus)
    qtbot.waitUntil(lambda: sim.state.zoom < before, timeout=3000)
    qtbot.waitUntil(lambda: panel.last_position is not None
                    and abs(panel.last_position.zoom - (sim.state.zoom - 1) / 9998) < 1e-3, timeout=3000)
    assert "Zoom" in panel.position_label.text()


def test_presets_load_goto_and_save(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator) -> None:
    lst = panel.preset_list
    item = lst.item(0)
    assert item is not None and item.text() == "Main St"
    pos = lst.visualItemRect(item).center()
    QTest.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QTest.mouseDClick(lst.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.waitUntil(lambda: (sim.state.pan, sim.state.tilt) == (30.0, -10.0), timeout=3000)
    qtbot.waitUntil(lambda: panel.position_label.text().startswith("Pan 30.0°   Tilt -10.0°"), timeout=3000)

    panel.preset_name.setText("Bus stop")
    QTest.mouseClick(panel.save_preset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.preset_names() == ["Main St", "Park", "Bus stop"], timeout=3000)
    assert sim.state.presets["Bus stop"][:2] == (30.0, -10.0)
    assert panel.preset_name.text() == ""


def test_home_centre_and_pad(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator) -> None:
    panel.center_on(1920, 540, 1920, 1080)  # the right edge: half the 60 degree view to the right
    qtbot.waitUntil(lambda: abs(sim.state.pan - 30.0) < 1e-6, timeout=3000)
    QTest.mouseClick(panel.home_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: moves(sim)[-1:] == [{"move": "home"}], timeout=3000)
    assert sim.state.pan == 0.0

    pad = panel.pad
    top = QPoint(round(pad.centre().x()), round(pad.centre().y() - pad.radius))  # straight up, full speed
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, top)
    qtbot.waitUntil(lambda: sim.state.tilt_speed == 100 and sim.state.pan_speed == 0, timeout=3000)
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, top)
    qtbot.waitUntil(lambda: moves(sim)[-1:] == [STOP], timeout=3000)
    assert panel.hasFocus()  # the pad hands the keyboard to the panel, so arrow keys work next


def test_pad_speed_grows_with_distance() -> None:
    assert pad_velocity(0, 0, 100) == (0.0, 0.0)
    assert pad_velocity(5, 0, 100) == (0.0, 0.0)  # dead zone
    assert pad_velocity(50, 0, 100) == (0.5, 0.0)
    assert pad_velocity(0, -100, 100) == (0.0, 1.0)  # up on screen is tilt up
    assert pad_velocity(300, 0, 100) == (1.0, 0.0)  # beyond the rim: full speed, no more
    x, y = pad_velocity(-100, 100, 100)
    assert (x, y) == (-0.7, -0.7)


def test_wrong_password_says_check_credentials(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator,
                                               ptz_camera: Camera) -> None:
    panel.set_camera(ptz_camera, client(sim, password="wrong"))
    qtbot.waitUntil(lambda: "401 from camera: check credentials" in panel.message.text(), timeout=5000)
    assert panel.message.isVisible()
    QTest.keyPress(panel, Qt.Key.Key_Left)  # commands fail the same way, and nothing breaks
    QTest.keyRelease(panel, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: panel.message.text().startswith("stop: 401"), timeout=5000)
    assert moves(sim) == []
    # The right client again: the message goes, control comes back.
    panel.set_camera(ptz_camera, client(sim))
    assert not panel.message.isVisible()
    qtbot.waitUntil(lambda: panel.preset_names() == ["Main St", "Park"], timeout=5000)


def test_no_client_means_no_controls(qtbot: QtBot, panel: PtzPanel, ptz_camera: Camera) -> None:
    panel.set_camera(ptz_camera, None)
    assert not panel.pad.isEnabled() and not panel.home_button.isEnabled()
    assert "No PTZ control for ptz01" in panel.message.text()
    panel.set_camera(None, None)
    assert panel.title.text() == "No PTZ camera selected"


def test_a_slow_camera_gets_only_the_newest_motion(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator) -> None:
    sim.delay_s = 0.3  # every answer late: the moves below queue up behind the first
    panel.drive(0.2, 0.0)
    qtbot.waitUntil(lambda: moves(sim) == [{"continuouspantiltmove": "20,0"}], timeout=3000)  # on its way
    for speed in (0.4, 0.6, 0.8):
        panel.drive(speed, 0.0)
    panel.drive(0.0, 0.0)
    qtbot.waitUntil(lambda: moves(sim)[-1:] == [STOP], timeout=5000)
    assert moves(sim) == [{"continuouspantiltmove": "20,0"}, STOP]


def test_switching_cameras_stops_the_old_one(qtbot: QtBot, panel: PtzPanel, sim: VapixSimulator,
                                             ptz_camera: Camera) -> None:
    QTest.keyPress(panel, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: sim.state.pan_speed == 50, timeout=3000)
    with VapixSimulator(USER, PASSWORD) as other:
        panel.set_camera(ptz_camera, client(other))  # the key is still down: the old camera must not keep turning
        qtbot.waitUntil(lambda: sim.state.pan_speed == 0, timeout=3000)
        assert moves(sim)[-1] == STOP
        QTest.keyRelease(panel, Qt.Key.Key_Right)  # released on the new camera: nothing to stop there yet
        QTest.keyPress(panel, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: other.state.pan_speed == 50, timeout=3000)
        QTest.keyRelease(panel, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: moves(other)[-1:] == [STOP], timeout=3000)
        assert panel.shutdown(wait_ms=5000)


WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")


@pytest.fixture
def no_ptz_for_the_wall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PERMISSIONS, Role.WALL_OPERATOR, PERMISSIONS[Role.WALL_OPERATOR] - {Action.CONTROL_PTZ})


def denied(services: Services) -> list[tuple[str, str, str]]:
    with services.db.session() as s:
        return [(r.username, r.object, r.detail["command"]) for r in s.scalars(
            select(AuditEventRow).where(AuditEventRow.event_type == "permission_denied").order_by(AuditEventRow.id))]


def test_a_role_without_ptz_control_sees_where_it_points_but_cannot_steer(
        qtbot: QtBot, sim: VapixSimulator, ptz_camera: Camera, services: Services, no_ptz_for_the_wall: None) -> None:
    sim.state.presets = {"Main St": (30.0, -10.0, 1.0)}
    p = PtzPanel(actor=WALL)
    qtbot.addWidget(p)
    p.resize(420, 520)
    p.show()
    p.set_camera(ptz_camera, GuardedPtz(client(sim), actor=WALL, db=services.db, camera_id=ptz_camera.id))
    qtbot.waitUntil(lambda: p.last_position is not None and p.preset_names() == ["Main St"], timeout=5000)
    assert not p.may_control()
    assert not any(w.isEnabled() for w in (p.pad, p.home_button, p.save_preset_button, *p.arrow_buttons.values()))
    assert p.message.text() == ("Your role (wall_operator) may not steer PTZ cameras: you can see where ptz01 "
                                "points, not move it")
    assert p.message.isVisible()  # the position poll and the preset list that worked leave it in place
    p.grab().save("/tmp/plates-ptz-panel-no-control.png")
    QTest.keyPress(p, Qt.Key.Key_Left)  # like the disabled buttons, the keys and the wheel steer nothing
    QTest.keyRelease(p, Qt.Key.Key_Left)
    wheel(p, 1)
    assert denied(services) == []
    p.center_on(320, 180, 640, 360)  # a Ctrl+click on the camera's tile: the person's client refuses it
    qtbot.waitUntil(lambda: p.message.text().startswith("centre: Not allowed"), timeout=5000)
    assert p.message.text() == "centre: Not allowed: wally (wall_operator) may not control ptz"
    assert moves(sim) == [] and denied(services) == [("wally", "camera:ptz01", "center")]
    assert p.shutdown(wait_ms=5000)


def test_a_refused_command_is_said_on_the_panel_and_audited(
        qtbot: QtBot, sim: VapixSimulator, ptz_camera: Camera, services: Services, no_ptz_for_the_wall: None) -> None:
    """Without the mirror (no actor given to the panel) the person's client still refuses: a message, no crash."""
    p = PtzPanel()
    qtbot.addWidget(p)
    p.show()
    p.set_camera(ptz_camera, GuardedPtz(client(sim), actor=WALL, db=services.db, camera_id=ptz_camera.id))
    assert p.home_button.isEnabled()
    p.home_button.click()
    qtbot.waitUntil(lambda: p.message.text().startswith("home:"), timeout=5000)
    assert p.message.text() == "home: Not allowed: wally (wall_operator) may not control ptz"
    assert moves(sim) == [] and denied(services) == [("wally", "camera:ptz01", "home")]
    assert p.shutdown(wait_ms=5000)
