"""Where the wall's players come from, and where they go when a tile is done with them.

``PlayerSource`` makes players from the video settings: the backend (auto | vlc | av), network caching with
per-camera overrides, and libvlc native-window embedding when that is switched on and possible. It is also
a plain ``PlayerFactory`` (``source(url, target_size)``), so anything that takes one takes it. Given the data
directory, it gives each player of a camera with a ``credential_ref`` the lookup of that camera's login
(``media.stream_login``): the player looks it up on its own thread when it connects, never the GUI thread.

Stopping a player joins its decoder thread (up to about a second on a dead network), so tiles never stop
players on the GUI thread: ``retire`` stops them on a short-lived thread of their own, which also keeps
database work on the global pool from queueing behind sixteen dying streams.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtGui import QGuiApplication

from c4desk.config import VideoSettings
from c4desk.media.backend import backend_for, create_player
from c4desk.media.player import VideoPlayer
from c4desk.media.stream_login import camera_login_lookup

__all__ = ["PlayerFactory", "PlayerSource", "embedding_supported", "retire", "stop_now"]

log = logging.getLogger(__name__)

PlayerFactory = Callable[[str, tuple[int, int] | None], VideoPlayer]

# Platforms where libvlc can draw into a window we give it (not offscreen/minimal, not Wayland).
_EMBEDDING_PLATFORMS = frozenset({"xcb", "windows", "cocoa"})


def embedding_supported() -> bool:
    # Before the application exists platformName() answers the build's default ("xcb"), not the real one.
    return QGuiApplication.instance() is not None and QGuiApplication.platformName() in _EMBEDDING_PLATFORMS


class PlayerSource:
    """Makes players for the wall from ``VideoSettings``; camera logins from the keyring of ``data_dir`` (without
    one, cameras are played without a login)."""

    def __init__(self, video: VideoSettings | None = None, *, data_dir: Path | None = None) -> None:
        self.video = video or VideoSettings()
        self.data_dir = data_dir

    def __call__(self, url: str, target_size: tuple[int, int] | None, camera_id: str = "",
                 native_window: int | None = None, *, credential_ref: str = "") -> VideoPlayer:
        player = create_player(url, self.video.backend, network_caching_ms=self.video.caching_for(camera_id),
                               target_size=target_size, login=camera_login_lookup(self.data_dir, credential_ref))
        if native_window is not None:
            set_window = getattr(player, "set_native_window", None)
            if set_window is None:
                raise RuntimeError(f"{player.backend_name} player cannot draw into a window")
            set_window(native_window)
        return player

    def can_embed(self, url: str) -> bool:
        """Whether an on-screen tile playing ``url`` should let libvlc draw into a native window."""
        return (self.video.native_windows and embedding_supported()
                and backend_for(url, self.video.backend) == "vlc")


def retire(player: VideoPlayer | None) -> None:
    """Stop ``player`` off the GUI thread (fire and forget).

    A plain daemon thread, not the QThreadPool helper: nothing here touches Qt or emits a signal, and
    runnables handed to a QThreadPool from this path were seen to stay referenced by the pool's Python
    wrapper (and with them their players and last pictures: ~0.7 MB per reconnect cycle of four tiles).
    """
    if player is None:
        return

    def stop() -> None:
        try:
            player.stop()
        except Exception:
            log.warning("stopping %r failed", player, exc_info=True)  # repr redacts the URL

    threading.Thread(target=stop, name="player-retire", daemon=True).start()


def stop_now(players: Iterable[VideoPlayer | None]) -> None:
    """Stop players in parallel and wait for all of them (closing a window, quitting)."""
    threads = [threading.Thread(target=p.stop, name="player-stop", daemon=True) for p in players if p is not None]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3.0)
