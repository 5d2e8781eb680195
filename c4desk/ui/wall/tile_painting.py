"""How a video tile looks: the picture, the caption bar (state dot, camera name, stream, clock) and the state text.

Part of ``VideoView`` (see ``tile_state``), kept apart from the players because painting must stay cheap and
simple to check: the picture is drawn 1:1 when it was decoded at the tile's size, its placement is worked out
once per picture and tile size, and the caption bar is drawn into a cached pixmap only when its text changes
(the clock, once per second). A picture that is not live is greyed, with the state and reason over it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent, QPixmap

from c4desk.domain.layouts import SNAP_TOLERANCE
from c4desk.ui import theme
from c4desk.ui.wall.tile_state import HEADER_H, TileHost, TileStatus

__all__ = ["TilePainting", "clock_text", "draw_header", "fit"]

_GREY = QColor(20, 20, 20, 170)


class TilePainting(TileHost):
    """VideoView's painting (a mixin: the state is the tile's, set up in ``VideoView.__init__``)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        area = self.rect()
        image = self._image
        live = self._status == TileStatus.LIVE
        if image is not None and (self._surface is None or not self._surface.isVisible()):
            target, one_to_one, fill = self._placement(image, area)
            if fill:
                p.fillRect(area, Qt.GlobalColor.black)
            if one_to_one:
                p.drawImage(target.topLeft(), image)  # decoded at the tile's size: drawn 1:1, no scaling
            else:
                p.drawImage(target, image)
            if not live:
                p.fillRect(target, _GREY)  # grey the last picture: it is not live
        else:
            p.fillRect(area, Qt.GlobalColor.black)
        p.drawPixmap(0, 0, self._header_pixmap())
        if not live or self._is_selected or self._drop_hover:
            self._paint_state(p, area, live)
        p.end()

    def _placement(self, image: QImage, area: QRect) -> tuple[QRect, bool, bool]:
        """Where the picture goes: (rectangle, drawn 1:1, black bars needed); the same for every picture of a
        size, so it is worked out once per picture size and tile size."""
        key = (image.width(), image.height(), image.devicePixelRatio(), area.width(), area.height())
        if key != self._place_key:
            ratio = image.devicePixelRatio()
            size = QSize(round(image.width() / ratio), round(image.height() / ratio))
            target = fit(size, area)
            one_to_one = (abs(target.width() - size.width()) <= max(2, SNAP_TOLERANCE * size.width())
                          and abs(target.height() - size.height()) <= max(2, SNAP_TOLERANCE * size.height()))
            if one_to_one:  # within the snap tolerance: centred at its own size (a thin border or crop)
                target = QRect(area.x() + (area.width() - size.width()) // 2,
                               area.y() + (area.height() - size.height()) // 2, size.width(), size.height())
            self._place_key, self._place = key, (target, one_to_one, not target.contains(area))
        return self._place

    def _paint_state(self, p: QPainter, area: QRect, live: bool) -> None:
        if self._camera is None:
            p.setPen(QColor(theme.MUTED))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "drag a camera here\nor double-click one in the list")
        elif not live:
            label = self._status.upper() + (f": {self._reason}" if self._reason else "")
            p.setPen(QColor(theme.STATE_COLOURS.get(self._status, theme.MUTED)))
            p.drawText(area.adjusted(8, HEADER_H, -8, 0),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, label)
        if self._is_selected or self._drop_hover:
            p.setPen(QColor(theme.ACCENT if self._is_selected else theme.WARN))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(area.adjusted(0, 0, -1, -1))

    def _header_pixmap(self) -> QPixmap:
        """The caption bar (state dot, name, stream, clock), redrawn only when one of them changes."""
        self._clock_text = self.header_clock() if self.header_clock is not None else clock_text()
        feed = self._feed
        stream = feed.stream if feed is not None and self._next is None else ""
        key = (self.width(), self._clock_text, self._status, stream, self._camera)
        if key != self._header_key or self._header is None:
            self._header_key = key
            name = self._camera.name if self._camera else "empty"
            self._header = draw_header(self.width(), self.devicePixelRatioF(), self.font(), name,
                                       self._clock_text, self._status, stream)
        return self._header


_clock_cache: tuple[int, str] = (-1, "")


def clock_text() -> str:
    """The tiles' clock text (local time, to the second), formatted once per second for all of them."""
    global _clock_cache
    second = int(time.time())
    if second != _clock_cache[0]:
        _clock_cache = (second, datetime.fromtimestamp(second, UTC).astimezone().strftime("%H:%M:%S"))
    return _clock_cache[1]


def draw_header(width: int, ratio: float, base: QFont, name: str, clock: str, status: str,
                stream: str) -> QPixmap:
    """The caption bar at the screen's pixel ratio: state dot, name (elided, ``[sub]`` on the sub stream), clock."""
    pix = QPixmap(max(1, int(width * ratio)), int(HEADER_H * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(QColor(0, 0, 0, 0))
    p = QPainter(pix)
    p.fillRect(QRect(0, 0, width, HEADER_H), QColor(0, 0, 0, 150))
    font = QFont(base)
    font.setPointSizeF(9)
    font.setBold(True)
    p.setFont(font)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(theme.STATE_COLOURS.get(status, theme.MUTED)))
    p.drawEllipse(QRect(6, HEADER_H // 2 - 4, 8, 8))
    p.setPen(QColor(theme.TEXT))
    clock_w = QFontMetrics(font).horizontalAdvance(clock) + 8
    tag = f" [{stream}]" if stream == "sub" else ""
    text_rect = QRect(20, 0, max(0, width - 20 - clock_w - 6), HEADER_H)
    elided = QFontMetrics(font).elidedText(name + tag, Qt.TextElideMode.ElideRight, text_rect.width())
    p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
    p.drawText(QRect(0, 0, width - 6, HEADER_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, clock)
    p.end()
    return pix


def fit(image: QSize, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in ``area`` (letterbox)."""
    if image.isEmpty():
        return area
    scaled = image.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    x = area.x() + (area.width() - scaled.width()) // 2
    y = area.y() + (area.height() - scaled.height()) // 2
    return QRect(x, y, scaled.width(), scaled.height())
