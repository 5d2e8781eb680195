"""What the parts of a video tile share: its states, the caption bar's height, a running player, and the tile's
attributes as the parts see them.

``VideoView`` is built from parts that each live in their own module (``tile_feeds``: players, switching and the
watchdog; ``tile_painting``: the picture and the caption; ``tile_input``: mouse, keyboard and drops). They work on
one widget's state, which ``VideoView.__init__`` sets up. ``TileHost`` spells that state out for the type checker
only: at run time it is ``object``, so the parts are plain mixins and the widget, its signals and its attributes
are exactly those of ``VideoView``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from c4desk.domain.camera import Camera
from c4desk.domain.layouts import StreamChoice
from c4desk.media.player import Frame, VideoPlayer

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint, QRect, Signal
    from PySide6.QtGui import QImage, QPixmap
    from PySide6.QtWidgets import QWidget

    from c4desk.ui.wall.players import PlayerFactory

__all__ = ["HEADER_H", "Feed", "SourceOverride", "TileHost", "TileStatus"]

# Makes the player of a tile that does not play its camera's stream (playback): (camera, decode box) -> player.
SourceOverride = Callable[[Camera, tuple[int, int] | None], VideoPlayer]

HEADER_H = 20  # the caption bar over the top of the picture


class TileStatus:
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    PAUSED = "paused"


@dataclass
class Feed:
    """One running player of a tile."""

    player: VideoPlayer
    camera: Camera
    stream: StreamChoice
    url: str
    started: float
    native: bool = False
    box: tuple[int, int] | None = None  # the size the player was asked for (None: the stream's own)
    last_frame_at: float | None = None


if TYPE_CHECKING:

    class TileHost(QWidget):
        """The tile as its parts see it (set up in ``VideoView.__init__``; see the module docstring)."""

        status_changed: ClassVar[Signal]
        selected: ClassVar[Signal]
        activated: ClassVar[Signal]
        clear_requested: ClassVar[Signal]
        escape_pressed: ClassVar[Signal]
        context_requested: ClassVar[Signal]
        drag_requested: ClassVar[Signal]
        cameras_dropped: ClassVar[Signal]
        tile_dropped: ClassVar[Signal]
        frame_shown: ClassVar[Signal]
        ptz_center_requested: ClassVar[Signal]
        ptz_zoom_requested: ClassVar[Signal]

        _factory: PlayerFactory
        _camera: Camera | None
        _feed: Feed | None
        _next: Feed | None
        _frame: Frame | None
        _image: QImage | None
        _status: str
        _reason: str
        _retry_at: float | None
        _backoff: float
        _paused: bool
        _maximised: bool
        _want: StreamChoice | None
        _want_since: float
        _switch_blocked_until: float
        _is_selected: bool
        _drop_hover: bool
        _press: QPoint | None
        _header_key: tuple[object, ...] | None
        _header: QPixmap | None
        _place_key: tuple[object, ...] | None
        _place: tuple[QRect, bool, bool]
        _clock_text: str
        _surface: QWidget | None
        grid_uid: str
        source_override: SourceOverride | None
        header_clock: Callable[[], str] | None
        frames_shown: int
        first_frame_s: float | None

        def set_camera(self, camera: Camera | None, *, seamless: bool = False) -> None: ...
        def _set_status(self, status: str, reason: str) -> None: ...
        def _refresh_texts(self) -> None: ...
        def _placement(self, image: QImage, area: QRect) -> tuple[QRect, bool, bool]: ...

else:
    TileHost = object
