"""libvlc drawing into a native window (how production tiles can render on X11): a real Xvfb, a real xcb Qt
app with one wall tile, HTTP MPEG-TS from the demo server, and the X screen's pixels read back."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from c4desk.demo.servers import SupervisedRtspServer

REPO = Path(__file__).resolve().parents[3]
HINT = ("needs Qt's xcb plugin libraries (apt-get install libxcb-icccm4 libxcb-cursor0 libxkbcommon-x11-0) and "
        "libvlc's X11 video outputs (apt-get install vlc-plugin-video-output)")


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a display it picks itself (-displayfd), so parallel runs never collide."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    line = b""
    try:
        # Read the whole line: closing the pipe before Xvfb has written its newline would kill it (SIGPIPE).
        while not line.endswith(b"\n") and select.select([read_fd], [], [], 10)[0]:
            chunk = os.read(read_fd, 32)
            if not chunk:
                break
            line += chunk
    finally:
        os.close(read_fd)
    display = line.decode().strip()
    if not display:
        proc.kill()
        proc.wait()
        pytest.fail("Xvfb did not report its display within 10 s")
    return proc, f":{display}"


@pytest.mark.xvfb
def test_libvlc_draws_a_tile_into_a_native_window(wall_server: SupervisedRtspServer) -> None:
    xvfb, display = start_xvfb()
    try:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        app = subprocess.run([sys.executable, "-m", "tests.ui.wall.native_embed_app", wall_server.http_url("cam02")],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    lines = app.stdout.strip().splitlines()
    assert app.returncode == 0 and lines, f"{HINT}\nexit {app.returncode}\n{app.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert result["status"] == "live", (result, HINT)
    assert result["native"], "the tile decoded into memory instead of handing libvlc a window"
    # What is on the X screen where the tile's video surface is: cam02's picture, drawn by libvlc.
    assert result["luma"] > 40 and result["black"] < 0.3, (result, HINT)
    assert result["camera"] == "cam02", result
