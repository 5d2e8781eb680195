"""A video tile's players: starting them, switching streams and cameras without a gap, and the watchdog.

Part of ``VideoView`` (see ``tile_state``), kept apart from the widget's public face and its painting because
this is where a tile's timing lives. A player that ended, failed, stopped delivering pictures or never
delivered one is retired and a new one started after 0.25 s, then twice as long each time up to 5 s, for ever.
A tile plays its camera's sub or main stream (``domain.layouts.choose_stream``) and asks decoders for the
cheapest size to show (``decode_size``); a new stream or camera starts beside the one on screen and takes over
at its first picture. Everything here runs on the GUI thread, from the pump (``tile_pump``).

A camera that needs a login (``credential_ref``) gets it from the player source (``PlayerSource``), whose players
look it up on their own threads; the tile only ever holds, logs and shows the plain URL, and every text it shows
or logs about a failure is redacted (``media.stream_login.redact_text``) in case a URL with a password got in.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from c4desk.domain.camera import STREAM_SCHEMES, Camera
from c4desk.domain.layouts import StreamChoice, choose_stream, decode_size
from c4desk.media.player import Frame, PlayerState
from c4desk.media.stream_login import redact_text
from c4desk.ui.wall.players import PlayerSource, retire
from c4desk.ui.wall.tile_state import HEADER_H, Feed, TileHost, TileStatus

__all__ = [
    "CONNECT_TIMEOUT_S",
    "LOGIN_REFUSED_RETRY_S",
    "RECONNECT_FIRST_S",
    "RECONNECT_MAX_S",
    "STALE_AFTER_S",
    "STALL_RECONNECT_S",
    "STREAM_SETTLE_S",
    "SWITCH_RETRY_S",
    "TileFeeds",
    "check_stream_url",
    "native_sizes",
]

log = logging.getLogger(__name__)

STALE_AFTER_S = 1.0  # no new picture for this long: greyed, "stalled"
STALL_RECONNECT_S = 3.0  # ... for this long: reconnect
CONNECT_TIMEOUT_S = 12.0  # a player without any picture after this long is replaced
RECONNECT_FIRST_S = 0.25
RECONNECT_MAX_S = 5.0
# A camera that refused the stored login is asked again this rarely: a wrong password retried every 5 s could trip
# the camera's lockout of that account (one a fixed password would not get out of).
LOGIN_REFUSED_RETRY_S = 60.0
LOGIN_REFUSED = "login refused"  # how media.stream_login.login_refused_reason says so
STREAM_SETTLE_S = 0.4  # a new stream choice must hold this long (resizing) before it is acted on
SWITCH_RETRY_S = 30.0  # after a failed stream switch, stay on the working stream this long


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
        return f"malformed URL: {redact_text(str(exc))}"
    scheme = parts.scheme.lower()
    if scheme not in STREAM_SCHEMES:
        return f"malformed URL: unsupported scheme {scheme!r}"
    if scheme != "file" and not parts.hostname:
        return "malformed URL: no host"
    return None


# Streams' own picture sizes learnt from their pictures (url -> width, height), shared by every tile: they
# decide the sub/main choice and the size tiles ask their decoders for (domain.layouts.decode_size).
native_sizes: dict[str, tuple[int, int]] = {}


class TileFeeds(TileHost):
    """VideoView's players and watchdog (a mixin: the state is the tile's, set up in ``VideoView.__init__``)."""

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
                             has_sub=bool(camera.stream_sub), sub_size=native_sizes.get(urls["sub"]), **extra)

    def _start_feed(self, camera: Camera, stream: StreamChoice, now: float) -> tuple[Feed | None, str, bool]:
        """A started player for ``camera``'s ``stream``, or (None, why not, whether retrying can help)."""
        if self.source_override is not None:
            url = f"playback:{camera.id}"
            box = decode_size(self._target_size(), native_sizes.get(url))
            try:
                player = self.source_override(camera, box)
                player.start()
            except Exception as exc:
                log.warning("cannot start playback for %s: %s", camera.id, redact_text(str(exc)))
                return None, f"cannot play recording: {redact_text(str(exc))}", True
            return Feed(player, camera, stream, url, now, False, box), "", False
        url = self._urls(camera)[stream]
        if not url:
            return None, "camera has no stream URL", False
        problem = check_stream_url(url)
        if problem:
            return None, problem, False
        native = isinstance(self._factory, PlayerSource) and self._factory.can_embed(url)
        box = None if native else decode_size(self._target_size(), native_sizes.get(url))
        try:
            if isinstance(self._factory, PlayerSource):
                window = self._native_surface() if native else None
                player = self._factory(url, box, camera.id, window, credential_ref=camera.credential_ref)
            else:
                player = self._factory(url, box)
            player.start()
        except Exception as exc:  # a bad URL or a broken backend must never take the wall down
            log.warning("cannot start player for %s: %s", camera.id, redact_text(str(exc)))
            return None, f"cannot play stream: {redact_text(str(exc))}", True
        return Feed(player, camera, stream, url, now, native, box), "", False

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
        if LOGIN_REFUSED in reason and self._retry_at is not None:
            self._retry_at = max(self._retry_at, now + LOGIN_REFUSED_RETRY_S)
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

    def _finish_switch(self, nxt: Feed) -> None:
        old, self._feed, self._next = self._feed, nxt, None
        if old is not None:
            retire(old.player)
        if self._camera is None or nxt.camera.id != self._camera.id:
            self._camera = nxt.camera
            self._refresh_texts()
            self.status_changed.emit(self._status, self._reason)  # listeners learn which camera is live now

    def _learn_size(self, feed: Feed, frame: Frame) -> None:
        """A picture not scaled down (asked for none, or smaller than asked) shows the stream's own size;
        once known, the player is asked for the cheapest size to show (see decode_size)."""
        box = feed.box
        if box is not None and (frame.width >= box[0] - 2 or frame.height >= box[1] - 2):
            return  # scaled to fit: its own size is not known from this picture
        size = (frame.width, frame.height)
        if native_sizes.get(feed.url) != size:
            native_sizes[feed.url] = size
        self._apply_box(feed)

    def _apply_box(self, feed: Feed) -> None:
        native = native_sizes.get(feed.url)
        if feed.native or native is None:
            return
        box = decode_size(self._target_size(), native)
        if box != feed.box:
            feed.box = box
            if box is None:
                feed.player.set_target_size(None)
            else:
                feed.player.set_target_size(*box)

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
                log.info("%s: staying on the %s stream: %s", camera.id, feed.stream, redact_text(reason))
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
