"""The demo RTSP server against a real client: gst-rtsp-server (Debian's) serving short rendered clips, decoded
over RTSP/TCP with PyAV. Proves the identity of each mount, gapless looping with continuous timestamps, phase
lock to the wall clock across cameras, and that no server process outlives a stop() or a dead parent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import av
import pytest

from c4desk.demo import render, servers
from c4desk.demo.city import PLACEMENTS

pytestmark = pytest.mark.slow

BY_ID = {p.id: p for p in PLACEMENTS}
SIZE = (320, 180)
PERIOD = 4.0
FPS = 15
FRAMES = int(PERIOD * FPS)
# Open fast: without fpsprobesize=0 FFmpeg spends ~1.4 s measuring the frame rate before returning.
OPTIONS = {"rtsp_transport": "tcp", "fpsprobesize": "0", "analyzeduration": "500000"}


@dataclass(frozen=True)
class Got:
    arrival: float  # wall clock when the frame came out of the decoder
    time: float | None  # presentation time in seconds
    marker: int | None
    colour: tuple[int, int, int]


def record(url: str, seconds: float, out: list[Got]) -> None:
    with av.open(url, options=OPTIONS, timeout=5) as container:
        start = time.time()
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            out.append(Got(time.time(), frame.time, render.decode_frame_marker(rgb), render.identity_colour(rgb)))
            if time.time() - start > seconds:
                break


@pytest.fixture(scope="module")
def clips(media_cache: Path) -> dict[str, Path]:
    return render.render_all(media_cache, placements=[BY_ID[i] for i in ("cam01", "cam02", "ptz01")],
                             seconds=PERIOD, size=SIZE)


@pytest.fixture(scope="module")
def server(clips: dict[str, Path]):  # type: ignore[no-untyped-def]
    with servers.RtspServer(clips, period=PERIOD, http_port=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def recorded(server: servers.RtspServer) -> dict[str, list[Got]]:
    """Two cameras decoded at the same time for 1.5 loops."""
    got: dict[str, list[Got]] = {"cam01": [], "ptz01": []}
    threads = [threading.Thread(target=record, args=(server.url(cid), PERIOD * 1.5, got[cid])) for cid in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return got


def test_url_and_pid(server: servers.RtspServer) -> None:
    assert server.url("cam02") == f"rtsp://127.0.0.1:{server.port}/cam02"
    assert server.pid is not None and server.running
    with pytest.raises(KeyError):
        server.url("nope")


def test_each_mount_shows_its_camera(recorded: dict[str, list[Got]], server: servers.RtspServer) -> None:
    more: list[Got] = []
    record(server.url("cam02"), 0.3, more)
    for camera_id, frames in {**recorded, "cam02": more}.items():
        expected = render.camera_colour(camera_id)
        assert frames, camera_id
        for got in frames[::5]:
            assert all(abs(a - b) <= 30 for a, b in zip(got.colour, expected, strict=True)), (camera_id, got)


def test_loops_gaplessly_with_continuous_timestamps(recorded: dict[str, list[Got]]) -> None:
    frames = recorded["cam01"]
    markers = [g.marker for g in frames]
    times = [g.time for g in frames if g.time is not None]
    assert None not in markers
    assert len(frames) >= FRAMES * 1.3
    # Every frame follows its predecessor, across the seam too: nothing lost, nothing repeated.
    assert all((b - a) % FRAMES == 1 for a, b in pairwise(markers)), markers
    assert any(b < a for a, b in pairwise(markers)), "never crossed the loop seam"
    # Presentation times increase by one frame each, from the very first frame, so a loop lasts exactly the period.
    steps = [b - a for a, b in pairwise(times)]
    assert all(abs(step - 1 / FPS) < 0.002 for step in steps), steps
    assert times[-1] - times[0] > PERIOD


def test_cameras_are_phase_locked_to_the_wall_clock(recorded: dict[str, list[Got]],
                                                   server: servers.RtspServer) -> None:
    def lag(frames: list[Got]) -> float:
        """Median of (wall loop time - shown loop time) over frames delivered after the opening burst."""
        start = frames[0].arrival
        lags = []
        for got in frames:
            if got.arrival - start < 1.0 or got.marker is None:
                continue
            wall = (got.arrival - server.epoch) % PERIOD
            lags.append((wall - got.marker / FPS + PERIOD / 2) % PERIOD - PERIOD / 2)
        assert len(lags) > 10
        return sorted(lags)[len(lags) // 2]

    a, b = lag(recorded["cam01"]), lag(recorded["ptz01"])
    assert abs(a - b) < 0.5, (a, b)
    assert -0.2 < a < 1.0, a  # the stream trails the wall clock by its latency, never leads it


def test_http_mpegts_is_looped_in_phase_too(server: servers.RtspServer) -> None:
    url = server.http_url("cam02")
    assert url == f"http://127.0.0.1:{server.http_port}/cam02.ts"
    frames: list[Got] = []
    record(url, 2.0, frames)
    markers = [g.marker for g in frames]
    assert None not in markers and len(frames) > 20
    assert all((b - a) % FRAMES == 1 for a, b in pairwise(markers)), markers
    assert all(max(abs(a - b) for a, b in zip(g.colour, render.camera_colour("cam02"), strict=True)) <= 30
               for g in frames)
    lags = sorted(((g.arrival - server.epoch) % PERIOD - g.marker / FPS + PERIOD / 2) % PERIOD - PERIOD / 2
                  for g in frames[FPS:] if g.marker is not None)
    assert -0.2 < lags[len(lags) // 2] < 1.0


def test_libvlc_plays_the_http_stream(server: servers.RtspServer) -> None:
    vlc = pytest.importorskip("vlc")
    instance = vlc.Instance("--vout=dummy", "--aout=dummy", "--no-audio", "--quiet")
    player = instance.media_player_new()
    try:
        player.set_media(instance.media_new(server.http_url("ptz01")))
        player.play()
        deadline = time.monotonic() + 5
        while player.get_time() < 1000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert player.get_state() == vlc.State.Playing
        assert player.get_time() >= 1000
        assert player.video_get_size(0) == SIZE
    finally:
        player.stop()
        player.release()
        instance.release()


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_stop_leaves_no_process_and_frees_the_port(clips: dict[str, Path]) -> None:
    srv = servers.RtspServer({"cam01": clips["cam01"]}, period=PERIOD).start()
    pid, port = srv.pid, srv.port
    assert pid is not None and port is not None and _alive(pid) and not _port_free(port)
    srv.stop()
    srv.stop()  # idempotent
    assert not _alive(pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert _port_free(port)
    assert srv.pid is None and not srv.running


def test_start_failure_reports_the_servers_stderr(tmp_path: Path) -> None:
    srv = servers.RtspServer({"cam01": tmp_path / "missing.mp4"})
    with pytest.raises(servers.ServerError, match="no such file"):
        srv.start()
    assert srv.pid is None


PARENT = """
import sys, time
from pathlib import Path
from c4desk.demo.servers import RtspServer
srv = RtspServer({"cam01": Path(sys.argv[1])}, period=float(sys.argv[2])).start()
print(srv.pid, flush=True)
time.sleep(60)
"""


def test_server_dies_with_its_parent(clips: dict[str, Path]) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(clips["cam01"]), str(PERIOD)],
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    pid = None
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert _alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "RTSP server outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if pid is not None and _alive(pid):
            os.killpg(pid, signal.SIGKILL)
