"""In-tile PTZ control: Ctrl+click on a PTZ camera's picture asks to centre on that pixel; Ctrl+wheel zooms.
Fixed cameras ignore both (a plain click only selects)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from c4desk.domain.camera import parse_camera
from c4desk.media.player import VideoPlayer
from c4desk.ui.wall.video_view import VideoView


def never_connects(url: str, size: tuple[int, int] | None) -> VideoPlayer:
    raise OSError("no camera in this test")


def tile_showing(qtbot: QtBot, kind: str) -> VideoView:
    tile = VideoView(never_connects)
    qtbot.addWidget(tile)
    tile.resize(640, 360)
    tile.show()
    tile.set_camera(parse_camera({"id": "p1", "name": "PTZ", "lat": 41.76, "lon": -72.67, "kind": kind}))
    image = QImage(640, 360, QImage.Format.Format_RGB32)
    image.fill(QColor("gray"))
    tile._image = image  # a picture on screen, as if the stream had delivered one
    return tile


def test_ctrl_click_centres_on_the_picture_pixel(qtbot: QtBot) -> None:
    tile = tile_showing(qtbot, "ptz")
    with qtbot.waitSignal(tile.ptz_center_requested, timeout=1000) as got:
        QTest.mouseClick(tile, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, QPoint(480, 90))
    x, y, w, h = got.args
    assert (w, h) == (640, 360) and abs(x - 480) <= 2 and abs(y - 90) <= 2


def test_ctrl_wheel_zooms(qtbot: QtBot) -> None:
    tile = tile_showing(qtbot, "ptz")
    with qtbot.waitSignal(tile.ptz_zoom_requested, timeout=1000) as got:
        event = QWheelEvent(QPointF(320, 180), QPointF(tile.mapToGlobal(QPoint(320, 180))), QPoint(0, 0),
                            QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(tile, event)
    assert got.args == [2]


def test_fixed_camera_ignores_ptz_gestures(qtbot: QtBot) -> None:
    tile = tile_showing(qtbot, "fixed")
    fired: list[object] = []
    tile.ptz_center_requested.connect(lambda *a: fired.append(a))
    QTest.mouseClick(tile, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, QPoint(100, 100))
    assert fired == []
