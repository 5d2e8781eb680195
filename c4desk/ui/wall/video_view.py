"""One live video tile: shows the newest decoded frame with the camera's name, a clock and its state.

The player decodes on its own thread; this widget polls ``latest_frame()`` on a GUI-thread timer and wraps
the frame's bytes in a QImage without copying. A tile never shows a frozen frame as if it were live: when
frames stop, the last one is greyed and the state says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from c4desk.domain.camera import Camera
from c4desk.media.player import Frame, PlayerState, VideoPlayer
from c4desk.ui import theme

PlayerFactory = Callable[[str, tuple[int, int] | None], VideoPlayer]

POLL_MS = 30
STALL_AFTER_S = 3.0
RECONNECT_MAX_S = 5.0


class VideoView(QWidget):
    """A tile. Emits ``activated`` on double-click and ``selected`` on click."""

    selected = Signal()
    activated = Signal()
    status_changed = Signal(str, str)  # status, reason

    def __init__(self, player_factory: PlayerFactory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = player_factory
        self._camera: Camera | None = None
        self._player: VideoPlayer | None = None
        self._frame: Frame | None = None
        self._image: QImage | None = None
        self._last_new_frame = 0.0
        self._status = "idle"
        self._reason = ""
        self._retry_at: float | None = None
        self._backoff = 0.5
        self._is_selected = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)

    # -- public ---------------------------------------------------------------------------------------
    @property
    def camera(self) -> Camera | None:
        return self._camera

    @property
    def status(self) -> str:
        return self._status

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def current_frame(self) -> Frame | None:
        return self._frame

    def set_camera(self, camera: Camera | None) -> None:
        self._stop_player()
        self._camera = camera
        self._frame = None
        self._image = None
        self._backoff = 0.5
        if camera is None:
            self._set_status("idle", "")
            self._timer.stop()
        else:
            self._start_player()
            self._timer.start()
        self.setToolTip(self._tooltip())
        self.update()

    def set_selected(self, selected: bool) -> None:
        self._is_selected = selected
        self.update()

    def close_player(self) -> None:
        self._timer.stop()
        self._stop_player()

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # -- player lifecycle -----------------------------------------------------------------------------
    def _target_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(2, int(self.width() * ratio)) & ~1, max(2, int(self.height() * ratio)) & ~1

    def _start_player(self) -> None:
        assert self._camera is not None
        url = self._camera.best_stream
        if not url:
            self._set_status("offline", "camera has no stream URL")
            return
        try:
            self._player = self._factory(url, self._target_size())
            self._player.start()
        except Exception as exc:  # a bad URL must never take the wall down
            self._player = None
            self._set_status("offline", str(exc))
            self._schedule_retry()
            return
        self._last_new_frame = time.monotonic()
        self._retry_at = None
        self._set_status("connecting" if self._frame is None else "reconnecting", "")

    def _stop_player(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None

    def _schedule_retry(self) -> None:
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(RECONNECT_MAX_S, self._backoff * 2)

    def _on_poll(self) -> None:
        now = time.monotonic()
        if self._player is None:
            if self._retry_at is not None and now >= self._retry_at and self._camera is not None:
                self._start_player()
            return
        frame = self._player.latest_frame()
        if frame is not None and (self._frame is None or frame.seq != self._frame.seq):
            self._frame = frame
            # Wraps the player's buffer without copying; the Frame object keeps the bytes alive.
            self._image = QImage(frame.data, frame.width, frame.height, frame.stride, QImage.Format.Format_RGB32)
            self._last_new_frame = now
            self._backoff = 0.5
            self._set_status("live", "")
            self.update()
            return
        state = self._player.state
        failed = state in (PlayerState.ERROR, PlayerState.ENDED, PlayerState.STOPPED)
        stalled = now - self._last_new_frame > STALL_AFTER_S
        if failed or stalled:
            reason = self._player.error or (f"no frames for {STALL_AFTER_S:.0f} s" if stalled else str(state))
            self._stop_player()
            self._set_status("reconnecting" if self._frame is not None else "offline", reason)
            self._schedule_retry()
            self.update()

    def _set_status(self, status: str, reason: str) -> None:
        if (status, reason) != (self._status, self._reason):
            self._status, self._reason = status, reason
            self.setToolTip(self._tooltip())
            self.update()
            self.status_changed.emit(status, reason)

    def _tooltip(self) -> str:
        if self._camera is None:
            return "Empty tile: double-click a camera in the list to show it here"
        text = f"{self._camera.name} ({self._camera.id}) - {self._status}"
        return f"{text}\n{self._reason}" if self._reason else text

    # -- Qt events ------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._player is not None:
            self._player.set_target_size(*self._target_size())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        self.selected.emit()
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.activated.emit()
        super().mouseDoubleClickEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#000000"))
        if self._image is not None:
            target = _fit(self._image.size(), self.rect())
            p.drawImage(target, self._image)
            if self._status != "live":
                p.fillRect(target, QColor(20, 20, 20, 150))  # grey the last frame: it is not live
        self._paint_overlay(p)
        if self._is_selected:
            p.setPen(QColor(theme.ACCENT))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    def _paint_overlay(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(9)
        font.setBold(True)
        p.setFont(font)
        bar = QRect(0, 0, self.width(), 20)
        p.fillRect(bar, QColor(0, 0, 0, 140))
        p.setPen(QColor(theme.TEXT))
        name = self._camera.name if self._camera else "empty"
        p.drawText(bar.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        clock = datetime.now(UTC).astimezone().strftime("%H:%M:%S")
        p.drawText(bar.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, clock)
        if self._camera is None:
            p.setPen(QColor(theme.MUTED))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "double-click a camera to show it here")
            return
        if self._status != "live":
            label = self._status.upper() + (f": {self._reason}" if self._reason else "")
            p.setPen(QColor(theme.STATE_COLOURS.get(self._status, theme.MUTED)))
            p.drawText(self.rect().adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       label)
        else:
            dot = QRect(self.width() - 14, self.height() - 14, 8, 8)
            p.setBrush(QColor(theme.OK))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(dot)


def _fit(image: QSize, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in ``area`` (letterbox)."""
    if image.isEmpty():
        return area
    scaled = image.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    x = area.x() + (area.width() - scaled.width()) // 2
    y = area.y() + (area.height() - scaled.height()) // 2
    return QRect(x, y, scaled.width(), scaled.height())
