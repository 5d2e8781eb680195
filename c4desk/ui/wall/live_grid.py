"""A simple grid of live tiles. The full wall (layouts, drag and drop, saved views) builds on this."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from c4desk.domain.camera import Camera
from c4desk.ui.wall.video_view import PlayerFactory, VideoView


class LiveGrid(QWidget):
    camera_selected = Signal(object)  # Camera | None: the camera of the tile the analyst selected
    camera_status = Signal(str, str)  # camera id, status (live, offline, ...)

    def __init__(self, player_factory: PlayerFactory, rows: int = 2, cols: int = 2,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.tiles: list[VideoView] = []
        for i in range(rows * cols):
            tile = VideoView(player_factory, self)
            layout.addWidget(tile, i // cols, i % cols)
            tile.selected.connect(lambda t=tile: self._on_tile_clicked(t))
            tile.status_changed.connect(lambda status, _reason, t=tile: self._on_tile_status(t, status))
            self.tiles.append(tile)
        self._selected: VideoView | None = None
        # The tile the analyst clicked last, until a camera is put into it: that is where the next one goes.
        self._target: VideoView | None = None
        self._next_replace = 0

    @property
    def selected_tile(self) -> VideoView | None:
        return self._selected

    def select(self, tile: VideoView) -> None:
        for t in self.tiles:
            t.set_selected(t is tile)
        self._selected = tile

    def _on_tile_clicked(self, tile: VideoView) -> None:
        self.select(tile)
        self._target = tile
        self.camera_selected.emit(tile.camera)

    def _on_tile_status(self, tile: VideoView, status: str) -> None:
        if tile.camera is not None:
            self.camera_status.emit(tile.camera.id, status)

    def show_cameras(self, cameras: list[Camera]) -> None:
        """Replace what the grid shows with ``cameras`` (as many as there are tiles), in order."""
        for i, tile in enumerate(self.tiles):
            tile.set_camera(cameras[i] if i < len(cameras) else None)
        self._target = None
        self._next_replace = 0

    def open_camera(self, camera: Camera) -> VideoView:
        """Show ``camera`` in the tile the analyst clicked, else the first empty one, else replace in turn."""
        already = next((t for t in self.tiles if t.camera is not None and t.camera.id == camera.id), None)
        if already is not None:
            self.select(already)
            return already
        tile = self._target or next((t for t in self.tiles if t.camera is None), None)
        self._target = None
        if tile is None:
            tile = self.tiles[self._next_replace % len(self.tiles)]
            self._next_replace += 1
        tile.set_camera(camera)
        self.select(tile)
        return tile

    def cameras(self) -> list[str | None]:
        return [t.camera.id if t.camera else None for t in self.tiles]

    def health(self) -> tuple[int, int]:
        """(live tiles, tiles with a camera)."""
        used = [t for t in self.tiles if t.camera is not None]
        return sum(1 for t in used if t.status == "live"), len(used)

    def close_players(self) -> None:
        for t in self.tiles:
            t.close_player()
