"""I, O, T, Shift+T and B on a tile: marks, clips and bookmarks at the moment the tile shows.

The moment is the tile's playback clock, or now when it is live. T stores the clip at once (the marks' span, or the
moment with context either side) in the background, so the wall never waits; Shift+T opens the clip form for tags,
a note and a case; B opens the bookmark form. What happened is said on ``message`` (the window's status bar).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor
from c4desk.hub.services import Services
from c4desk.store.cases import Case
from c4desk.store.clips import Clip
from c4desk.store.recordings import Bookmark
from c4desk.ui.background import run_in_background
from c4desk.ui.cases.clip_dialog import ClipDialog
from c4desk.ui.cases.common import describe_error
from c4desk.ui.timefmt import local_time
from c4desk.ui.wall.bookmark_dialog import BookmarkDialog
from c4desk.ui.wall.clip_marks import ClipMarks
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.video_view import VideoView


class ClipRequests(QObject):
    message = Signal(str, int)  # text, milliseconds to show it
    bookmarked = Signal(object)  # Bookmark

    def __init__(self, services: Services, actor: Callable[[], Actor], grid: LiveGrid, playback: WallPlayback,
                 window: QWidget, *, current_case: Callable[[], Case | None],
                 cameras: Callable[[], Sequence[Camera]]) -> None:
        super().__init__(window)
        self._services = services
        self._actor = actor
        self._grid = grid
        self._playback = playback
        self._window = window
        self._current_case = current_case
        self._cameras = cameras
        self.marks = ClipMarks()

    def handle(self, tile: VideoView | None, what: str) -> None:
        """``what``: "in", "out", "tag" (at once), "tag_details" (the form) or "bookmark"."""
        if tile is None or tile.camera is None:
            self.message.emit("Select a tile with a camera first", 5000)
            return
        camera = tile.camera
        view = self._playback.for_grid(self._grid)
        live = not view.active
        at = datetime.now(UTC) if live else view.clock_for(tile).position()
        if what in ("in", "out"):
            (self.marks.mark_in if what == "in" else self.marks.mark_out)(camera.id, at)
            self.message.emit(f"{camera.name}: {what} at {local_time(at)}", 5000)
        elif what == "bookmark":
            self._bookmark(camera, at, live)
        else:
            start, end = self.marks.span(camera.id, at, live=live)
            if what == "tag":
                self._tag_now(camera, start, end)
            else:
                self._tag_with_form(camera, start, end)

    def _tag_now(self, camera: Camera, start: datetime, end: datetime) -> None:
        """One key, one clip: stored (with its evidence hold) in the background."""
        clips, actor = self._services.clips, self._actor()

        def tagged(clip: Clip) -> None:
            self.marks.clear(camera.id)
            self.message.emit(f"Clip {clip.id} tagged on {camera.name}, {local_time(start)}-{local_time(end)} (kept "
                              "under evidence hold). Ctrl+N files it in a new case; Shift+T tags with a note", 10_000)

        def refused(exc: BaseException) -> None:
            self.message.emit(f"Clip not tagged on {camera.name}: {describe_error(exc)}", 10_000)

        run_in_background(lambda: clips.tag(actor, camera.id, start, end), tagged, refused)

    def _tag_with_form(self, camera: Camera, start: datetime, end: datetime) -> None:
        case = self._current_case()
        dialog = ClipDialog(self._services, self._actor, camera.id, start, end, self._window,
                            case=case.number if case is not None else None, cameras=list(self._cameras()))

        def tagged(_clip: object) -> None:
            self.marks.clear(camera.id)
            self.message.emit(f"Clip tagged on {camera.id}: it is kept (evidence hold) and listed under My clips",
                              8000)

        dialog.tagged.connect(tagged)
        dialog.open()

    def _bookmark(self, camera: Camera, at: datetime, live: bool) -> None:
        marker = BookmarkDialog(self._services.recordings, self._actor, camera.id, at, self._window,
                                camera_name=camera.name, case=self._current_case(), live=live)

        def done(mark: Bookmark) -> None:
            self.bookmarked.emit(mark)
            self.message.emit(f"Bookmarked {camera.name} at {local_time(mark.at)}"
                              + (f": {mark.label}" if mark.label else ""), 5000)

        marker.bookmarked.connect(done)
        marker.open()
