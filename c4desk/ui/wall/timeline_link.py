"""The timeline shows one view at a time: this ties it to a view, and unties it when it moves to another.

A seat has several views (the main window's grid, detached view windows, the wall), each able to play back on its
own clock, and one timeline dock. ``WallPlayback`` moves the timeline to the view the analyst plays back: the one
that just went to playback, or the window they turn to when its view is in playback (``follow``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import shiboken6
from PySide6.QtCore import SignalInstance

from c4desk.ui.wall.live_grid import LiveGrid

if TYPE_CHECKING:
    from c4desk.ui.wall.playback_clock import TimelineLike, ViewPlayback


class _Connectable(Protocol):
    def connect(self, slot: Callable[..., Any]) -> Any: ...

    def disconnect(self, slot: Callable[..., Any]) -> Any: ...


class TimelineLink:
    """``timeline`` showing and driving ``view``: its mode, its cameras (one row each), the clock of its selected
    tile (the view's, or the tile's own); the timeline's controls act on that view. ``undo`` ends it."""

    def __init__(self, timeline: TimelineLike, view: ViewPlayback) -> None:
        self.view = view
        self.grid: LiveGrid = view.grid
        self._undo: list[tuple[object, _Connectable, Callable[..., Any]]] = []
        grid = self.grid

        def follow_clock(*_: object) -> None:
            timeline.set_clock(view.selected_clock())

        def cameras() -> None:
            timeline.set_cameras([t.camera for t in grid.tiles if shiboken6.isValid(t)])

        # Plain functions, not the view's bound methods: Qt would drop a bound method's connection by itself when
        # the view is deleted (its window closed), and disconnecting it again then fails.
        def live() -> None:
            view.leave()

        def play_from(at: object) -> None:
            if isinstance(at, datetime):
                view.enter(at)

        def step(frames: int) -> None:
            view.step(frames)

        self._link(timeline, timeline.live_requested, live)
        self._link(timeline, timeline.playback_requested, play_from)
        self._link(timeline, timeline.step_requested, step)
        self._link(view, view.mode_changed, timeline.set_mode)
        self._link(view, view.mode_changed, follow_clock)
        self._link(view, view.independent_changed, follow_clock)
        self._link(grid, grid.camera_selected, follow_clock)
        self._link(grid, grid.view_changed, cameras)
        timeline.set_mode(view.active)
        follow_clock()
        cameras()

    def _link(self, sender: object, signal: SignalInstance | _Connectable, slot: Callable[..., Any]) -> None:
        signal.connect(slot)
        self._undo.append((sender, signal, slot))

    def undo(self) -> None:
        """Disconnect everything; a view whose window has closed (its grid deleted) has nothing left to undo."""
        for sender, signal, slot in self._undo:
            if shiboken6.isValid(sender):
                signal.disconnect(slot)
        self._undo.clear()

    @property
    def alive(self) -> bool:
        return shiboken6.isValid(self.grid) and shiboken6.isValid(self.view)
