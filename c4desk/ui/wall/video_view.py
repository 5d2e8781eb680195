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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from c4desk.domain.camera import STREAM_SCHEMES, Camera, CameraKind
from c4desk.domain.layouts import SNAP_TOLERANCE, StreamChoice, choose_stream, decode_size
from c4desk.media.player import Frame, PlayerState, VideoPlayer
from c4desk.ui import theme
from c4desk.ui.wall.mime import CAMERA_MIME, TILE_MIME, camera_ids, tile_source
from c4desk.ui.wall.players import PlayerFactory, PlayerSource, retire, stop_now

__all__ = ["PlayerFactory", "SourceOverride", "TileStatus", "VideoView", "check_stream_url"]

log = logging.getLogger(__name__)

# Makes the player of a tile that does not play its camera's stream (playback): (camera, decode box) -> player.
SourceOverride = Callable[[Camera, tuple[int, int] | None], VideoPlayer]

POLL_MS = 15  # how often the pump takes new pictures (faster than any camera's frame interval)
HOUSEKEEP_S = 0.25  # watchdog, visibility and stream checks
STALE_AFTER_S = 1.0  # no new picture for this long: greyed, "stalled"
STALL_RECONNECT_S = 3.0  # ... for this long: reconnect
CONNECT_TIMEOUT_S = 12.0  # a player without any picture after this long is replaced
RECONNECT_FIRST_S = 0.25
RECONNECT_MAX_S = 5.0
PAUSE_GRACE_S = 2.0  # off screen this long before decoding stops (quick tab flips keep playing)
STREAM_SETTLE_S = 0.4  # a new stream choice must hold this long (resizing) before it is acted on
SWITCH_RETRY_S = 30.0  # after a failed stream switch, stay on the working stream this long
HEADER_H = 20
_GREY = QColor(20, 20, 20, 170)


class TileStatus:
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    PAUSED = "paused"


def check_stream_url(url: str) -> str | None:
    """Why ``url`` cannot be a camera stream (for the tile to say so), or None when it looks playable."""
    if any(c.isspace() for c in url):
        return "malformed URL: contains white space"
    if "://" not in url:
        return "malformed URL: no scheme (rtsp://, http://, ...)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in STREAM_SCHEMES:
        return f"malformed URL: unsupported scheme {scheme!r}"
    if scheme != "file" and not parts.hostname:
        return "malformed URL: no host"
    return None


# Streams' own picture sizes learnt from their pictures (url -> width, height), shared by every tile: they
# decide the sub/main choice and the size tiles ask their decoders for (domain.layouts.decode_size).
_native_sizes: dict[str, tuple[int, int]] = {}


@dataclass
class _Feed:
    """One running player of a tile."""

    player: VideoPlayer
    camera: Camera
    stream: StreamChoice
    url: str
    started: float
    native: bool = False
    box: tuple[int, int] | None = None  # the size the player was asked for (None: the stream's own)
    last_frame_at: float | None = None


class _Pump(QObject):
    """The one GUI-thread timer behind every tile: pictures every tick, the watchdog every HOUSEKEEP_S."""

    def __init__(self) -> None:
        super().__init__()
        self._tiles: list[VideoView] = []
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._next_housekeep = 0.0

    def add(self, tile: VideoView) -> None:
        if tile not in self._tiles:
            self._tiles.append(tile)
        if not self._timer.isActive():
            self._timer.start()

    def remove(self, tile: VideoView) -> None:
        if tile in self._tiles:
            self._tiles.remove(tile)
        if not self._tiles:
            self._timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        housekeep = now >= self._next_housekeep
        if housekeep:
            self._next_housekeep = now + HOUSEKEEP_S
        for tile in tuple(self._tiles):
            try:
                if not shiboken6.isValid(tile):
                    self._tiles.remove(tile)
                    tile._release_players()  # the widget is gone; its players must not live on
                    continue
                tile._poll(now)
                if housekeep:
                    tile._housekeep(now)
            except Exception:  # the watchdog must outlive any one tile's trouble
                log.exception("video tile poll failed")
        if not self._tiles:
            self._timer.stop()


_the_pump: _Pump | None = None


def _pump() -> _Pump:
    global _the_pump
    if _the_pump is None:
        _the_pump = _Pump()
    return _the_pump


