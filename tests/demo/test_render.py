"""The demo clip renderer: what other tests rely on (frame marker, identity colour, suspect) survives H.264,
and the on-disk cache never hands out an incomplete clip. Clips are short and small to keep the suite light."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from c4desk.demo import render, script
from c4desk.demo.city import PLACEMENTS

pytestmark = pytest.mark.slow

BY_ID = {p.id: p for p in PLACEMENTS}
SIZE = (320, 180)
FPS = script.FPS


def decode_all(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def short_clips(media_cache: Path) -> dict[str, Path]:
    """Three 3-second clips rendered by render_all in two worker processes (cached across runs)."""
    ids = ("cam01", "ptz01", "lpr02")
    calls: list[tuple[int, int]] = []
    clips = render.render_all(media_cache, placements=[BY_ID[i] for i in ids], seconds=3, size=SIZE, workers=2,
                              progress=lambda done, total: calls.append((done, total)))
    assert set(clips) == set(ids)
    assert calls[-1] == (3, 3)
    return clips


def test_frame_marker_reads_back_every_decoded_frame(short_clips: dict[str, Path]) -> None:
    frames = decode_all(short_clips["cam01"])
    assert len(frames) == 3 * FPS
    assert [render.decode_frame_marker(f) for f in frames] == list(range(len(frames)))


def test_frame_marker_survives_scaling_and_rejects_noise(short_clips: dict[str, Path]) -> None:
    frame = decode_all(short_clips["ptz01"])[37]
    bigger = np.asarray(Image.fromarray(frame).resize((640, 360), Image.Resampling.BILINEAR))
    assert render.decode_frame_marker(bigger, size=SIZE) == 37
    assert render.decode_frame_marker(np.zeros((180, 320, 3), np.uint8)) is None
    assert render.decode_frame_marker(np.full((180, 320, 3), 255, np.uint8)) is None


def test_identity_colours_are_distinct_and_survive_encoding(short_clips: dict[str, Path]) -> None:
    colours = [render.camera_colour(p.id) for p in PLACEMENTS]
    for i, a in enumerate(colours):
        for b in colours[i + 1:]:
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) > 100, (a, b)
    for camera_id, path in short_clips.items():
        expected = render.camera_colour(camera_id)
        for frame in decode_all(path)[::10]:
            seen = render.identity_colour(frame)
            assert all(abs(x - y) <= 30 for x, y in zip(seen, expected, strict=True)), (camera_id, seen)
            assert render.identify_camera(frame) == camera_id


def _suspect_pixels(rgb: np.ndarray) -> np.ndarray:
    """Mask of the suspect sedan's dark blue: nothing else in a scene (sky, buildings, traffic) is that colour."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (b > 70) & (b - r > 45) & (b - g > 35) & (r < 90)


@pytest.mark.parametrize(("camera_id", "start_s"), [("lpr02", 56.0), ("cam01", 15.0)])
def test_suspect_drawn_exactly_when_sighted(media_cache: Path, camera_id: str, start_s: float) -> None:
    placement = BY_ID[camera_id]
    path = render.render_cached(placement, media_cache, seconds=5, size=SIZE, start_s=start_s)
    scene_top = render.identity_band(SIZE)[3] + round(40 * SIZE[1] / 360)
    seen = unseen = 0
    for n, frame in enumerate(decode_all(path)):
        t = start_s + n / FPS
        mask = _suspect_pixels(frame)
        mask[:scene_top] = False
        box = render.suspect_box(placement, t, SIZE)
        if script.sighting(placement, t) is None:
            assert box is None
            assert mask.sum() < 3, (t, int(mask.sum()))
            unseen += 1
            continue
        assert box is not None
        x0, y0, x1, y1 = (max(0, v) for v in box)
        if (x1 - x0) * (y1 - y0) >= 60:
            assert mask[y0:y1, x0:x1].mean() > 0.15, (t, box)
            seen += 1
    assert seen >= 10 and unseen >= 10


def test_cache_reuses_a_complete_clip(short_clips: dict[str, Path], media_cache: Path) -> None:
    path = short_clips["cam01"]
    before = path.stat().st_mtime_ns
    again = render.render_all(media_cache, placements=[BY_ID["cam01"]], seconds=3, size=SIZE)
    assert again == {"cam01": path}
    assert path.stat().st_mtime_ns == before
    assert render.clip_path(media_cache, BY_ID["cam01"], seconds=3, size=(640, 360)) != path


def test_cache_never_reuses_a_partial_clip(tmp_path: Path, short_clips: dict[str, Path]) -> None:
    placement = BY_ID["cam01"]
    final = render.clip_path(tmp_path, placement, seconds=1, size=SIZE)
    good = short_clips["cam01"].read_bytes()
    final.write_bytes(good[: len(good) // 2])  # a truncated file under the final name
    stale = final.with_name(f".{final.name}.999999999.tmp")  # left by a render that was killed
    stale.write_bytes(b"partial")
    assert not render.is_complete(final, FPS)
    path = render.render_cached(placement, tmp_path, seconds=1, size=SIZE)
    assert path == final and render.is_complete(final, FPS)
    assert not stale.exists()
    assert decode_all(final)[-1] is not None


def test_interrupted_render_leaves_nothing_that_looks_complete(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def dies_halfway(placement: object, out_path: Path, **_: object) -> Path:
        Path(out_path).write_bytes(b"\x00" * 4096)
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "render_clip", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        render.render_cached(BY_ID["cam02"], tmp_path, seconds=1, size=SIZE)
    assert os.listdir(tmp_path) == []
