"""The playback timeline: what was recorded when, what happened when, and the cursor every tile follows.

``TimelineBar`` draws, for the view's cameras, the recorded ranges (green), the gaps the recorder noted (red),
LPR reads (amber ticks) and bookmarks (blue flags), with the site's alerts on a lane of their own above, and
the cursor. Click or drag scrubs; the wheel zooms (from two minutes to a week across the bar) around the
mouse; Shift+wheel pans. Double-click a mark to go to it (an alert: to its time minus the alert lead).

``TimelineWidget`` puts the transport controls over it - live/playback, frame steps, play backwards and
forwards, speed, jump to a typed time, jump to an alert - and keeps both in step with a ``PlaybackClock``.
What it shows is read off the GUI thread through a loader (``StoreTimelineSource.load``), for a little more
than the visible window so that panning does not wait for the store, and again every few seconds while
recording goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import shiboken6
from PySide6.QtCore import QDateTime, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygon,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.camera import Camera
from c4desk.ui import theme
from c4desk.ui.background import run_in_background
from c4desk.ui.timefmt import local_datetime, local_time
from c4desk.ui.wall.playback_clock import SPEEDS, PlaybackClock, speed_label
from c4desk.ui.wall.timeline_data import Mark, StoreTimelineSource, TimelineData, TimelineLoader

__all__ = ["Mark", "StoreTimelineSource", "TimelineBar", "TimelineData", "TimelineWidget"]

log = logging.getLogger(__name__)

MIN_SPAN = timedelta(minutes=2)
MAX_SPAN = timedelta(days=7)
DEFAULT_SPAN = timedelta(minutes=10)
LABEL_W = 132
RULER_H = 22
ALERT_LANE_H = 16
ROW_H = 18
MIN_ROW_H = 9  # many cameras in a view: rows get thinner down to this
ROWS_SHOWN = 8  # the bar asks for room for this many rows at full height
MARK_HIT_PX = 5
RELOAD_EVERY_MS = 5000
LOAD_DEBOUNCE_MS = 200
# Tick steps (seconds) the ruler chooses from: the first giving labels at least MIN_LABEL_PX apart.
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MIN_LABEL_PX = 76
RANGE_COLOUR = QColor(63, 185, 80, 150)
GAP_COLOUR = QColor(248, 81, 73, 110)
MARK_COLOURS = {"alert": theme.BAD, "read": theme.WARN, "bookmark": theme.ACCENT}


# (the data it draws, and the store reader: timeline_data.py)


def _nice_span(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} days".replace(".0 days", " days")


# ---------------------------------------------------------------------------------------------- the bar


class TimelineBar(QWidget):
    seek_requested = Signal(object)  # datetime: the analyst clicked or dragged there
    mark_activated = Signal(object)  # Mark double-clicked
    window_changed = Signal(object, object)  # start, end of the visible window

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TimelineBar")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.rows: list[tuple[str, str]] = []  # (camera id, name)
        self.data: TimelineData | None = None
        self.cursor_at: datetime | None = None
        now = datetime.now(UTC)
        self._start = now - DEFAULT_SPAN
        self._end = now
        self._scrubbing = False

    # -- state ----------------------------------------------------------------------------------------
    @property
    def visible_window(self) -> tuple[datetime, datetime]:
        return self._start, self._end

    @property
    def scrubbing(self) -> bool:
        return self._scrubbing

    def set_rows(self, rows: Sequence[tuple[str, str]]) -> None:
        self.rows = list(rows)
        self.setMinimumHeight(RULER_H + ALERT_LANE_H + min(max(1, len(self.rows)), ROWS_SHOWN) * ROW_H + 4)
        self.updateGeometry()
        self.update()

    def set_data(self, data: TimelineData | None) -> None:
        self.data = data
        self.update()

    def set_cursor(self, at: datetime | None) -> None:
        self.cursor_at = at
        self.update()

    def set_window(self, start: datetime, end: datetime) -> None:
        """Show [start, end], clamped to the zoom limits (keeping its centre)."""
        span = min(MAX_SPAN, max(MIN_SPAN, end - start))
        centre = start + (end - start) / 2
        start, end = centre - span / 2, centre + span / 2
        if (start, end) != (self._start, self._end):
            self._start, self._end = start, end
            self.update()
            self.window_changed.emit(start, end)

    def zoom(self, factor: float, anchor: datetime | None = None) -> None:
        """Zoom in (factor < 1) or out around ``anchor`` (default: the cursor, else the middle)."""
        anchor = anchor or self.cursor_at or self._start + (self._end - self._start) / 2
        span = min(MAX_SPAN, max(MIN_SPAN, (self._end - self._start) * factor))
        left = (anchor - self._start) / (self._end - self._start) if self._end > self._start else 0.5
        left = min(1.0, max(0.0, left))
        self.set_window(anchor - span * left, anchor - span * left + span)

    def pan(self, fraction: float) -> None:
        shift = (self._end - self._start) * fraction
        self.set_window(self._start + shift, self._end + shift)

    def keep_in_view(self, at: datetime) -> None:
        """While playing: page the window so the cursor stays visible (unless the analyst is scrubbing)."""
        if self._scrubbing:
            return
        span = self._end - self._start
        if at > self._end - span * 0.02:
            self.set_window(at - span * 0.1, at + span * 0.9)
        elif at < self._start + span * 0.02:
            self.set_window(at - span * 0.9, at + span * 0.1)

    # -- geometry -------------------------------------------------------------------------------------
    def plot_rect(self) -> QRect:
        return QRect(LABEL_W, 0, max(1, self.width() - LABEL_W - 6), self.height())

    def x_of(self, at: datetime) -> float:
        plot = self.plot_rect()
        span = (self._end - self._start).total_seconds()
        return plot.x() + (at - self._start).total_seconds() / span * plot.width()

    def time_at(self, x: float) -> datetime:
        plot = self.plot_rect()
        fraction = min(1.0, max(0.0, (x - plot.x()) / plot.width()))
        return self._start + (self._end - self._start) * fraction

    def row_top(self, index: int) -> int:
        return RULER_H + ALERT_LANE_H + index * self.row_height()

    def row_height(self) -> int:
        room = self.height() - RULER_H - ALERT_LANE_H - 4
        return max(MIN_ROW_H, min(ROW_H, room // max(1, len(self.rows))))

    def sizeHint(self) -> QSize:
        return QSize(800, RULER_H + ALERT_LANE_H + max(1, len(self.rows)) * ROW_H + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(300, RULER_H + ALERT_LANE_H + ROW_H + 4)

    def mark_at(self, pos: QPoint) -> Mark | None:
        if self.data is None:
            return None
        rows = {camera_id: i for i, (camera_id, _) in enumerate(self.rows)}
        best: tuple[float, Mark] | None = None
        for mark in self.data.marks:
            if mark.kind == "alert":
                top, height = RULER_H, ALERT_LANE_H
            elif mark.camera_id in rows:
                top, height = self.row_top(rows[mark.camera_id]), self.row_height()
            else:
                continue
            if not top <= pos.y() < top + height:
                continue
            distance = abs(self.x_of(mark.at) - pos.x())
            if distance <= MARK_HIT_PX and (best is None or distance < best[0]):
                best = (distance, mark)
        return best[1] if best else None

    # -- input ----------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.position().x() >= LABEL_W:
            self._scrubbing = True
            self.seek_requested.emit(self.time_at(event.position().x()))
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._scrubbing:
            self.seek_requested.emit(self.time_at(event.position().x()))
        else:
            mark = self.mark_at(event.position().toPoint())
            if mark is not None:
                QToolTip.showText(event.globalPosition().toPoint(), _mark_tip(mark), self)
            else:
                QToolTip.hideText()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._scrubbing = False
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        mark = self.mark_at(event.position().toPoint())
        if mark is not None:
            event.accept()  # not passed on: QWidget would treat it as another press and scrub back there
            self.mark_activated.emit(mark)
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or event.angleDelta().x():
            self.pan(-0.1 * steps)
        else:
            self.zoom(0.8 ** steps, self.time_at(event.position().x()))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(0.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom(2.0)
        elif key == Qt.Key.Key_Left:
            self.pan(-0.25)
        elif key == Qt.Key.Key_Right:
            self.pan(0.25)
        else:
            super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BG))
        plot = self.plot_rect()
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        p.setFont(font)
        self._paint_rows(p, plot)
        self._paint_ruler(p, plot)
        self._paint_data(p, plot)
        self._paint_now_and_cursor(p, plot)
        p.end()

    def _paint_rows(self, p: QPainter, plot: QRect) -> None:
        metrics = QFontMetrics(p.font())
        row_h = self.row_height()
        p.fillRect(QRect(0, RULER_H, LABEL_W - 4, ALERT_LANE_H), QColor(theme.PANEL))
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRect(6, RULER_H, LABEL_W - 10, ALERT_LANE_H), Qt.AlignmentFlag.AlignVCenter, "Alerts")
        p.fillRect(QRect(plot.x(), RULER_H, plot.width(), ALERT_LANE_H), QColor(theme.PANEL))
        for i, (_camera_id, name) in enumerate(self.rows):
            top = self.row_top(i)
            shade = QColor(theme.PANEL) if i % 2 == 0 else QColor("#20252b")
            p.fillRect(QRect(0, top + 1, LABEL_W - 4, row_h - 1), shade)
            p.fillRect(QRect(plot.x(), top + 1, plot.width(), row_h - 1), shade)
            p.setPen(QColor(theme.TEXT))
            label = metrics.elidedText(name, Qt.TextElideMode.ElideRight, LABEL_W - 12)
            p.drawText(QRect(6, top, LABEL_W - 10, row_h), Qt.AlignmentFlag.AlignVCenter, label)
        if not self.rows:
            p.setPen(QColor(theme.MUTED))
            p.drawText(QRect(plot.x(), self.row_top(0), plot.width(), row_h), Qt.AlignmentFlag.AlignCenter,
                       "no cameras in this view")

    def _paint_ruler(self, p: QPainter, plot: QRect) -> None:
        p.fillRect(QRect(0, 0, self.width(), RULER_H), QColor(theme.PANEL))
        span_s = (self._end - self._start).total_seconds()
        px_per_s = plot.width() / span_s if span_s > 0 else 1.0
        step = next((s for s in TICK_STEPS if s * px_per_s >= MIN_LABEL_PX), TICK_STEPS[-1])
        local = self._start.astimezone()
        offset = local.utcoffset() or timedelta(0)
        # Ticks on round local times: count from local midnight so that "12:00" lands on a tick.
        first = (int((self._start + offset).timestamp()) // step + 1) * step - offset.total_seconds()
        t = first
        p.setPen(QColor(theme.MUTED))
        fmt = "%H:%M:%S" if step < 60 else ("%H:%M" if step < 86400 else "%d %b")
        while t <= self._end.timestamp():
            at = datetime.fromtimestamp(t, UTC)
            x = round(self.x_of(at))
            p.drawLine(x, RULER_H - 6, x, RULER_H)
            p.setPen(QColor(theme.RAISED))
            p.drawLine(x, RULER_H, x, self.height())
            p.setPen(QColor(theme.MUTED))
            text = at.astimezone().strftime(fmt)
            if step >= 3600 and at.astimezone().hour == 0:
                text = at.astimezone().strftime("%d %b")
            p.drawText(QRect(x - 40, 2, 80, RULER_H - 8), Qt.AlignmentFlag.AlignCenter, text)
            t += step
        p.setPen(QColor(theme.TEXT))
        p.drawText(QRect(6, 0, LABEL_W - 10, RULER_H), Qt.AlignmentFlag.AlignVCenter,
                   self._start.astimezone().strftime("%a %d %b"))

    def _span_rect(self, plot: QRect, top: int, start: datetime, end: datetime) -> QRect:
        x0 = max(plot.x(), round(self.x_of(start)))
        x1 = min(plot.right(), round(self.x_of(end)))
        return QRect(x0, top + 2, max(1, x1 - x0), max(2, self.row_height() - 4))

    def _paint_data(self, p: QPainter, plot: QRect) -> None:
        data = self.data
        if data is None:
            return
        rows = {camera_id: i for i, (camera_id, _) in enumerate(self.rows)}
        row_h = self.row_height()
        now = datetime.now(UTC)
        for camera_id, i in rows.items():
            top = self.row_top(i)
            for start, end in data.ranges.get(camera_id, ()):
                if end >= self._start and start <= self._end:
                    p.fillRect(self._span_rect(plot, top, start, end), RANGE_COLOUR)
            for start, gap_end, _reason in data.gaps.get(camera_id, ()):
                end = gap_end or now
                if end >= self._start and start <= self._end:
                    rect = self._span_rect(plot, top, start, end)
                    p.fillRect(rect, GAP_COLOUR)
                    p.fillRect(rect.adjusted(0, 0, 0, -rect.height() + 2), QColor(theme.BAD))
        for mark in data.marks:
            if not self._start <= mark.at <= self._end:
                continue
            x = round(self.x_of(mark.at))
            colour = QColor(MARK_COLOURS.get(mark.kind, theme.MUTED))
            if mark.kind == "alert":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                y = RULER_H + 2
                p.drawPolygon(QPolygon([QPoint(x - 5, y), QPoint(x + 5, y), QPoint(x, y + ALERT_LANE_H - 4)]))
                continue
            if mark.camera_id not in rows:
                continue
            top = self.row_top(rows[mark.camera_id])
            if mark.kind == "read":
                p.fillRect(QRect(x - 1, top + 1, 3, row_h - 2), colour)
            else:  # bookmark: a small flag
                p.setPen(QPen(colour, 1.5))
                p.drawLine(x, top + 1, x, top + row_h - 2)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawPolygon(QPolygon([QPoint(x, top + 2), QPoint(x + 7, top + 5), QPoint(x, top + 8)]))

    def _paint_now_and_cursor(self, p: QPainter, plot: QRect) -> None:
        now = datetime.now(UTC)
        if self._start <= now <= self._end:
            x = round(self.x_of(now))
            p.setPen(QPen(QColor(theme.MUTED), 1, Qt.PenStyle.DashLine))
            p.drawLine(x, 0, x, self.height())
        at = self.cursor_at
        if at is None or not self._start <= at <= self._end:
            return
        x = round(self.x_of(at))
        p.setPen(QPen(QColor(theme.ACCENT), 2))
        p.drawLine(x, RULER_H - 2, x, self.height())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.ACCENT))
        p.drawPolygon(QPolygon([QPoint(x - 6, 0), QPoint(x + 6, 0), QPoint(x, 9)]))


def _mark_tip(mark: Mark) -> str:
    kind = {"alert": "Alert", "read": "Plate read", "bookmark": "Bookmark"}.get(mark.kind, mark.kind)
    where = f" - {mark.camera_id}" if mark.camera_id else ""
    return f"{kind}{where}\n{local_datetime(mark.at)}\n{mark.label}".strip()


# ---------------------------------------------------------------------------------- controls + bar


class TimelineWidget(QWidget):
    """Transport controls over a TimelineBar, bound to a PlaybackClock (``set_clock``)."""

    live_requested = Signal()  # the analyst asked for live video
    playback_requested = Signal(object)  # datetime: ... for playback, starting there
    step_requested = Signal(int)  # frames (the view steps by its selected tile's frames)
    alert_jumped = Signal(object)  # Mark: jumped to this alert

    def __init__(self, loader: TimelineLoader | None = None, *, alert_lead_s: float = 30.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Timeline")
        self._loader = loader
        self.alert_lead = timedelta(seconds=alert_lead_s)
        self._clock: PlaybackClock | None = None
        self._in_playback = False
        self._camera_ids: list[str] = []
        self._loading = False
        self._load_again = False
        self.bar = TimelineBar(self)
        self._build_controls()
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 2, 4, 2)
        box.setSpacing(2)
        box.addLayout(self._controls)
        box.addWidget(self.bar, 1)
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.setInterval(LOAD_DEBOUNCE_MS)
        self._load_timer.timeout.connect(self.reload)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(RELOAD_EVERY_MS)
        self._refresh_timer.timeout.connect(self._on_refresh_tick)
        self._refresh_timer.start()
        self._connect_signals()
        self._show_mode()

    def _build_controls(self) -> None:
        def button(text: str, tip: str, slot: Callable[[], object], *, checkable: bool = False) -> QToolButton:
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setAutoRaise(True)
            b.clicked.connect(lambda _=False: slot())
            return b

        self.mode_button = button("LIVE", "Switch this view between live video and playback (Ctrl+P)",
                                  self._on_mode_clicked, checkable=True)
        self.mode_button.setMinimumWidth(84)
        self.step_back_button = button("\u25c0|", "One frame back (,)", lambda: self.step_requested.emit(-1))
        self.reverse_button = button("\u25c0", "Play backwards", self._on_reverse)
        self.play_button = button("\u25b6", "Play / pause (Space)", self._on_play_pause)
        self.step_button = button("|\u25b6", "One frame forward (.)", lambda: self.step_requested.emit(1))
        self.speed_box = QComboBox(self)
        self.speed_box.setToolTip("Playback speed")
        for speed in SPEEDS:
            if speed > 0:
                self.speed_box.addItem(speed_label(speed), speed)
        self.speed_box.setCurrentIndex(self.speed_box.findData(1.0))
        self.time_edit = QDateTimeEdit(self)
        self.time_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.time_edit.setCalendarPopup(True)
        self.time_edit.setToolTip("Jump to this time (local)")
        self.go_button = button("Go", "Jump to the time typed here", self._on_go)
        self.alert_button = button(f"Alert \u2212{self.alert_lead.total_seconds():.0f} s",
                                   "Jump to an alert's time, a little before it", self._on_alert_menu)
        self.zoom_out_button = button("\u2212", "Zoom out (-)", lambda: self.bar.zoom(2.0))
        self.zoom_in_button = button("+", "Zoom in (+)", lambda: self.bar.zoom(0.5))
        self.span_label = QLabel(self)
        self.span_label.setMinimumWidth(56)
        self.position_label = QLabel(self)
        self.position_label.setObjectName("TimelinePosition")
        font = QFont(self.position_label.font())
        font.setBold(True)
        self.position_label.setFont(font)
        row = QHBoxLayout()
        row.setSpacing(2)
        transport: tuple[QWidget, ...] = (self.mode_button, self.step_back_button, self.reverse_button,
                                          self.play_button, self.step_button, self.speed_box)
        jumps: tuple[QWidget, ...] = (self.time_edit, self.go_button, self.alert_button)
        zoom: tuple[QWidget, ...] = (self.zoom_out_button, self.span_label, self.zoom_in_button)
        for w in transport:
            row.addWidget(w)
        row.addSpacing(10)
        row.addWidget(self.position_label)
        row.addStretch(1)
        for w in jumps:
            row.addWidget(w)
        row.addSpacing(10)
        for w in zoom:
            row.addWidget(w)
        self._controls = row

    def _connect_signals(self) -> None:
        self.bar.seek_requested.connect(self._on_seek)
        self.bar.mark_activated.connect(self._on_mark)
        self.bar.window_changed.connect(self._on_window_changed)
        self.speed_box.activated.connect(self._on_speed_chosen)

    # -- public ---------------------------------------------------------------------------------------
    @property
    def clock(self) -> PlaybackClock | None:
        return self._clock

    def set_clock(self, clock: PlaybackClock | None) -> None:
        """Drive (and follow) ``clock``: the view's main timeline, or a tile's own."""
        if clock is self._clock:
            return
        if self._clock is not None and shiboken6.isValid(self._clock):
            self._clock.changed.disconnect(self._on_clock_changed)
            self._clock.position_changed.disconnect(self._on_position)
        self._clock = clock
        if clock is not None:
            clock.changed.connect(self._on_clock_changed)
            clock.position_changed.connect(self._on_position)
            self._on_clock_changed()
            self._on_position(clock.position())

    def set_mode(self, playback: bool) -> None:
        """Show whether the view is in playback (the controls only act on a clock in playback)."""
        self._in_playback = playback
        self._show_mode()

    def set_cameras(self, cameras: Sequence[Camera | None]) -> None:
        """The view's cameras, one row each, in tile order."""
        seen: dict[str, str] = {}
        for camera in cameras:
            if camera is not None and camera.id not in seen:
                seen[camera.id] = camera.name
        if list(seen) != self._camera_ids:
            self._camera_ids = list(seen)
            self.bar.set_rows(list(seen.items()))
            self.bar.set_data(None)
            self._load_timer.start()

    def jump_to(self, at: datetime) -> None:
        """Move the cursor to ``at`` (entering playback if the view is live)."""
        if not self._in_playback or self._clock is None:
            self.playback_requested.emit(at)
        if self._clock is not None:
            self._clock.seek(at)
        start, end = self.bar.visible_window
        if not start <= at <= end:
            self.bar.set_window(at - (end - start) / 2, at + (end - start) / 2)

    def jump_to_alert(self, alert_at: datetime) -> datetime:
        """Go to ``alert_at`` minus the alert lead (the moments before the alert); returns where it went."""
        target = alert_at - self.alert_lead
        self.jump_to(target)
        return target

    def alert_marks(self) -> list[Mark]:
        data = self.bar.data
        return [m for m in (data.marks if data else ()) if m.kind == "alert"]

    def reload(self) -> None:
        """Read what the visible window (and a margin either side) holds, off the GUI thread."""
        loader = self._loader
        if loader is None:
            return
        if self._loading:
            self._load_again = True
            return
        start, end = self.bar.visible_window
        margin = (end - start) / 2
        ids = list(self._camera_ids)
        lo, hi = start - margin, min(end + margin, datetime.now(UTC) + margin)
        self._loading = True

        def done(data: object) -> None:
            if not shiboken6.isValid(self):
                return
            self._loading = False
            if isinstance(data, TimelineData) and ids == self._camera_ids:
                self.bar.set_data(data)
            if self._load_again:
                self._load_again = False
                self.reload()

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._loading = False
                log.warning("timeline: loading failed: %s", exc)

        run_in_background(lambda: loader(ids, lo, max(hi, lo + timedelta(seconds=1))), done, failed)

    # -- slots ----------------------------------------------------------------------------------------
    def _show_mode(self) -> None:
        on = self._in_playback
        self.mode_button.setChecked(on)
        self.mode_button.setText("PLAYBACK" if on else "LIVE")
        colour = theme.WARN if on else theme.OK
        self.mode_button.setStyleSheet(f"QToolButton {{ color: {colour}; font-weight: bold; }}")
        for w in (self.step_back_button, self.reverse_button, self.play_button, self.step_button, self.speed_box):
            w.setEnabled(on)
        if not on:
            self.position_label.setText("live")
            self.bar.set_cursor(None)

    def _on_mode_clicked(self) -> None:
        if self._in_playback:
            self.live_requested.emit()
        else:
            self.playback_requested.emit(self.bar.cursor_at or datetime.now(UTC) - self.alert_lead)
        self._show_mode()

    def _on_play_pause(self) -> None:
        """Play forwards; pause when already playing forwards."""
        clock = self._clock
        if clock is not None:
            clock.pause() if clock.playing and clock.speed > 0 else clock.play_forward()

    def _on_reverse(self) -> None:
        """Play backwards; pause when already playing backwards."""
        clock = self._clock
        if clock is not None:
            clock.pause() if clock.playing and clock.speed < 0 else clock.play_reverse()

    def _on_speed_chosen(self, index: int) -> None:
        speed = float(self.speed_box.itemData(index))
        if self._clock is not None:
            self._clock.set_speed(-speed if self._clock.speed < 0 else speed)

    def _on_go(self) -> None:
        msecs = self.time_edit.dateTime().toMSecsSinceEpoch()  # the edit shows local time; this is UTC
        self.jump_to(datetime.fromtimestamp(msecs / 1000, UTC))

    def _on_alert_menu(self) -> None:
        marks = sorted(self.alert_marks(), key=lambda m: m.at, reverse=True)
        menu = QMenu(self)
        if not marks:
            menu.addAction("(no alerts in view: zoom out)").setEnabled(False)
        for mark in marks[:20]:
            menu.addAction(f"{local_time(mark.at)}  {mark.label}").triggered.connect(
                lambda _=False, m=mark: self._jump_to_alert_mark(m))
        menu.exec(self.alert_button.mapToGlobal(self.alert_button.rect().bottomLeft()))
        menu.deleteLater()

    def _jump_to_alert_mark(self, mark: Mark) -> None:
        self.jump_to_alert(mark.at)
        self.alert_jumped.emit(mark)

    def _on_mark(self, mark: Mark) -> None:
        if mark.kind == "alert":
            self._jump_to_alert_mark(mark)
        else:
            self.jump_to(mark.at)

    def _on_seek(self, at: datetime) -> None:
        if self._in_playback and self._clock is not None:
            self._clock.seek(at)
        else:
            self.playback_requested.emit(at)

    def _on_window_changed(self, start: datetime, end: datetime) -> None:
        self.span_label.setText(_nice_span(end - start))
        data = self.bar.data
        if data is None or not data.covers(start, min(end, datetime.now(UTC))):
            self._load_timer.start()

    def _on_clock_changed(self) -> None:
        clock = self._clock
        if clock is None:
            return
        self.play_button.setText("\u275a\u275a" if clock.playing and clock.speed > 0 else "\u25b6")
        self.reverse_button.setText("\u275a\u275a" if clock.playing and clock.speed < 0 else "\u25c0")
        index = self.speed_box.findData(abs(clock.speed))
        if index >= 0:
            self.speed_box.setCurrentIndex(index)

    def _on_position(self, at: object) -> None:
        if not isinstance(at, datetime) or not self._in_playback:
            return
        clock = self._clock
        self.bar.set_cursor(at)
        self.bar.keep_in_view(at)
        state = "paused" if clock is None or not clock.playing else speed_label(clock.speed)
        self.position_label.setText(f"{local_datetime(at)}.{at.microsecond // 1000:03d}  {state}")
        if not self.time_edit.hasFocus():
            self.time_edit.setDateTime(QDateTime.fromMSecsSinceEpoch(int(at.timestamp() * 1000)))

    def _on_refresh_tick(self) -> None:
        if self.isVisible():
            self.reload()
