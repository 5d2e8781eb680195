"""A simple grid of live tiles. The full wall (layouts, drag and drop, saved views) builds on this."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget

from c4desk.domain.camera import Camera
from c4desk.ui.wall.video_view import PlayerFactory, VideoView


class LiveGrid(QWidget):
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
