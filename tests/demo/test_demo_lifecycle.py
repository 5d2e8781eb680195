"""`c4desk demo` starts real servers and leaves none behind: on a normal exit, on Ctrl+C, and with the window."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start_demo(data_dir: Path, media_cache: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "C4DESK_CACHE_DIR": str(media_cache), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "c4desk", "--data-dir", str(data_dir), "demo", "--clip-seconds", "4",
         "--cameras", "cam01,lpr01", *extra],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for_server_pid(proc: subprocess.Popen[str], timeout: float = 120.0) -> tuple[int, list[str]]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(r"server pid (\d+)", line)
        if m:
            return int(m.group(1)), seen
    proc.kill()
    raise AssertionError("demo never reported its server:\n" + "".join(seen))


@pytest.fixture
def demo_port_settings(data_dir: Path) -> Path:
    # Any free port, so a developer's running demo on 8554 does not collide with the test.
    (data_dir / "settings.json").write_text('{"demo": {"rtsp_port": 0}, "hub": {"listen": "127.0.0.1:0"}}')
    return data_dir


def test_servers_stop_on_normal_exit(demo_port_settings: Path, media_cache: Path) -> None:
    with start_demo(demo_port_settings, media_cache, "--no-window", "--duration", "2") as proc:
        pid, _ = wait_for_server_pid(proc)
        assert alive(pid)
        assert proc.wait(timeout=30) == 0
    assert not alive(pid)


def test_servers_stop_on_ctrl_c(demo_port_settings: Path, media_cache: Path) -> None:
    with start_demo(demo_port_settings, media_cache, "--no-window") as proc:
        pid, _ = wait_for_server_pid(proc)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_servers_stop_when_the_window_closes(demo_port_settings: Path, media_cache: Path, tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    with start_demo(demo_port_settings, media_cache, "--screenshot", str(shot), "--after", "2") as proc:
        pid, seen = wait_for_server_pid(proc)
        assert proc.wait(timeout=60) == 0, "".join(seen)
    assert shot.stat().st_size > 10_000
    assert not alive(pid)


def test_a_dead_rtsp_server_is_restarted_on_its_port(data_dir: Path, media_cache: Path) -> None:
    from c4desk.config import Paths
    from c4desk.demo.run import DemoCity, DemoOptions
    from c4desk.hub.services import Services
    from c4desk.store.db import sqlite_url

    services = Services.open(sqlite_url(data_dir / "c4desk.sqlite"))
    demo = DemoCity(services, Paths(data_dir), DemoOptions(clip_seconds=4, camera_ids=("cam01",), rtsp_port=0,
                                                           clip_dir=media_cache))
    try:
        demo.start()
        assert demo.server is not None
        first_pid, port = demo.server.pid, demo.server.port
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while demo.server.restarts == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert demo.server.restarts == 1
        assert demo.server.running and demo.server.port == port and demo.server.pid != first_pid
    finally:
        demo.stop()
        services.close()
    assert not alive(first_pid)
