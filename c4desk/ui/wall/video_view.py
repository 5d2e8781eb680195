"""One live video tile: the newest decoded picture with the camera's name, a clock and its state.

Players decode on their own threads into pictures of the tile's size. One GUI-thread pump (a single timer
for every tile) takes each tile's newest picture and repaints the tile only when there is a new one; the
picture's bytes are wrapped in a QImage without a copy and drawn 1:1. The caption bar is drawn once per
second into a cached pixmap.

The same pump is the tiles' watchdog (on the GUI thread, never inside a player callback): a player that
ended, failed, stopped delivering pictures or never delivered one is retired and a new one started, after
0.25 s, then twice as long each time up to 5 s, for ever. A tile never shows a frozen picture as if it were
live: a picture older than a second is greyed and the state says why (``stalled``, ``reconnecting``,
``offline`` with the reason, also on hover).

Changing what a tile plays without a black gap: the new player (the camera's other stream, or the next
camera of a cycle) starts beside the old one, and the old one is retired only when the new one has its first
picture. A tile that is off screen (hidden tab, minimised window, another tile maximised) stops decoding
after a short grace and starts again when shown.

The tile is one widget built from parts, each in its own module: ``tile_feeds`` (players, stream and camera
switching, the watchdog's reconnect back-off), ``tile_painting`` (picture, caption bar, state text),
``tile_input`` (mouse, keyboard, drops), ``tile_pump`` (the shared timer) and ``tile_state`` (what they share).
This module is the tile's public face: its signals, its state, what callers ask of it, and pausing off screen
(``PAUSE_GRACE_S`` is here; the watchdog's timings are in ``tile_feeds``, the pump's in ``tile_pump``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QHideEvent, QImage, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.layouts import StreamChoice
from c4desk.media.player import Frame, VideoPlayer
from c4desk.media.stream_login import redact_text
from c4desk.ui.wall.players import PlayerFactory, stop_now
from c4desk.ui.wall.tile_feeds import RECONNECT_FIRST_S, TileFeeds, check_stream_url
from c4desk.ui.wall.tile_input import TileInput
from c4desk.ui.wall.tile_painting import TilePainting, clock_text
from c4desk.ui.wall.tile_pump import pump
from c4desk.ui.wall.tile_state import HEADER_H, Feed, SourceOverride, TileStatus

__all__ = ["HEADER_H", "PlayerFactory", "SourceOverride", "TileStatus", "VideoView", "check_stream_url"]

PAUSE_GRACE_S = 2.0  # off screen this long before decoding stops (quick tab flips keep playing)


class VideoView(TileInput, TilePainting, TileFeeds, QWidget):
    """A tile. Click selects; double-click or Enter asks to maximise; Delete asks to clear."""

    selected = Signal()
    activated = Signal()
    status_changed = Signal(str, str)  # status, reason
    clear_requested = Signal()
    escape_pressed = Signal()
    context_requested = Signal(QPoint)  # global position
    drag_requested = Signal()  # the mouse dragged this tile; the grid starts the drag
    cameras_dropped = Signal(list)  # camera ids dropped from a camera list
    tile_dropped = Signal(str, int)  # grid uid, tile index of a tile dropped here
    frame_shown = Signal(object)  # Frame: a new picture is about to be painted
    # In-tile PTZ: Ctrl+click centres on that point of the picture (x, y, picture width, height); Ctrl+wheel zooms.
    ptz_center_requested = Signal(int, int, int, int)
    ptz_zoom_requested = Signal(int)

    def __init__(self, player_factory: PlayerFactory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = player_factory
        self._camera: Camera | None = None
        self._feed: Feed | None = None
        self._next: Feed | None = None
        self._frame: Frame | None = None
        self._image: QImage | None = None
        self._status = TileStatus.IDLE
        self._reason = ""
        self._retry_at: float | None = None
        self._backoff = RECONNECT_FIRST_S
        self._paused = False
        self._hidden_since: float | None = None
        self._maximised = False
        self._want: StreamChoice | None = None
        self._want_since = 0.0
        self._switch_blocked_until = 0.0
        self._is_selected = False
        self._drop_hover = False
        self._press: QPoint | None = None
        self._header_key: tuple[object, ...] | None = None
        self._header: QPixmap | None = None
        self._place_key: tuple[object, ...] | None = None
        self._place: tuple[QRect, bool, bool] = (QRect(), False, True)
        self._clock_text = ""
        self._surface: QWidget | None = None  # native window libvlc draws into, when embedding
        self.grid_uid = ""  # the grid this tile belongs to (a tile dropped from the same grid swaps)
        # Playback (ui.wall.playback_clock): players come from here instead of the camera's stream, and the
        # caption shows the recording's time instead of the wall clock.
        self.source_override: SourceOverride | None = None
        self.header_clock: Callable[[], str] | None = None
        self.frames_shown = 0
        self.first_frame_s: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(96, 54)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAcceptDrops(True)
        self.setToolTip(self._tooltip())

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

    @property
    def stream(self) -> str:
        """Which of the camera's streams is on screen: "main", "sub" or "" (none)."""
        return self._feed.stream if self._feed is not None else ""

    @property
    def switching(self) -> bool:
        """A new stream or camera is connecting beside the one on screen."""
        return self._next is not None

    @property
    def maximised(self) -> bool:
        return self._maximised

    @property
    def player(self) -> VideoPlayer | None:
        return self._feed.player if self._feed is not None else None

    def set_camera(self, camera: Camera | None, *, seamless: bool = False) -> None:
        """Show ``camera`` (None empties the tile). ``seamless``: keep the current picture until the new
        camera's first one arrives (camera cycles)."""
        current = self._camera
        if camera is not None and current is not None and camera.id == current.id:
            streams = (camera.stream_main, camera.stream_sub, camera.credential_ref)
            if streams == (current.stream_main, current.stream_sub, current.credential_ref):
                self._camera = camera  # name or position changed: nothing to reconnect
                self._refresh_texts()
                return
        elif seamless and camera is not None and self._feed is not None and self._status == TileStatus.LIVE:
            self._drop_next()
            feed, _reason, _retry = self._start_feed(camera, self._desired_stream(camera), time.monotonic())
            if feed is not None:
                self._next = feed
                return
        self._release_players()
        self._camera = camera
        self._frame = None
        self._image = None
        self._backoff = RECONNECT_FIRST_S
        self._retry_at = None
        self._paused = False
        self._want = None
        self._switch_blocked_until = 0.0
        if camera is None:
            self._set_status(TileStatus.IDLE, "")
            pump().remove(self)
        else:
            pump().add(self)
            if self._on_screen():
                self._connect(time.monotonic())
            else:
                self._pause()
        self._refresh_texts()

    def set_selected(self, selected: bool) -> None:
        if selected != self._is_selected:
            self._is_selected = selected
            self.update()

    def set_source_override(self, source: SourceOverride | None) -> None:
        """Play the camera from ``source`` (recorded video) instead of its stream, or live again (None).
        The picture on screen stays (greyed) until the new player's first one."""
        if source is self.source_override:
            return
        self.source_override = source
        if self._camera is not None and not self._paused:
            self._release_players()
            self._backoff = RECONNECT_FIRST_S
            self._connect(time.monotonic(), resuming=True)
        self._header_key = None

    def set_maximised(self, maximised: bool) -> None:
        """The grid shows this tile over the whole view (or no longer): pick the stream for it now."""
        if maximised != self._maximised:
            self._maximised = maximised
            self._want = None
            self._switch_blocked_until = 0.0
            self._check_stream(time.monotonic(), settle=False)

    def close_player(self) -> None:
        """Stop decoding now (waits for the players; for closing windows)."""
        stop_now(self.take_players())

    def take_players(self) -> list[VideoPlayer]:
        """Detach this tile's players for the caller to stop; the tile stops watching (closing windows)."""
        players = [f.player for f in (self._feed, self._next) if f is not None]
        self._feed = self._next = None
        self._retry_at = None
        pump().remove(self)
        return players

    def snapshot_image(self) -> tuple[QImage, float] | None:
        """A copy of the picture on screen and when it was received (time.monotonic()), or None."""
        if self._surface is not None and self._surface.isVisible():
            screen = self._surface.screen()
            shot = screen.grabWindow(int(self._surface.winId())).toImage() if screen else QImage()
            return (shot, time.monotonic()) if not shot.isNull() else None
        if self._image is None or self._frame is None or self._status != TileStatus.LIVE:
            return None
        return self._image.copy(), self._frame.received_monotonic

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # -- visibility ---------------------------------------------------------------------------------
    def _pause(self) -> None:
        nxt = self._next
        if nxt is not None and self._camera is not None and nxt.camera.id != self._camera.id:
            # A camera change (cycle) was still connecting: it is the camera to show when back on screen.
            self._camera, self._frame, self._image = nxt.camera, None, None
            self._refresh_texts()
        self._release_players()
        self._paused = True
        self._retry_at = None
        self._set_status(TileStatus.PAUSED, "not on screen")

    def _resume(self, now: float) -> None:
        self._paused = False
        self._backoff = RECONNECT_FIRST_S
        self._connect(now, resuming=True)

    def _on_screen(self) -> bool:
        return self.isVisible() and not self.window().isMinimized()

    def _housekeep(self, now: float) -> None:
        """Every HOUSEKEEP_S: visibility, the watchdog, stream choice, the clock of still tiles."""
        if self._camera is None:
            return
        if not self._on_screen():
            if self._hidden_since is None:
                self._hidden_since = now
            elif not self._paused and now - self._hidden_since >= PAUSE_GRACE_S:
                self._pause()
            return
        self._hidden_since = None
        if self._paused:
            self._resume(now)
            return
        self._watch(now)
        self._check_stream(now, settle=True)
        if self._status != TileStatus.LIVE and self._clock_text != clock_text():
            self.update()

    # -- state ----------------------------------------------------------------------------------------
    def _set_status(self, status: str, reason: str) -> None:
        reason = redact_text(reason)  # shown on the tile, in its tooltip and to status listeners: never a password
        if (status, reason) != (self._status, self._reason):
            self._status, self._reason = status, reason
            if self._surface is not None and status != TileStatus.LIVE:
                self._surface.hide()
            self.setToolTip(self._tooltip())
            self.update()
            self.status_changed.emit(status, reason)

    def _refresh_texts(self) -> None:
        self.setToolTip(self._tooltip())
        self._header_key = None
        self.update()

    def _tooltip(self) -> str:
        if self._camera is None:
            return "Empty tile: drag a camera here, or double-click one in the camera list"
        text = f"{self._camera.name} ({self._camera.id}) - {self._status}"
        if self._feed is not None:
            text += f", {self._feed.stream} stream"
        return f"{text}\n{self._reason}" if self._reason else text

    # -- Qt events ------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for feed in (self._feed, self._next):
            if feed is not None:
                self._apply_box(feed)
        self._place_surface()
        self._header_key = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._camera is not None and self._paused and self._on_screen():
            self._hidden_since = None
            self._resume(time.monotonic())

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self._camera is not None and self._hidden_since is None:
            self._hidden_since = time.monotonic()
