"""Wall layouts, views and the tile stream rule: pure logic, checked exhaustively where it is cheap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4desk.domain.layouts import (
    MAX_GRID,
    PRESETS,
    Layout,
    LayoutError,
    TileRect,
    ViewSpec,
    choose_stream,
    cycle_page,
    cycle_pages,
    decode_size,
    fitting_layout,
    merge,
    preset,
    remap_cameras,
    resized,
    split,
    uniform,
)


def test_presets_have_the_tiles_their_names_promise() -> None:
    counts = {"1x1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "5x5": 25, "1+5": 6, "1+7": 8, "2+8": 10, "1+12": 13}
    assert {name: len(layout) for name, layout in PRESETS.items()} == counts
    for layout in PRESETS.values():
        assert layout.is_complete


def test_uneven_presets_put_the_big_tiles_where_operators_expect() -> None:
    assert preset("1+5").tiles[0] == TileRect(row=0, col=0, rows=2, cols=2)
    assert preset("1+7").tiles[0] == TileRect(row=0, col=0, rows=3, cols=3)
    big = [t for t in preset("2+8").tiles if t.cols == 2]
    assert big == [TileRect(row=0, col=0, rows=2, cols=2), TileRect(row=0, col=2, rows=2, cols=2)]
    centre = [t for t in preset("1+12").tiles if t.cols == 2]
    assert centre == [TileRect(row=1, col=1, rows=2, cols=2)]


def test_tiles_are_kept_in_reading_order() -> None:
    layout = Layout(2, 2, (TileRect(row=1, col=1), TileRect(row=0, col=0), TileRect(row=1, col=0),
                           TileRect(row=0, col=1)))
    assert [(t.row, t.col) for t in layout.tiles] == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize("tiles", [
    (TileRect(row=0, col=0, rows=2, cols=2), TileRect(row=1, col=1)),  # overlap
    (TileRect(row=0, col=1, rows=1, cols=2),),  # outside
    (TileRect(row=0, col=0, rows=0, cols=1),),  # no area
    (),  # nothing
])
def test_impossible_layouts_are_refused(tiles: tuple[TileRect, ...]) -> None:
    with pytest.raises(LayoutError):
        Layout(2, 2, tiles)


def test_grid_size_is_bounded() -> None:
    with pytest.raises(LayoutError):
        uniform(MAX_GRID + 1)
    with pytest.raises(LayoutError):
        preset("nonsense")
    assert len(preset("3x2")) == 6


def test_merge_and_split_are_inverse() -> None:
    base = uniform(4)
    merged = merge(base, TileRect(row=1, col=1, rows=2, cols=2))
    assert len(merged) == 13 and merged.is_complete
    index = merged.tile_at(2, 2)
    assert index is not None and merged.tiles[index] == TileRect(row=1, col=1, rows=2, cols=2)
    assert split(merged, index).tiles == base.tiles


def test_merge_never_cuts_a_tile() -> None:
    merged = merge(uniform(3), TileRect(row=0, col=0, rows=2, cols=2))
    with pytest.raises(LayoutError, match="cuts through"):
        merge(merged, TileRect(row=1, col=1, rows=2, cols=2))
    # A selection that swallows a whole merged tile is fine.
    assert len(merge(merged, TileRect(row=0, col=0, rows=3, cols=3))) == 1


def test_resizing_keeps_big_tiles_that_still_fit() -> None:
    layout = preset("1+5")
    bigger = resized(layout, 4, 4)
    assert bigger.tiles[0] == TileRect(row=0, col=0, rows=2, cols=2) and len(bigger) == 13
    assert resized(uniform(3), 2, 2).name == "2x2"
    assert resized(preset("1+7"), 2, 2) == Layout(2, 2, uniform(2).tiles, "2x2")


def test_layout_dict_round_trip_and_malformed_input() -> None:
    for layout in PRESETS.values():
        assert Layout.from_dict(layout.as_dict()) == layout
    for bad in ({}, {"cols": 2, "rows": 2, "tiles": [[0, 0]]}, {"cols": "x", "rows": 1, "tiles": []}):
        with pytest.raises(LayoutError):
            Layout.from_dict(bad)


def test_fractions_cover_the_view() -> None:
    layout = preset("2+8")
    area = sum(w * h for w, h in ((layout.fractions(i)[2], layout.fractions(i)[3]) for i in range(len(layout))))
    assert area == pytest.approx(1.0)


def test_cameras_keep_their_order_through_a_layout_change() -> None:
    cams = ["a", "b", "c", "d"]
    assert remap_cameras(uniform(2), uniform(3), cams) == ["a", "b", "c", "d", None, None, None, None, None]
    assert remap_cameras(uniform(2), preset("1+5"), cams) == ["a", "b", "c", "d", None, None]
    # Shrinking: cameras that no longer fit fill empty tiles first, the rest are dropped.
    assert remap_cameras(uniform(2), uniform(1), [None, "b", "c", "d"]) == ["b"]
    assert remap_cameras(uniform(3), uniform(2), ["a", None, "c", "d", "e"]) == ["a", "e", "c", "d"]


def test_cycle_pages_wrap_and_never_leave_holes() -> None:
    cams = [f"c{i}" for i in range(10)]
    assert cycle_pages(cams, 4) == 3
    assert cycle_page(cams, 4, 0) == ["c0", "c1", "c2", "c3"]
    assert cycle_page(cams, 4, 2) == ["c8", "c9", "c0", "c1"]
    assert cycle_page(cams, 4, 3) == cycle_page(cams, 4, 0)
    assert cycle_page(cams[:2], 4, 5) == ["c0", "c1", None, None]
    assert cycle_pages(cams[:2], 4) == 1


@given(st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=30), st.integers(1, 25), st.integers(0, 99))
def test_every_camera_appears_within_one_round_of_pages(cams: list[str], tiles: int, start: int) -> None:
    pages = cycle_pages(cams, tiles)
    seen = {c for step in range(start, start + pages) for c in cycle_page(cams, tiles, step) if c}
    assert seen == set(cams)


def test_stream_rule() -> None:
    both = {"has_main": True, "has_sub": True}
    # Unknown sub size: small tiles use the sub stream, big ones and maximised ones the main stream.
    assert choose_stream((426, 240), maximised=False, **both) == "sub"
    assert choose_stream((1280, 720), maximised=False, **both) == "main"
    assert choose_stream((426, 240), maximised=True, **both) == "main"
    # Known sub size: the sub stream serves tiles it is (nearly) as big as, and no bigger ones.
    assert choose_stream((640, 360), maximised=False, sub_size=(640, 360), **both) == "sub"
    assert choose_stream((700, 394), maximised=False, sub_size=(640, 360), **both) == "sub"
    assert choose_stream((800, 450), maximised=False, sub_size=(640, 360), **both) == "main"
    assert choose_stream((426, 240), maximised=False, sub_size=(320, 180), **both) == "main"
    # One stream only: that one, whatever the size.
    assert choose_stream((1920, 1080), maximised=True, has_main=False, has_sub=True) == "sub"
    assert choose_stream((100, 60), maximised=False, has_main=True, has_sub=False) == "main"


def test_decode_size_snaps_to_cheap_scales() -> None:
    assert decode_size((316, 178), None) is None  # unknown: decode the stream's own size first
    assert decode_size((637, 357), (640, 360)) == (640, 360)  # 2x2 on 1280x720: native, drawn 1:1
    assert decode_size((1276, 716), (640, 360)) == (640, 360)  # never scaled up by the decoder
    assert decode_size((316, 178), (640, 360)) == (320, 180)  # 4x4 on 1280x720: exactly half
    assert decode_size((637, 357), (1280, 720)) == (640, 360)
    assert decode_size((240, 136), (1920, 1080)) == (240, 136)  # 1080/8 is odd: no exact eighth
    assert decode_size((480, 270), (1920, 1080)) == (480, 270)  # a quarter
    assert decode_size((424, 238), (640, 360)) == (424, 238)  # 3x3: no cheap scale near, the tile's own size
    assert decode_size((425, 239), (640, 360)) == (424, 238)  # even sizes


def test_view_spec_round_trip_and_checks() -> None:
    spec = ViewSpec(name="Downtown", layout=preset("1+5"), cameras=("a", None, "c"), cycle=(), favourite=3)
    assert spec.cameras == ("a", None, "c", None, None, None)  # padded to the layout
    assert ViewSpec.from_dict("Downtown", spec.as_dict()) == spec
    cyc = ViewSpec(name="Tour", layout=uniform(2), cycle=("a", "b", "c", "d", "e"), dwell_s=3.0)
    assert ViewSpec.from_dict("Tour", cyc.as_dict()) == cyc
    with pytest.raises(LayoutError):
        ViewSpec(name="Fast", layout=uniform(1), cycle=("a", "b"), dwell_s=2.9)
    with pytest.raises(LayoutError):
        ViewSpec(name=" ", layout=uniform(1))
    with pytest.raises(LayoutError):
        ViewSpec(name="x", layout=uniform(1), favourite=10)
    with pytest.raises(LayoutError):
        ViewSpec.from_dict("map", {"kind": "map"})
    assert fitting_layout(7) == uniform(3) and fitting_layout(40) == uniform(5) and fitting_layout(0) == uniform(1)
