"""`c4desk demo` starts real servers and leaves none behind: on a normal exit, on Ctrl+C, and with the window."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
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


class Demo:
    """A ``c4desk demo`` child process whose output is read all the time by a thread: a demo (or its RTSP server,
    which shares the pipe) that writes more than the pipe holds must never block on a reader that stopped reading."""

    def __init__(self, data_dir: Path, media_cache: Path, *extra: str, sigint_ignored: bool = False) -> None:
        # PYTHONFAULTHANDLER: a demo that does not stop is sent SIGABRT (see exit_code), which prints every
        # thread's stack.
        env = {**os.environ, "C4DESK_CACHE_DIR": str(media_cache), "QT_QPA_PLATFORM": "offscreen",
               "PYTHONFAULTHANDLER": "1"}
        # A shell's background job (`c4desk demo --no-window &`, a CI script run in the background) starts with
        # SIGINT ignored; the child inherits the disposition the test sets around the start.
        before = signal.signal(signal.SIGINT, signal.SIG_IGN) if sigint_ignored else None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "c4desk", "--data-dir", str(data_dir), "demo", "--clip-seconds", "4",
                 "--cameras", "cam01,lpr01", *extra],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
        finally:
            if before is not None:
                signal.signal(signal.SIGINT, before)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, name="demo-output", daemon=True)
        self._reader.start()
        self.server_pid: int | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_server_pid(self, timeout: float = 120.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            for line in list(self.lines):
                if m := re.search(r"server pid (\d+)", line):
                    self.server_pid = int(m.group(1))
                    return self.server_pid
            time.sleep(0.05)
        self.kill()
        raise AssertionError("demo never reported its server:\n" + self.output())

    def exit_code(self, timeout: float) -> int:
        """The demo's exit code once it has ended; a demo still running after ``timeout`` fails the test with what
        it printed and where each of its threads was (and is killed, with its server)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # faulthandler dumps the stacks, then the process dies
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            self.kill()
            self._reader.join(timeout=2)
            pytest.fail(f"the demo did not stop within {timeout:.0f} s; it printed:\n{self.output()}")

    def kill(self) -> None:
        """Kill the demo and its RTSP server (which runs in its own process group)."""
        self.proc.kill()
        self.proc.wait()
        if self.server_pid is not None and alive(self.server_pid):
            os.killpg(self.server_pid, signal.SIGKILL)

    def __enter__(self) -> Demo:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def demo_port_settings(data_dir: Path) -> Path:
    # Any free port, so a developer's running demo on 8554 does not collide with the test.
    (data_dir / "settings.json").write_text('{"demo": {"rtsp_port": 0}, "hub": {"listen": "127.0.0.1:0"}}')
    return data_dir


def test_servers_stop_on_normal_exit(demo_port_settings: Path, media_cache: Path) -> None:
    with Demo(demo_port_settings, media_cache, "--no-window", "--duration", "2") as demo:
        pid = demo.wait_for_server_pid()
        assert alive(pid)
        assert demo.exit_code(30) == 0
    assert not alive(pid)


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_servers_stop_on_ctrl_c(demo_port_settings: Path, media_cache: Path, inherited: str) -> None:
    with Demo(demo_port_settings, media_cache, "--no-window", sigint_ignored=inherited == "ignored") as demo:
        pid = demo.wait_for_server_pid()
        time.sleep(0.5)
        demo.proc.send_signal(signal.SIGINT)
        assert demo.exit_code(30) == 130, demo.output()
        assert "stopping the demo city" in demo.output()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_servers_stop_on_sigterm(demo_port_settings: Path, media_cache: Path) -> None:
    """`kill PID` (or a service manager's stop) is a clean stop too: exit 143, the RTSP server gone with it."""
    with Demo(demo_port_settings, media_cache, "--no-window") as demo:
        pid = demo.wait_for_server_pid()
        time.sleep(0.5)
        demo.proc.send_signal(signal.SIGTERM)
        assert demo.exit_code(30) == 143, demo.output()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_servers_stop_when_the_window_closes(demo_port_settings: Path, media_cache: Path, tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    with Demo(demo_port_settings, media_cache, "--screenshot", str(shot), "--after", "2") as demo:
        pid = demo.wait_for_server_pid()
        assert demo.exit_code(60) == 0, demo.output()
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
