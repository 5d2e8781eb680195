"""Playback on the wall: the main timeline every tile of a view follows, and switching a view live <-> playback.

``PlaybackClock`` is the Qt face of a ``media.playback.MediaClock``: the GUI moves it (seek, play, pause, speed,
frame step) and the timeline listens to it; the players read the MediaClock directly on their own threads, so
all tiles on one clock show the same moment without the GUI thread pacing them.

``ViewPlayback`` turns one view (a LiveGrid) into playback and back. Every tile gets a player source that plays
its camera's recording on the view's clock (tiles made later, by a layout change, get one too), a caption clock
showing when the picture was recorded, and a cover that says "no recording" in a gap. One tile can be cut loose
to play on its own clock (``set_independent``); the timeline then drives whichever clock the selected tile
follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QMenu, QWidget

from c4desk.domain.camera import Camera
from c4desk.media.playback import MediaClock, PlaybackPlayer, SegmentSource, check_speed
from c4desk.ui import theme
from c4desk.ui.timefmt import local_time
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.timeline_link import TimelineLink
from c4desk.ui.wall.video_view import HEADER_H, VideoView

__all__ = ["SPEEDS", "PlaybackClock", "ViewPlayback", "WallPlayback", "speed_label"]

log = logging.getLogger(__name__)

TICK_MS = 50  # how often a playing clock tells the timeline where it is
COVER_POLL_MS = 200  # how often tiles' "no recording" covers and captions are brought up to date
LIVE_MARGIN_S = 1.5  # playback never runs ahead of the recorder: it stops this far behind "now"
SPEEDS = (-8.0, -4.0, -2.0, -1.0, -0.5, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
DEFAULT_FRAME_S = 1 / 15


class TimelineLike(Protocol):
    """What WallPlayback drives in a timeline (ui.wall.timeline.TimelineWidget)."""

    live_requested: Any
    playback_requested: Any
    step_requested: Any

    def set_clock(self, clock: PlaybackClock | None) -> None: ...

    def set_mode(self, playback: bool) -> None: ...

    def set_cameras(self, cameras: Sequence[Camera | None]) -> None: ...


def speed_label(speed: float) -> str:
    magnitude = abs(speed)
    text = f"{magnitude:g}x" if magnitude >= 1 else f"1/{round(1 / magnitude)}x"
    return ("-" if speed < 0 else "") + text


class PlaybackClock(QObject):
    """One time cursor (UTC). ``changed``: playing, speed or position jumped; ``position_changed``: where it is
    now (at every jump, and every TICK_MS while playing)."""

    changed = Signal()
    position_changed = Signal(object)  # datetime

    def __init__(self, at: datetime | None = None, parent: QObject | None = None, *,
                 media: MediaClock | None = None) -> None:
        super().__init__(parent)
        self.media = media or MediaClock(at or datetime.now(UTC))
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._on_tick)
        if self.media.playing:
            self._ticker.start()

    # -- reading --------------------------------------------------------------------------------------
    def position(self) -> datetime:
        return self.media.position()

    @property
    def playing(self) -> bool:
        return self.media.playing

    @property
    def speed(self) -> float:
        return self.media.speed

    # -- moving ---------------------------------------------------------------------------------------
    def seek(self, at: datetime) -> None:
        """Jump to ``at`` (never past what can have been recorded by now)."""
        if at.tzinfo is None:
            raise ValueError("at: give an aware (UTC) time")
        limit = datetime.now(UTC) - timedelta(seconds=LIVE_MARGIN_S)
        self.media.seek(min(at, limit))
        self._announce()

    def play(self, speed: float | None = None) -> None:
        self.media.play(speed)
        self._ticker.start()
        self._announce()

    def pause(self) -> None:
        self.media.pause()
        self._ticker.stop()
        self._announce()

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        self.media.set_speed(check_speed(speed))
        self._announce()

    def play_forward(self) -> None:
        self.play(abs(self.speed))

    def play_reverse(self) -> None:
        """Play backwards at the current speed's magnitude."""
        self.play(-abs(self.speed))

    def shift_speed(self, steps: int) -> None:
        """Faster (steps > 0) or slower along SPEEDS, keeping the direction's sign where the list allows."""
        current = self.speed
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - current))
        self.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, index + steps))])

    def step(self, frames: int, reference: PlaybackPlayer | None = None) -> None:
        """Pause and move ``frames`` frames (of ``reference``'s recording, else 1/15 s each)."""
        if self.playing:
            self.pause()
        target = reference.frame_time(frames, self.position()) if reference is not None else None
        if target is None:
            target = self.position() + timedelta(seconds=frames * DEFAULT_FRAME_S)
        self.seek(target)

    def _announce(self) -> None:
        self.changed.emit()
        self.position_changed.emit(self.position())

    def _on_tick(self) -> None:
        at = self.position()
        limit = datetime.now(UTC) - timedelta(seconds=LIVE_MARGIN_S)
        if at > limit + timedelta(seconds=0.25) and self.speed > 0:
            # Caught up with the recorder: carry on at 1x just behind "now" (what is being recorded).
            if self.speed > 1.0:
                self.media.set_speed(1.0)
            self.media.seek(limit)
            self.changed.emit()
            at = limit
        self.position_changed.emit(at)

    def __repr__(self) -> str:
        return f"<PlaybackClock {self.media!r}>"


