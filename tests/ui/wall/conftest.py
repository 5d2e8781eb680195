"""Wall fixtures: nine demo cameras rendered small (320x180, 4 s, cached in the media cache) on a real
gst-rtsp-server, plus cam01's 640x360 "main" stream for the sub/main switch, and helpers to read pixels."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from c4desk.demo import city, render
from c4desk.demo.servers import SupervisedRtspServer
from c4desk.domain.camera import Camera
from c4desk.media.player import Frame

WALL_IDS = tuple(p.id for p in city.PLACEMENTS if p.id.startswith("cam"))[:9]
SMALL = (320, 180)
SECONDS = 4.0


@pytest.fixture(scope="session")
def wall_clips(media_cache: Path) -> dict[str, Path]:
    placements = [p for p in city.PLACEMENTS if p.id in WALL_IDS]
    return render.render_all(media_cache, placements=placements, seconds=SECONDS, size=SMALL)


@pytest.fixture(scope="session")
def main_clip(media_cache: Path) -> Path:
    placement = next(p for p in city.PLACEMENTS if p.id == "cam01")
    return render.render_all(media_cache, placements=[placement], seconds=SECONDS, size=(640, 360))["cam01"]


def SupervisedServer(clips: dict[str, Path]) -> SupervisedRtspServer:
    """The demo RTSP server (RTSP and HTTP-TS) under the shared supervisor: one gst-rtsp-server abort must not fail
    every later test that shares the session's server (see SupervisedRtspServer)."""
    return SupervisedRtspServer(clips, port=0, period=SECONDS, http_port=0).start()


@pytest.fixture(scope="session")
def wall_server(wall_clips: dict[str, Path], main_clip: Path) -> Iterator[SupervisedRtspServer]:
    server = SupervisedServer({**wall_clips, "cam01-main": main_clip})
    yield server
    server.stop()


def make_camera(camera_id: str, main: str = "", sub: str = "") -> Camera:
    p = next((p for p in city.PLACEMENTS if p.id == camera_id), None)
    return Camera(id=camera_id, name=p.name if p else camera_id, lat=41.76, lon=-72.67, stream_main=main,
                  stream_sub=sub)


@pytest.fixture(scope="session")
def wall_cameras(wall_server: SupervisedRtspServer) -> dict[str, Camera]:
    """The nine cameras on the server; cam01 has a 640x360 main stream and a 320x180 sub stream."""
    cams = {cid: make_camera(cid, wall_server.url(cid), wall_server.url(cid)) for cid in WALL_IDS}
    cams["cam01"] = make_camera("cam01", wall_server.url("cam01-main"), wall_server.url("cam01"))
    return cams


def frame_rgb(frame: Frame) -> np.ndarray:
    """BGRA bytes -> HxWx3 RGB array."""
    raw = np.frombuffer(frame.data, np.uint8)[: frame.stride * frame.height]
    return raw.reshape(frame.height, frame.stride // 4, 4)[:, : frame.width, [2, 1, 0]]


def image_rgb(image: QImage) -> np.ndarray:
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(img.constBits(), np.uint8)[: img.bytesPerLine() * img.height()]
    return raw.reshape(img.height(), img.bytesPerLine() // 4, 4)[:, : img.width(), [2, 1, 0]].copy()


def mean_luma(rgb: np.ndarray) -> float:
    return float((rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).mean())


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class FakeRtspAuth:
    """A server that answers every RTSP request with 401 (a camera whose credentials are wrong). Real
    sockets; a test double only because gst-rtsp-server here is started without authentication."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="fake-rtsp-401").start()

    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/stream"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    request, buf = buf.split(b"\r\n\r\n", 1)
                    cseq = next((line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                                 if line.lower().startswith(b"cseq:")), b"1")
                    conn.sendall(b"RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq
                                 + b'\r\nWWW-Authenticate: Basic realm="camera"\r\nContent-Length: 0\r\n\r\n')

    def close(self) -> None:
        self._listener.close()
