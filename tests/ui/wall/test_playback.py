"""Playback on the wall: tiles on one main timeline show what was recorded at that moment, in step.

The recordings are real MPEG-TS segments (stream copies of the demo clips, whose frames carry their index in a
burned-in marker) indexed in a real SQLite store through RecordingRepository, so every check reads pixels and
every segment is found the way the workstation finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from c4desk.demo import render
from c4desk.domain.camera import Camera
from c4desk.domain.layouts import preset
from c4desk.hub.services import Services
from c4desk.media.av_player import AvPlayer
from c4desk.media.playback import PlaybackPlayer
from c4desk.store.models import RecordingSegmentRow
from c4desk.store.recordings import RecordingRepository
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import ViewPlayback
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.video_view import HEADER_H, VideoView
from tests.media.test_playback import CLIP_S, FPS, SIZE, demo_clips, frame_rgb, marker, record
from tests.ui.wall.conftest import image_rgb, make_camera

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

OFFSETS = {"cam01": 0.0, "cam02": 2.0}  # cam02's recording starts 2 s (30 frames) later: different pictures
SEGMENTS = 15  # 60 s each: 10 s at 1x and 40 s at 4x from the start point


def insert_segments(services: Services, root: Path, camera_id: str, segments: list) -> None:  # type: ignore[type-arg]
    """Index segment files in the store as the recorder does (complete, stream copy, TS)."""
    with services.db.session(write=True) as s:
        for seg in segments:
            s.add(RecordingSegmentRow(camera_id=camera_id, start_at=seg.start_at, end_at=seg.end_at,
                                      path=Path(seg.path).relative_to(root).as_posix(),
                                      bytes=Path(seg.path).stat().st_size, container="ts", codec="h264",
                                      status="complete"))


@pytest.fixture
def recorded(services: Services, media_cache: Path, tmp_path: Path) -> tuple[RecordingRepository, datetime]:
    """cam01 and cam02 recorded for a minute, ten minutes ago; (repository, start of cam01's recording)."""
    clips = demo_clips(media_cache)
    root = tmp_path / "recordings"
    base = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    for camera_id, offset in OFFSETS.items():
        segments = record(clips[camera_id], root, camera_id, base + timedelta(seconds=offset), SEGMENTS)
        insert_segments(services, root, camera_id, segments)
    return RecordingRepository(services.db, root), base


@pytest.fixture
def grid(qtbot: QtBot) -> Iterator[LiveGrid]:
    g = LiveGrid(PlayerSource(), layout=preset("2x1"))
    qtbot.addWidget(g)
    g.resize(700, 220)
    g.show()
    qtbot.waitExposed(g)
    yield g
    g.close_players()


def recorded_time(camera_id: str, base: datetime, frame_marker: int, near: float) -> float:
    """The recording time (POSIX s) of the frame with ``frame_marker`` nearest ``near``: segments repeat the clip
    every 4 s from the camera's offset."""
    start = base.timestamp() + OFFSETS[camera_id]
    k = round((near - start - frame_marker / FPS) / CLIP_S)
    return start + k * CLIP_S + frame_marker / FPS


def tile_time(tile: VideoView, base: datetime) -> float:
    """When the picture on ``tile`` was recorded, read from its pixels (checked against what the player says)."""
    frame = tile.current_frame
    assert frame is not None and frame.pts_s is not None and tile.camera is not None
    m = marker(frame)
    assert m is not None, "frame marker unreadable"
    t = recorded_time(tile.camera.id, base, m, frame.pts_s)
    assert abs(t - frame.pts_s) < 1e-3, "the picture is not the frame recorded at the time the player claims"
    return t


def both_showing(tiles: list[VideoView], at: datetime) -> bool:
    for tile in tiles:
        player = tile.player
        if not isinstance(player, PlaybackPlayer) or tile.current_frame is None or player.shown_at is None:
            return False
        if not player.shown_at <= at < player.shown_at + timedelta(seconds=1 / FPS):
            return False
        if abs((tile.current_frame.pts_s or 0.0) - player.shown_at.timestamp()) > 1e-3:
            return False
    return True


def measure_sync(qtbot: QtBot, tiles: list[VideoView], base: datetime, seconds: float) -> tuple[int, int, int]:
    """Sample both tiles' pictures every 10 ms for ``seconds``: (worst difference in frames, samples that differ,
    samples)."""
    worst, differ, samples = 0, 0, 0

    def sample() -> None:
        nonlocal worst, differ, samples
        a, b = (tile_time(t, base) for t in tiles)
        frames = round(abs(a - b) * FPS)  # both are frame times on the same 1/15 s grid
        worst = max(worst, frames)
        differ += frames > 0
        samples += 1

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(10)
    qtbot.wait(int(seconds * 1000))
    timer.stop()
    return worst, differ, samples


def test_two_tiles_show_the_frames_recorded_at_the_cursor_and_stay_in_step(
        qtbot: QtBot, grid: LiveGrid, recorded: tuple[RecordingRepository, datetime]) -> None:
    repo, base = recorded
    playback = ViewPlayback(grid, repo)
    at = base + timedelta(seconds=3.3)
    playback.enter(at)
    grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    tiles = grid.tiles
    qtbot.waitUntil(lambda: both_showing(tiles, at), timeout=5000)
    # The frames recorded at 3.3 s: cam01 frame 49 (3.2667 s), cam02 (from 2 s) frame 19 of its clip.
    assert [marker(t.current_frame) for t in tiles if t.current_frame] == [49, 19]
    # ... and that is what is painted on screen, not only what was decoded.
    qtbot.wait(50)
    for tile, expected in zip(tiles, (49, 19), strict=True):
        frame = tile.current_frame
        assert frame is not None
        shot = image_rgb(tile.grab().toImage())
        scale = min(tile.width() / frame.width, tile.height() / frame.height)  # letterboxed to fit the tile
        w, h = round(frame.width * scale), round(frame.height * scale)
        x0, y0 = (tile.width() - w) // 2, (tile.height() - h) // 2
        painted = shot[y0:y0 + h, x0:x0 + w]
        assert render.decode_frame_marker(painted, SIZE) == expected
        assert render.identify_camera(frame_rgb(frame)) == tile.camera.id if tile.camera else False

    playback.clock.play(1.0)
    worst_1x, off_1x, n_1x = measure_sync(qtbot, tiles, base, 10.0)
    playback.clock.set_speed(4.0)
    worst_4x, off_4x, n_4x = measure_sync(qtbot, tiles, base, 10.0)
    playback.clock.pause()
    print(f"sync over 10 s: 1x worst {worst_1x} frame(s), {off_1x}/{n_1x} samples apart; "
          f"4x worst {worst_4x} frame(s), {off_4x}/{n_4x} samples apart")
    assert n_1x > 500 and n_4x > 500
    assert worst_1x <= 1.0 and worst_4x <= 1.0
    # Played through 10 s at 1x and 40 s at 4x: both tiles are near 53 s now, and no gap was met on the way.
    assert all(isinstance(t.player, PlaybackPlayer) and t.player.notice == "" for t in tiles)
    assert abs(tile_time(tiles[0], base) - base.timestamp() - 53.3) < 1.5


def test_one_tile_plays_on_its_own_clock_and_gaps_are_covered(
        qtbot: QtBot, grid: LiveGrid, recorded: tuple[RecordingRepository, datetime]) -> None:
    repo, base = recorded
    playback = ViewPlayback(grid, repo)
    at = base + timedelta(seconds=10)
    playback.enter(at)
    grid.show_cameras([make_camera("cam01"), make_camera("cam02")])
    main_tile, own_tile = grid.tiles
    qtbot.waitUntil(lambda: both_showing(grid.tiles, at), timeout=5000)
    own = playback.set_independent(own_tile, True)
    own.play(2.0)
    qtbot.wait(600)
    assert tile_time(main_tile, base) == pytest.approx(base.timestamp() + 10 - 0.0, abs=1 / FPS)
    assert tile_time(own_tile, base) > base.timestamp() + 10.8  # it moved on; the main timeline did not
    assert playback.selected_clock() is playback.clock  # nothing selected: the timeline drives the main clock
    grid.select(own_tile)
    assert playback.selected_clock() is own
    own.pause()
    playback.set_independent(own_tile, False)
    qtbot.waitUntil(lambda: both_showing(grid.tiles, at), timeout=5000)  # back on the main timeline
    # Before cam02's recording starts: its tile says so (covered), cam01 plays on.
    playback.clock.seek(base + timedelta(seconds=1))
    qtbot.waitUntil(lambda: own_tile.player is not None and own_tile.player.notice == "no recording", timeout=3000)
    qtbot.wait(2 * 200 + 50)
    cover = next(c for c in own_tile.children() if type(c).__name__ == "_Cover")
    assert cover.isVisible() and cover.text == "no recording"  # type: ignore[attr-defined]
    assert "recording resumes at" in cover.detail  # type: ignore[attr-defined]
    shot = image_rgb(own_tile.grab().toImage())
    assert render.decode_frame_marker(shot[HEADER_H:], None) is None  # no old picture shows through
    main_player = main_tile.player
    assert main_player is not None and main_player.notice == ""  # type: ignore[attr-defined]


def test_a_view_switches_from_live_to_playback_and_back(
        qtbot: QtBot, grid: LiveGrid, recorded: tuple[RecordingRepository, datetime],
        wall_cameras: dict[str, Camera]) -> None:
    repo, base = recorded
    grid.set_camera_lookup(wall_cameras.get)
    grid.show_cameras([wall_cameras["cam01"], wall_cameras["cam02"]])
    qtbot.waitUntil(lambda: all(t.status == "live" for t in grid.tiles), timeout=10_000)
    assert all(isinstance(t.player, AvPlayer) for t in grid.tiles)
    playback = ViewPlayback(grid, repo)
    at = base + timedelta(seconds=20)
    playback.enter(at)
    qtbot.waitUntil(lambda: both_showing(grid.tiles, at), timeout=5000)
    assert [marker(t.current_frame) for t in grid.tiles if t.current_frame] == [0, 30]
    assert "paused" in grid.tiles[0].header_clock() if grid.tiles[0].header_clock else False
    grid.set_layout(preset("2x2"))  # new tiles join the playback (empty ones here)
    assert all(isinstance(t.source_override, object) and t.source_override is not None for t in grid.tiles)
    playback.leave()
    qtbot.waitUntil(lambda: all(isinstance(t.player, AvPlayer) and t.status == "live"
                                for t in grid.tiles if t.camera is not None), timeout=10_000)
    assert all(t.source_override is None and t.header_clock is None for t in grid.tiles)