class _TileSource:
    """A tile's player source in playback: its camera's recording on the view's clock (or its own)."""

    def __init__(self, playback: ViewPlayback) -> None:
        self.playback = playback
        self.own_clock: PlaybackClock | None = None

    @property
    def clock(self) -> PlaybackClock:
        return self.own_clock or self.playback.clock

    def __call__(self, camera: Camera, box: tuple[int, int] | None) -> PlaybackPlayer:
        return PlaybackPlayer(camera.id, self.playback.source, self.clock.media, target_size=box)


class _Cover(QWidget):
    """Over a playback tile's picture: says there is no recording (opaque, so no old picture shows through)."""

    def __init__(self, tile: VideoView) -> None:
        super().__init__(tile)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.text = ""
        self.detail = ""
        self.hide()

    def show_text(self, text: str, detail: str) -> None:
        if (text, detail) != (self.text, self.detail):
            self.text, self.detail = text, detail
            self.update()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(0, HEADER_H, parent.width(), max(1, parent.height() - HEADER_H))
        if text and not self.isVisible():
            self.show()
            self.raise_()
        elif not text and self.isVisible():
            self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BG))
        font = QFont(self.font())
        font.setPointSizeF(11)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.MUTED))
        middle = self.rect().height() // 2
        p.drawText(QRect(0, middle - 22, self.width(), 22), Qt.AlignmentFlag.AlignCenter, self.text.upper())
        font.setBold(False)
        font.setPointSizeF(9)
        p.setFont(font)
        p.drawText(QRect(0, middle + 2, self.width(), 20), Qt.AlignmentFlag.AlignCenter, self.detail)
        p.end()