class VideoView(QWidget):
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
        self._feed: _Feed | None = None
        self._next: _Feed | None = None
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
            if (camera.stream_main, camera.stream_sub) == (current.stream_main, current.stream_sub):
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
            _pump().remove(self)
        else:
            _pump().add(self)
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
        _pump().remove(self)
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

    # -- players --------------------------------------------------------------------------------------
    def _target_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(2, int(self.width() * ratio)) & ~1, max(2, int(self.height() * ratio)) & ~1

    def _urls(self, camera: Camera) -> dict[StreamChoice, str]:
        main = camera.stream_main or camera.stream_sub
        sub = camera.stream_sub or camera.stream_main
        return {"main": main, "sub": sub}

    def _desired_stream(self, camera: Camera) -> StreamChoice:
        urls = self._urls(camera)
        if self.source_override is not None:
            return "main"  # a recording has one stream
        if urls["main"] == urls["sub"]:
            return "main"
        width = getattr(getattr(self._factory, "video", None), "sub_stream_max_width", None)
        extra = {"sub_max_width": width} if isinstance(width, int) else {}
        return choose_stream(self._target_size(), maximised=self._maximised, has_main=bool(camera.stream_main),
                             has_sub=bool(camera.stream_sub), sub_size=_native_sizes.get(urls["sub"]), **extra)

    def _start_feed(self, camera: Camera, stream: StreamChoice, now: float) -> tuple[_Feed | None, str, bool]:
        """A started player for ``camera``'s ``stream``, or (None, why not, whether retrying can help)."""
        if self.source_override is not None:
            url = f"playback:{camera.id}"
            box = decode_size(self._target_size(), _native_sizes.get(url))
            try:
                player = self.source_override(camera, box)
                player.start()
            except Exception as exc:
                log.warning("cannot start playback for %s: %s", camera.id, exc)
                return None, f"cannot play recording: {exc}", True
            return _Feed(player, camera, stream, url, now, False, box), "", False
        url = self._urls(camera)[stream]
        if not url:
            return None, "camera has no stream URL", False
        problem = check_stream_url(url)
        if problem:
            return None, problem, False
        native = isinstance(self._factory, PlayerSource) and self._factory.can_embed(url)
        box = None if native else decode_size(self._target_size(), _native_sizes.get(url))
        try:
            if isinstance(self._factory, PlayerSource):
                window = self._native_surface() if native else None
                player = self._factory(url, box, camera.id, window)
            else:
                player = self._factory(url, box)
            player.start()
        except Exception as exc:  # a bad URL or a broken backend must never take the wall down
            log.warning("cannot start player for %s: %s", camera.id, exc)
            return None, f"cannot play stream: {exc}", True
        return _Feed(player, camera, stream, url, now, native, box), "", False

    def _connect(self, now: float, *, resuming: bool = False) -> None:
        assert self._camera is not None
        self._retry_at = None
        feed, reason, retry = self._start_feed(self._camera, self._desired_stream(self._camera), now)
        if feed is None:
            self._set_status(TileStatus.RECONNECTING if self._image is not None and retry else TileStatus.OFFLINE,
                             reason)
            if retry:
                self._retry_later(now)
            return
        self._feed = feed
        if resuming or self._status not in (TileStatus.OFFLINE, TileStatus.RECONNECTING):
            self._set_status(TileStatus.CONNECTING, "")
        # else: a retry; the tile keeps saying what went wrong until a picture arrives

    def _retry_later(self, now: float) -> None:
        self._retry_at = now + self._backoff
        self._backoff = min(RECONNECT_MAX_S, self._backoff * 2)

    def _fail(self, reason: str, now: float) -> None:
        self._release_players()
        self._set_status(TileStatus.RECONNECTING if self._image is not None else TileStatus.OFFLINE, reason)
        self._retry_later(now)
        self.update()

    def _drop_next(self) -> None:
        if self._next is not None:
            retire(self._next.player)
            self._next = None

    def _release_players(self) -> None:
        for feed in (self._feed, self._next):
            if feed is not None:
                retire(feed.player)
        self._feed = self._next = None

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

    # -- the pump -------------------------------------------------------------------------------------
    def _poll(self, now: float) -> None:
        """Every tick: take a new picture if there is one; finish a switch whose new player has one."""
        nxt = self._next
        if nxt is not None and nxt.player.latest_frame() is not None:
            self._finish_switch(nxt)
        feed = self._feed
        if feed is None or feed.native:
            return
        frame = feed.player.latest_frame()
        if frame is None or frame is self._frame:
            return
        self._frame = frame
        # Wraps the player's buffer without copying; the Frame object keeps the bytes alive.
        image = QImage(frame.data, frame.width, frame.height, frame.stride, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self._image = image
        if feed.last_frame_at is None and self.first_frame_s is None:
            self.first_frame_s = now - feed.started
        feed.last_frame_at = now
        self._learn_size(feed, frame)
        self.frames_shown += 1
        if self._status != TileStatus.LIVE:
            self._backoff = RECONNECT_FIRST_S
            self._set_status(TileStatus.LIVE, "")
        self.frame_shown.emit(frame)
        self.update()

    def _finish_switch(self, nxt: _Feed) -> None:
        old, self._feed, self._next = self._feed, nxt, None
        if old is not None:
            retire(old.player)
        if self._camera is None or nxt.camera.id != self._camera.id:
            self._camera = nxt.camera
            self._refresh_texts()
            self.status_changed.emit(self._status, self._reason)  # listeners learn which camera is live now

    def _learn_size(self, feed: _Feed, frame: Frame) -> None:
        """A picture not scaled down (asked for none, or smaller than asked) shows the stream's own size;
        once known, the player is asked for the cheapest size to show (see decode_size)."""
        box = feed.box
        if box is not None and (frame.width >= box[0] - 2 or frame.height >= box[1] - 2):
            return  # scaled to fit: its own size is not known from this picture
        size = (frame.width, frame.height)
        if _native_sizes.get(feed.url) != size:
            _native_sizes[feed.url] = size
        self._apply_box(feed)

    def _apply_box(self, feed: _Feed) -> None:
        native = _native_sizes.get(feed.url)
        if feed.native or native is None:
            return
        box = decode_size(self._target_size(), native)
        if box != feed.box:
            feed.box = box
            if box is None:
                feed.player.set_target_size(None)
            else:
                feed.player.set_target_size(*box)

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
        if self._status != TileStatus.LIVE and self._clock_text != _clock():
            self.update()

    def _watch(self, now: float) -> None:
        nxt = self._next
        if nxt is not None:
            failed = nxt.player.state in (PlayerState.ERROR, PlayerState.ENDED, PlayerState.STOPPED)
            if failed or now - nxt.started > CONNECT_TIMEOUT_S:
                self._drop_next()
                if self._camera is not None and nxt.camera.id != self._camera.id:
                    self.set_camera(nxt.camera)  # the seamless change failed: change for real, say why
                    return
                self._switch_blocked_until = now + SWITCH_RETRY_S
        feed = self._feed
        if feed is None:
            if self._retry_at is not None and now >= self._retry_at:
                self._connect(now)
            return
        state = feed.player.state
        if state in (PlayerState.ERROR, PlayerState.ENDED, PlayerState.STOPPED):
            self._fail(feed.player.error or state.value, now)
        elif feed.native:
            if state in (PlayerState.LIVE, PlayerState.STALLED) and self._status != TileStatus.LIVE:
                self._set_status(TileStatus.LIVE, "")
                if self._surface is not None:
                    self._surface.show()
            elif state is PlayerState.CONNECTING and now - feed.started > CONNECT_TIMEOUT_S:
                self._fail(f"no picture after {CONNECT_TIMEOUT_S:.0f} s", now)
        elif getattr(feed.player, "holds_still", False):
            pass  # a paused recording (or a gap in it) shows no new pictures and is not stalled
        elif feed.last_frame_at is None:
            if now - feed.started > CONNECT_TIMEOUT_S:
                self._fail(f"no picture after {CONNECT_TIMEOUT_S:.0f} s", now)
        else:
            age = now - feed.last_frame_at
            if age > STALL_RECONNECT_S:
                self._fail(f"no new pictures for {age:.0f} s", now)
            elif age > STALE_AFTER_S and self._status == TileStatus.LIVE:
                self._set_status(TileStatus.STALLED, "no new pictures")

    def _check_stream(self, now: float, *, settle: bool) -> None:
        feed, camera = self._feed, self._camera
        if feed is None or camera is None or self._next is not None or feed.native or self._paused:
            return
        want = self._desired_stream(camera)
        if want == feed.stream or now < self._switch_blocked_until:
            self._want = None
            return
        if want != self._want:
            self._want, self._want_since = want, now
            if settle:
                return
        if not settle or now - self._want_since >= STREAM_SETTLE_S:
            self._want = None
            self._next, reason, _retry = self._start_feed(camera, want, now)
            if self._next is None:
                log.info("%s: staying on the %s stream: %s", camera.id, feed.stream, reason)
                self._switch_blocked_until = now + SWITCH_RETRY_S

    # -- native windows (libvlc draws into them) ------------------------------------------------------
    def _native_surface(self) -> int:
        if self._surface is None:
            surface = QWidget(self)
            surface.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
            surface.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
            surface.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
            surface.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            surface.setStyleSheet("background: black;")
            self._surface = surface
            self._place_surface()
            surface.hide()
        return int(self._surface.winId())

    def _place_surface(self) -> None:
        if self._surface is not None:
            self._surface.setGeometry(0, HEADER_H, self.width(), max(1, self.height() - HEADER_H))

    # -- state ----------------------------------------------------------------------------------------
    def _set_status(self, status: str, reason: str) -> None:
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

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        self.selected.emit()
        if (event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ControlModifier
                and self._ptz_click(event.position().toPoint())):
            return
        self._press = event.position().toPoint() if event.button() == Qt.MouseButton.LeftButton else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (self._press is not None and self._camera is not None and event.buttons() & Qt.MouseButton.LeftButton
                and (event.position().toPoint() - self._press).manhattanLength()
                >= QApplication.startDragDistance()):
            self._press = None
            self.drag_requested.emit()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.activated.emit()
        super().mouseDoubleClickEvent(event)

    def _ptz_click(self, pos: QPoint) -> bool:
        """Ctrl+click on a PTZ camera's picture: ask to centre there, in the picture's own pixel grid."""
        if self._camera is None or self._camera.kind is not CameraKind.PTZ or self._image is None:
            return False
        target, _, _ = self._placement(self._image, self.rect())
        if not target.contains(pos) or target.width() < 2 or target.height() < 2:
            return False
        self.ptz_center_requested.emit(pos.x() - target.x(), pos.y() - target.y(), target.width(), target.height())
        return True

    def wheelEvent(self, event: QWheelEvent) -> None:
        if (self._camera is not None and self._camera.kind is CameraKind.PTZ
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            steps = event.angleDelta().y() // 120
            if steps:
                self.ptz_zoom_requested.emit(steps)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear_requested.emit()
        elif key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.selected.emit()
        self.context_requested.emit(event.globalPos())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(TILE_MIME) or mime.hasFormat(CAMERA_MIME):
            event.acceptProposedAction()
            self._drop_hover = True
            self.update()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_hover = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hover = False
        self.update()
        mime = event.mimeData()
        source = tile_source(mime)
        ids = camera_ids(mime)
        if (source is None or source[0] != self.grid_uid) and not ids:
            event.ignore()
            return
        event.acceptProposedAction()
        if source is not None and source[0] == self.grid_uid:
            self.tile_dropped.emit(*source)
        else:
            self.cameras_dropped.emit(ids)

    # -- painting -------------------------------------------------------------------------------------
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
            target = _fit(size, area)
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
        self._clock_text = self.header_clock() if self.header_clock is not None else _clock()
        feed = self._feed
        stream = feed.stream if feed is not None and self._next is None else ""
        key = (self.width(), self._clock_text, self._status, stream, self._camera)
        if key != self._header_key or self._header is None:
            self._header_key = key
            name = self._camera.name if self._camera else "empty"
            self._header = _draw_header(self.width(), self.devicePixelRatioF(), self.font(), name,
                                        self._clock_text, self._status, stream)
        return self._header


_clock_cache: tuple[int, str] = (-1, "")


def _clock() -> str:
    """The tiles' clock text (local time, to the second), formatted once per second for all of them."""
    global _clock_cache
    second = int(time.time())
    if second != _clock_cache[0]:
        _clock_cache = (second, datetime.fromtimestamp(second, UTC).astimezone().strftime("%H:%M:%S"))
    return _clock_cache[1]


def _draw_header(width: int, ratio: float, base: QFont, name: str, clock: str, status: str,
                 stream: str) -> QPixmap:
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


def _fit(image: QSize, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in ``area`` (letterbox)."""
    if image.isEmpty():
        return area
    scaled = image.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    x = area.x() + (area.width() - scaled.width()) // 2
    y = area.y() + (area.height() - scaled.height()) // 2
    return QRect(x, y, scaled.width(), scaled.height())
