"""Video-wall layouts, saved views and which stream a tile plays. Pure: no Qt, no I/O.

A layout is a grid of ``cols`` x ``rows`` cells and a list of tiles, each a rectangle of whole cells. Tiles
never overlap and stay inside the grid; they are kept in reading order (top to bottom, then left to right),
which is the order cameras fill them in. Cells no tile covers are allowed (the custom editor may leave
holes) and simply stay empty on screen.

Presets: the square grids 1x1 .. 5x5 and the uneven ones control rooms use, "1+5" (one big tile, five
small), "1+7", "2+8" and "1+12". The custom editor starts from a uniform grid and merges or splits tiles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "MAX_GRID",
    "MIN_DWELL_S",
    "PRESETS",
    "SNAP_TOLERANCE",
    "SUB_STREAM_MAX_WIDTH",
    "Layout",
    "LayoutError",
    "SavedView",
    "StreamChoice",
    "TileRect",
    "ViewSpec",
    "choose_stream",
    "cycle_page",
    "cycle_pages",
    "decode_size",
    "fitting_layout",
    "merge",
    "preset",
    "remap_cameras",
    "resized",
    "split",
    "uniform",
]

MAX_GRID = 8  # cells per side; more than 64 tiles is not a view anyone can watch
MIN_DWELL_S = 3.0  # a camera cycle shows each page at least this long
SUB_STREAM_MAX_WIDTH = 704  # tiles narrower than this use the sub stream while its size is unknown (D1 width)

StreamChoice = Literal["main", "sub"]


class LayoutError(ValueError):
    """A layout that cannot exist (tiles overlapping or outside the grid, bad sizes)."""


@dataclass(frozen=True, order=True)
class TileRect:
    """A tile: ``cols`` x ``rows`` cells whose top-left cell is (``col``, ``row``)."""

    row: int  # first, so that sorting gives reading order
    col: int
    rows: int = 1
    cols: int = 1

    def cells(self) -> set[tuple[int, int]]:
        return {(c, r) for r in range(self.row, self.row + self.rows) for c in range(self.col, self.col + self.cols)}

    def contains(self, other: TileRect) -> bool:
        return (self.col <= other.col and self.row <= other.row and other.col + other.cols <= self.col + self.cols
                and other.row + other.rows <= self.row + self.rows)

    def intersects(self, other: TileRect) -> bool:
        return (self.col < other.col + other.cols and other.col < self.col + self.cols
                and self.row < other.row + other.rows and other.row < self.row + self.rows)


@dataclass(frozen=True)
class Layout:
    """``tiles`` in reading order; validated on construction (raises LayoutError)."""

    cols: int
    rows: int
    tiles: tuple[TileRect, ...]
    name: str = ""

    def __post_init__(self) -> None:
        if not (1 <= self.cols <= MAX_GRID and 1 <= self.rows <= MAX_GRID):
            raise LayoutError(f"grid must be 1..{MAX_GRID} cells per side, got {self.cols}x{self.rows}")
        if not self.tiles:
            raise LayoutError("a layout needs at least one tile")
        taken: set[tuple[int, int]] = set()
        for t in self.tiles:
            if t.cols < 1 or t.rows < 1:
                raise LayoutError(f"tile {t} has no area")
            if t.col < 0 or t.row < 0 or t.col + t.cols > self.cols or t.row + t.rows > self.rows:
                raise LayoutError(f"tile {t} lies outside the {self.cols}x{self.rows} grid")
            cells = t.cells()
            if cells & taken:
                raise LayoutError(f"tile {t} overlaps another tile")
            taken |= cells
        object.__setattr__(self, "tiles", tuple(sorted(self.tiles)))

    def __len__(self) -> int:
        return len(self.tiles)

    @property
    def is_complete(self) -> bool:
        """Every cell belongs to a tile."""
        return sum(t.cols * t.rows for t in self.tiles) == self.cols * self.rows

    def tile_at(self, col: int, row: int) -> int | None:
        """Index of the tile covering a cell, or None."""
        for i, t in enumerate(self.tiles):
            if t.col <= col < t.col + t.cols and t.row <= row < t.row + t.rows:
                return i
        return None

    def fractions(self, index: int) -> tuple[float, float, float, float]:
        """Tile ``index`` as (x, y, width, height) fractions of the whole view."""
        t = self.tiles[index]
        return t.col / self.cols, t.row / self.rows, t.cols / self.cols, t.rows / self.rows

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "cols": self.cols, "rows": self.rows,
                "tiles": [[t.col, t.row, t.cols, t.rows] for t in self.tiles]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Layout:
        """The inverse of ``as_dict``; raises LayoutError on anything malformed."""
        try:
            tiles = tuple(TileRect(col=int(c), row=int(r), cols=int(w), rows=int(h)) for c, r, w, h in raw["tiles"])
            return cls(int(raw["cols"]), int(raw["rows"]), tiles, str(raw.get("name", "")))
        except LayoutError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise LayoutError(f"malformed layout: {exc}") from None


def uniform(cols: int, rows: int | None = None, name: str = "") -> Layout:
    """An even grid of 1x1 tiles."""
    rows = cols if rows is None else rows
    return Layout(cols, rows, tuple(TileRect(r, c) for r in range(rows) for c in range(cols)),
                  name or f"{cols}x{rows}")


def _big_and_small(cols: int, rows: int, big: Sequence[TileRect], name: str) -> Layout:
    """``big`` tiles, and 1x1 tiles in every cell they leave free."""
    covered = set().union(*(b.cells() for b in big))
    small = [TileRect(r, c) for r in range(rows) for c in range(cols) if (c, r) not in covered]
    return Layout(cols, rows, (*big, *small), name)


def _presets() -> dict[str, Layout]:
    out = {f"{n}x{n}": uniform(n) for n in range(1, 6)}
    out["1+5"] = _big_and_small(3, 3, [TileRect(0, 0, 2, 2)], "1+5")
    out["1+7"] = _big_and_small(4, 4, [TileRect(0, 0, 3, 3)], "1+7")
    out["2+8"] = _big_and_small(4, 4, [TileRect(0, 0, 2, 2), TileRect(0, 2, 2, 2)], "2+8")
    out["1+12"] = _big_and_small(4, 4, [TileRect(1, 1, 2, 2)], "1+12")
    return out


PRESETS: Mapping[str, Layout] = _presets()


def preset(name: str) -> Layout:
    """A preset by name ("2x2", "1+5", ...); also accepts any "CxR" up to the grid limit."""
    if name in PRESETS:
        return PRESETS[name]
    cols, sep, rows = name.partition("x")
    if sep and cols.isdigit() and rows.isdigit():
        return uniform(int(cols), int(rows))
    raise LayoutError(f"unknown layout {name!r}; presets: {', '.join(PRESETS)}")


def fitting_layout(n: int) -> Layout:
    """The smallest square preset with room for ``n`` tiles (5x5 at most)."""
    side = min(5, max(1, math.ceil(math.sqrt(max(1, n)))))
    return PRESETS[f"{side}x{side}"]


def merge(layout: Layout, area: TileRect, name: str = "") -> Layout:
    """Make ``area`` one tile. Every tile it touches must lie wholly inside it (a merge never cuts a tile)."""
    Layout(layout.cols, layout.rows, (area,))  # raises when the area is not inside the grid
    inside = [t for t in layout.tiles if area.intersects(t)]
    for t in inside:
        if not area.contains(t):
            raise LayoutError(f"the selection cuts through tile at column {t.col + 1}, row {t.row + 1}")
    kept = [t for t in layout.tiles if not area.intersects(t)]
    return Layout(layout.cols, layout.rows, (*kept, area), name or "custom")


def split(layout: Layout, index: int, name: str = "") -> Layout:
    """Break tile ``index`` back into 1x1 tiles."""
    target = layout.tiles[index]
    cells = [TileRect(r, c) for r in range(target.row, target.row + target.rows)
             for c in range(target.col, target.col + target.cols)]
    others = [t for i, t in enumerate(layout.tiles) if i != index]
    return Layout(layout.cols, layout.rows, (*others, *cells), name or "custom")


def resized(layout: Layout, cols: int, rows: int, name: str = "") -> Layout:
    """The layout on a grid of another size: tiles that still fit are kept, the rest of the grid is 1x1."""
    kept = [t for t in layout.tiles if t.col + t.cols <= cols and t.row + t.rows <= rows]
    out = _big_and_small(cols, rows, kept, name or "custom")
    if not name and all(t.cols == t.rows == 1 for t in out.tiles):
        out = replace(out, name=f"{cols}x{rows}")
    return out


def remap_cameras(old: Layout, new: Layout, cameras: Sequence[str | None]) -> list[str | None]:
    """Cameras for ``new`` after a layout change: tile i keeps tile i's camera (reading order, so the big
    tile of an uneven layout gets the first camera); when the new layout has fewer tiles, cameras that
    would be lost move into its empty tiles first."""
    n = len(new)
    out: list[str | None] = list(cameras[:n]) + [None] * max(0, n - len(cameras))
    spill = [c for c in cameras[n:] if c is not None]
    for i in range(n):
        if out[i] is None and spill:
            out[i] = spill.pop(0)
    return out


def cycle_page(cameras: Sequence[str], tiles: int, step: int) -> list[str | None]:
    """What a view of ``tiles`` tiles shows at cycle ``step`` of the camera list: consecutive pages,
    wrapping around, the last page padded from the start so no tile sits empty in a cycle."""
    if tiles <= 0:
        return []
    if not cameras:
        return [None] * tiles
    if len(cameras) <= tiles:
        return [*cameras, *[None] * (tiles - len(cameras))]
    pages = math.ceil(len(cameras) / tiles)
    start = (step % pages) * tiles
    return [cameras[(start + i) % len(cameras)] for i in range(tiles)]


def cycle_pages(cameras: Sequence[str], tiles: int) -> int:
    """How many pages a cycle through ``cameras`` has (1 = nothing to cycle)."""
    return 1 if tiles <= 0 or len(cameras) <= tiles else math.ceil(len(cameras) / tiles)


def choose_stream(tile_size: tuple[int, int], *, maximised: bool, has_main: bool, has_sub: bool,
                  sub_size: tuple[int, int] | None = None,
                  sub_max_width: int = SUB_STREAM_MAX_WIDTH) -> StreamChoice:
    """Which of a camera's two streams a tile of ``tile_size`` device pixels plays.

    The rule (Milestone's): the smallest stream at or above the tile's size. Cameras do not declare stream
    sizes, so the sub stream's size is learnt from its pictures (``sub_size``, None while unknown): the sub
    stream is used while it is at least 90 % of the tile's size in some direction; larger tiles, and every
    maximised tile, get the main stream. While the sub stream's size is unknown, tiles narrower than
    ``sub_max_width`` use it.
    """
    if not has_sub:
        return "main"
    if not has_main or (not maximised and _sub_is_enough(tile_size, sub_size, sub_max_width)):
        return "sub"
    return "main"


SNAP_TOLERANCE = 0.03  # a decode size within 3 % of the tile's is drawn 1:1 (bordered or cropped by <= 1.5 %)


def decode_size(tile_size: tuple[int, int], native: tuple[int, int] | None) -> tuple[int, int] | None:
    """The picture size a tile asks its decoder for (None: the stream's own size, still unknown).

    Scaling costs the most when the factor is arbitrary: converting 640x360 to 632x356 costs more CPU than
    decoding it (measured: 16 x 360p players at 22 % of a core against 13.5 % at native size, 15 % at exactly
    half). So when the tile is within ``SNAP_TOLERANCE`` of the native size divided by 1, 2, 4 or 8, the tile
    asks for exactly that size and draws it 1:1 (a border or crop of at most 1.5 % a side); otherwise it asks
    for its own size. Pictures are never scaled up in the decoder (the painter does that for free).
    """
    if native is None:
        return None
    nw, nh = native
    tw, th = tile_size
    if nw <= 0 or nh <= 0:
        return None
    scale = min(tw / nw, th / nh)
    if scale >= 1 - SNAP_TOLERANCE:
        return nw, nh
    for k in (2, 4, 8):
        if nw % (2 * k) == 0 and nh % (2 * k) == 0 and abs(scale * k - 1) <= SNAP_TOLERANCE:
            return nw // k, nh // k
    return max(2, tw & ~1), max(2, th & ~1)


def _sub_is_enough(tile: tuple[int, int], sub: tuple[int, int] | None, max_width: int) -> bool:
    if sub is None:
        return tile[0] < max_width
    return sub[0] >= 0.9 * tile[0] or sub[1] >= 0.9 * tile[1]


@dataclass(frozen=True)
class ViewSpec:
    """What a saved view holds: a layout, a camera id (or None) per tile, and an optional camera cycle."""

    name: str
    layout: Layout
    cameras: tuple[str | None, ...] = ()
    cycle: tuple[str, ...] = ()  # non-empty: the view pages through these cameras instead
    dwell_s: float = 10.0
    favourite: int | None = None  # 1..9: Ctrl+<n> switches to it

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise LayoutError("a view needs a name")
        if len(self.name) > 100:
            raise LayoutError("view names are at most 100 characters")
        if self.favourite is not None and not 1 <= self.favourite <= 9:
            raise LayoutError("favourite slots are 1..9")
        if self.cycle and self.dwell_s < MIN_DWELL_S:
            raise LayoutError(f"a camera cycle dwells at least {MIN_DWELL_S:g} s per page")
        cams = tuple(self.cameras[: len(self.layout)])
        object.__setattr__(self, "cameras", cams + (None,) * (len(self.layout) - len(cams)))

    def with_cameras(self, cameras: Iterable[str | None]) -> ViewSpec:
        return replace(self, cameras=tuple(cameras))

    def as_dict(self) -> dict[str, Any]:
        return {"v": 1, "kind": "wall", "layout": self.layout.as_dict(), "cameras": list(self.cameras),
                "cycle": list(self.cycle), "dwell_s": self.dwell_s, "favourite": self.favourite}

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any]) -> ViewSpec:
        """The inverse of ``as_dict``; raises LayoutError when the data is not a wall view."""
        if raw.get("kind", "wall") != "wall":
            raise LayoutError(f"view {name!r} is not a wall view")
        try:
            cameras = tuple(None if c is None else str(c) for c in raw.get("cameras", ()))
            cycle = tuple(str(c) for c in raw.get("cycle", ()))
            fav = raw.get("favourite")
            return cls(name=name, layout=Layout.from_dict(raw["layout"]), cameras=cameras, cycle=cycle,
                       dwell_s=float(raw.get("dwell_s", 10.0)), favourite=None if fav is None else int(fav))
        except LayoutError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise LayoutError(f"malformed view {name!r}: {exc}") from None


@dataclass(frozen=True)
class SavedView:
    """A view as stored: its spec plus who owns it and whether the room shares it."""

    id: int
    owner: str
    shared: bool
    spec: ViewSpec
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name