class ViewPlayback(QObject):
    """Live <-> playback for one view. ``source`` lists recorded segments (a RecordingRepository)."""

    mode_changed = Signal(bool)  # True: the view is in playback
    independent_changed = Signal(object, bool)  # VideoView, playing on its own clock

    def __init__(self, grid: LiveGrid, source: SegmentSource, clock: PlaybackClock | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or grid)
        self.grid = grid
        self.source = source
        self.clock = clock or PlaybackClock(parent=self)
        self._active = False
        self._poll = QTimer(self)
        self._poll.setInterval(COVER_POLL_MS)
        self._poll.timeout.connect(self._refresh_tiles)
        grid.tile_setup = self._setup_tile

    @property
    def active(self) -> bool:
        return self._active

    # -- switching ------------------------------------------------------------------------------------
    def enter(self, at: datetime | None = None, *, play: bool = False, speed: float | None = None) -> None:
        """Show the view's cameras as recorded at ``at`` (default: where the clock is); ``play`` starts it."""
        if at is not None:
            self.clock.seek(at)
        if speed is not None:
            self.clock.set_speed(speed)
        if not self._active:
            self._active = True
            for tile in self.grid.tiles:
                self._setup_tile(tile)
            self._poll.start()
            self.mode_changed.emit(True)
        if play:
            self.clock.play()

    def leave(self) -> None:
        """Back to live video in every tile."""
        if not self._active:
            return
        self._active = False
        self._poll.stop()
        self.clock.pause()
        for tile in self.grid.tiles:
            if not shiboken6.isValid(tile):
                continue
            own = self._source_of(tile)
            if own is not None and own.own_clock is not None:
                own.own_clock.pause()
            tile.header_clock = None
            tile.set_source_override(None)
            cover = tile.findChild(_Cover)
            if cover is not None:
                cover.show_text("", "")
        self.mode_changed.emit(False)

    def toggle(self, at: datetime | None = None) -> None:
        if self._active:
            self.leave()
        else:
            self.enter(at)

    # -- independent tiles ----------------------------------------------------------------------------
    def set_independent(self, tile: VideoView, on: bool) -> PlaybackClock:
        """Let ``tile`` play on its own clock (starting where the main one is), or follow the main one again.
        Returns the clock the tile follows now."""
        source = self._source_of(tile)
        if source is None:
            raise ValueError("the tile is not in playback")
        if on and source.own_clock is None:
            source.own_clock = PlaybackClock(parent=self, media=self.clock.media.copy())
        elif not on and source.own_clock is not None:
            source.own_clock.pause()
            source.own_clock.deleteLater()
            source.own_clock = None
        player = tile.player
        if isinstance(player, PlaybackPlayer):
            player.set_clock(source.clock.media)
        self.independent_changed.emit(tile, on)
        return source.clock

    def is_independent(self, tile: VideoView) -> bool:
        source = self._source_of(tile)
        return source is not None and source.own_clock is not None

    def clock_for(self, tile: VideoView | None) -> PlaybackClock:
        """The clock ``tile`` follows (the main one for None or a tile on the main timeline)."""
        source = self._source_of(tile) if tile is not None else None
        return source.clock if source is not None else self.clock

    def selected_clock(self) -> PlaybackClock:
        return self.clock_for(self.grid.selected_tile)

    def step(self, frames: int) -> None:
        """Frame step on the selected tile's clock, by the selected tile's frames."""
        tile = self.grid.selected_tile
        player = tile.player if tile is not None else None
        if player is None or not isinstance(player, PlaybackPlayer):
            player = next((t.player for t in self.grid.tiles if isinstance(t.player, PlaybackPlayer)), None)
        self.selected_clock().step(frames, player if isinstance(player, PlaybackPlayer) else None)

    def player_of(self, tile: VideoView) -> PlaybackPlayer | None:
        player = tile.player
        return player if isinstance(player, PlaybackPlayer) else None

    # -- tiles ----------------------------------------------------------------------------------------
    def _source_of(self, tile: VideoView) -> _TileSource | None:
        source = tile.source_override
        return source if isinstance(source, _TileSource) and source.playback is self else None

    def _setup_tile(self, tile: VideoView) -> None:
        if not self._active:
            return
        if tile.findChild(_Cover) is None:
            _Cover(tile)
        tile.header_clock = self._caption(tile)
        if self._source_of(tile) is None:
            tile.set_source_override(_TileSource(self))

    def _caption(self, tile: VideoView) -> Callable[[], str]:
        def text() -> str:
            source = self._source_of(tile)
            clock = source.clock if source is not None else self.clock
            player = tile.player
            shown = player.shown_at if isinstance(player, PlaybackPlayer) else None
            mode = speed_label(clock.speed) if clock.playing else "paused"
            own = "own " if source is not None and source.own_clock is not None else ""
            return f"{own}{mode}  {local_time(shown) if shown else '--:--:--'}"
        return text

    def _refresh_tiles(self) -> None:
        for tile in self.grid.tiles:
            if not shiboken6.isValid(tile):
                continue
            cover = tile.findChild(_Cover)
            player = tile.player
            if cover is None or not isinstance(player, PlaybackPlayer):
                continue
            notice = player.notice if tile.camera is not None else ""
            until = player.gap_until
            detail = f"recording resumes at {local_time(until)}" if notice and until else ""
            cover.show_text(notice, detail)
            if notice:
                tile.update()  # the caption's clock


