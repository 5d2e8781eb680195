"""A joystick pad: press and drag away from the centre to move the camera, faster the farther you drag."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from c4desk.ui import theme

DEAD_ZONE = 0.08  # of the radius: a shaky hand at the centre does not move the camera
STEP = 0.05  # speeds are rounded to this, so a drag sends a command per visible change, not per pixel


def pad_velocity(dx: float, dy: float, radius: float) -> tuple[float, float]:
    """Speeds (pan right +, tilt up +) for a drag of (dx, dy) pixels from the centre (screen y grows down)."""
    if radius <= 0:
        return 0.0, 0.0
    x, y = dx / radius, -dy / radius
    length = math.hypot(x, y)
    if length < DEAD_ZONE:
        return 0.0, 0.0
    if length > 1.0:
        x, y = x / length, y / length

    def q(v: float) -> float:
        r = round(v / STEP) * STEP
        return 0.0 if r == 0 else round(max(-1.0, min(1.0, r)), 2)

    return q(x), q(y)


class PtzPad(QWidget):
    velocity_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Drag from the centre to move; the farther, the faster. Release to stop.")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._knob: QPointF | None = None
        self._velocity = (0.0, 0.0)

    def sizeHint(self) -> QSize:
        return QSize(150, 150)

    @property
    def radius(self) -> float:
        return max(1.0, min(self.width(), self.height()) / 2.0 - 6.0)

    def centre(self) -> QPointF:
        return QPointF(self.width() / 2.0, self.height() / 2.0)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_to(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._drag_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._knob = None
            self._set_velocity(0.0, 0.0)
            self.update()

    def _drag_to(self, pos: QPointF) -> None:
        c = self.centre()
        self._knob = pos
        self._set_velocity(*pad_velocity(pos.x() - c.x(), pos.y() - c.y(), self.radius))
        self.update()

    def _set_velocity(self, x: float, y: float) -> None:
        if (x, y) != self._velocity:
            self._velocity = (x, y)
            self.velocity_changed.emit(x, y)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c, r = self.centre(), self.radius
        enabled = self.isEnabled()
        p.setPen(QPen(QColor(theme.RAISED), 2))
        p.setBrush(QColor(theme.PANEL))
        p.drawEllipse(c, r, r)
        p.setPen(QPen(QColor(theme.MUTED if enabled else theme.RAISED), 1, Qt.PenStyle.DotLine))
        p.drawLine(QPointF(c.x() - r, c.y()), QPointF(c.x() + r, c.y()))
        p.drawLine(QPointF(c.x(), c.y() - r), QPointF(c.x(), c.y() + r))
        p.drawEllipse(c, r * DEAD_ZONE * 2, r * DEAD_ZONE * 2)
        knob = c
        if self._knob is not None:
            dx, dy = self._knob.x() - c.x(), self._knob.y() - c.y()
            scale = min(1.0, r / max(1e-9, math.hypot(dx, dy)))
            knob = QPointF(c.x() + dx * scale, c.y() + dy * scale)
            p.setPen(QPen(QColor(theme.ACCENT), 2))
            p.drawLine(c, knob)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.ACCENT if enabled and self._knob is not None else theme.MUTED))
        p.drawEllipse(QRectF(knob.x() - 9, knob.y() - 9, 18, 18))
        p.end()