class WallPlayback(QObject):
    """Playback for every view of a seat: a ViewPlayback per grid (made when first needed) and the actions that
    drive the active view (Playback menu, shortcuts). ``active_grid`` says which view the analyst works in."""

    mode_changed = Signal(object, bool)  # LiveGrid, in playback
    message = Signal(str)

    def __init__(self, source: SegmentSource, active_grid: Callable[[], LiveGrid], window: QWidget, *,
                 alert_lead_s: float = 30.0) -> None:
        super().__init__(window)
        self.source = source
        self._active_grid = active_grid
        self._window = window
        self.alert_lead = timedelta(seconds=alert_lead_s)
        self._views: dict[str, ViewPlayback] = {}  # by grid uid
        self._timeline: TimelineLike | None = None
        self._timeline_link: TimelineLink | None = None
        self._home_grid: LiveGrid | None = None  # the view the timeline was first bound to (the main window's)
        self._build_actions()

    # -- views ----------------------------------------------------------------------------------------
    def for_grid(self, grid: LiveGrid) -> ViewPlayback:
        view = self._views.get(grid.uid)
        if view is None or not shiboken6.isValid(view):
            view = self._views[grid.uid] = ViewPlayback(grid, self.source)
            view.mode_changed.connect(lambda on, g=grid: self._on_mode(g, on))
        return view

    def active(self) -> ViewPlayback:
        return self.for_grid(self._active_grid())

    def toggle(self) -> None:
        """Ctrl+P: the active view to playback (``alert_lead`` before now) or back to live."""
        view = self.active()
        if view.active:
            view.leave()
        else:
            view.enter(datetime.now(UTC) - self.alert_lead)

    def play_at(self, at: datetime, grid: LiveGrid | None = None, *, play: bool = True) -> ViewPlayback:
        """Show ``grid`` (default: the active view) as recorded from ``at``."""
        view = self.for_grid(grid) if grid is not None else self.active()
        view.enter(at, play=play)
        return view

    def play_alert(self, detected_at: datetime, grid: LiveGrid | None = None) -> ViewPlayback:
        """The moments before an alert: from its time minus the alert lead, playing at 1x."""
        view = self.play_at(detected_at - self.alert_lead, grid, play=False)
        view.clock.play(1.0)
        self.message.emit(f"Playback from {local_time(detected_at - self.alert_lead)}, "
                          f"{self.alert_lead.total_seconds():.0f} s before the alert")
        return view

    # -- actions --------------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        win = self._window

        def action(text: str, shortcut: str, slot: Callable[[], object], *, playback_only: bool = True,
                   checkable: bool = False) -> QAction:
            act = QAction(text, win)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.setCheckable(checkable)
            act.triggered.connect(lambda _=False: slot())
            act.setEnabled(not playback_only)
            win.addAction(act)
            return act

        self.toggle_action = action("Playback / live", "Ctrl+P", self.toggle, playback_only=False, checkable=True)
        self.toggle_action.setToolTip("Switch the view between live video and recorded video")
        self.play_action = action("Play / pause", "Space", lambda: self._clock().toggle())
        self.reverse_action = action("Play backwards", "Shift+Space", lambda: self._clock().play_reverse())
        self.step_back_action = action("Frame back", ",", lambda: self.active().step(-1))
        self.step_action = action("Frame forward", ".", lambda: self.active().step(1))
        self.slower_action = action("Slower", "[", lambda: self._clock().shift_speed(-1))
        self.faster_action = action("Faster", "]", lambda: self._clock().shift_speed(1))
        self.own_clock_action = action("Selected tile plays on its own", "", self._toggle_own_clock, checkable=True)
        self.playback_actions = [self.play_action, self.reverse_action, self.step_back_action, self.step_action,
                                 self.slower_action, self.faster_action, self.own_clock_action]

    def populate_menu(self, menu: QMenu) -> None:
        menu.addAction(self.toggle_action)
        menu.addSeparator()
        for act in self.playback_actions[:-1]:
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.own_clock_action)
        menu.aboutToShow.connect(self._sync_checks)

    def _clock(self) -> PlaybackClock:
        return self.active().selected_clock()

    def _toggle_own_clock(self) -> None:
        view = self.active()
        tile = view.grid.selected_tile
        if tile is None or tile.camera is None:
            self.message.emit("Select a tile to play it on its own")
            self.own_clock_action.setChecked(False)
            return
        view.set_independent(tile, not view.is_independent(tile))

    def _sync_checks(self) -> None:
        view = self.active()
        self.toggle_action.setChecked(view.active)
        tile = view.grid.selected_tile
        self.own_clock_action.setChecked(tile is not None and view.active and view.is_independent(tile))
        for act in self.playback_actions:
            act.setEnabled(view.active)

    def _on_mode(self, grid: LiveGrid, on: bool) -> None:
        self._sync_checks()
        if on:
            self._follow(grid)
        self.mode_changed.emit(grid, on)

    # -- the timeline and other windows ----------------------------------------------------------------
    def bind_timeline(self, timeline: TimelineLike, grid: LiveGrid) -> None:
        """Let ``timeline`` show and drive ``grid``'s playback: mode, clock (the selected tile's), cameras. From
        then on it moves to whichever view goes to playback, and to a window the analyst turns to whose view is in
        playback; when the window of the view it shows closes, it comes back to ``grid``'s (the first bound)."""
        if self._home_grid is None:
            self._home_grid = grid
            app = QGuiApplication.instance()
            if isinstance(app, QGuiApplication):
                app.focusWindowChanged.connect(self._on_focus_window)
        self._timeline = timeline
        self._show_on_timeline(grid)

    @property
    def timeline_grid(self) -> LiveGrid | None:
        """The view the timeline shows now."""
        link = self._timeline_link
        return link.grid if link is not None and link.alive else None

    def attach_window(self, window: QWidget) -> None:
        """A detached view or the wall: Ctrl+P, Space, ``,`` ``.``, ``[`` ``]`` act on its view while it is the
        active window (the actions act on the active view)."""
        for act in (self.toggle_action, *self.playback_actions[:-1]):
            window.addAction(act)

    def _show_on_timeline(self, grid: LiveGrid) -> None:
        if self._timeline_link is not None:
            self._timeline_link.undo()
        assert self._timeline is not None
        self._timeline_link = TimelineLink(self._timeline, self.for_grid(grid))
        if grid is not self._home_grid:
            # Deleted with its window: the timeline goes back to the home view (queued: not inside the deletion).
            grid.destroyed.connect(lambda *_: QTimer.singleShot(0, self, self._back_home))

    def _back_home(self) -> None:
        link = self._timeline_link
        home = self._home_grid
        if (link is None or not link.alive) and self._timeline is not None and home is not None \
                and shiboken6.isValid(home):
            self._show_on_timeline(home)

    def _follow(self, grid: LiveGrid) -> None:
        if self._timeline is not None and shiboken6.isValid(grid) and grid is not self.timeline_grid:
            self._show_on_timeline(grid)

    def _on_focus_window(self, _window: object) -> None:
        grid = self._active_grid()
        view = self._views.get(grid.uid)
        if view is not None and shiboken6.isValid(view) and view.active:
            self._follow(grid)
