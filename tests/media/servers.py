"""Real HTTP servers on 127.0.0.1 for the player tests (sockets, threads, no mocks).

Why a small Python server and not `ffmpeg -re -stream_loop -1 ... -listen 1 http://...`: ffmpeg's HTTP
listener serves exactly one client and then exits, and the only way to know that it listens is to connect,
which uses up that one client. A server in the test process is listening before the fixture returns, serves
any number of clients, can be made to die at a chosen moment (kill(): listener and every connection closed),
and the same code gives the misbehaving servers (401, text, silence). It streams a real MPEG-TS file (muxed by
FFmpeg through PyAV) paced by the file's own PCR clock, as a camera or a gateway would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

TS_PACKET = 188


def ts_schedule(data: bytes) -> list[tuple[int, float]]:
    """(byte offset, seconds) for each TS packet that carries a PCR, relative to the first PCR."""
    marks: list[tuple[int, float]] = []
    first: float | None = None
    for off in range(0, len(data) - TS_PACKET + 1, TS_PACKET):
        pkt = data[off : off + TS_PACKET]
        if pkt[0] != 0x47 or not pkt[3] & 0x20 or pkt[4] < 7 or not pkt[5] & 0x10:
            continue  # no adaptation field with a PCR
        base = (pkt[6] << 25) | (pkt[7] << 17) | (pkt[8] << 9) | (pkt[9] << 1) | (pkt[10] >> 7)
        ext = ((pkt[10] & 1) << 8) | pkt[11]
        t = (base * 300 + ext) / 27_000_000
        if first is None:
            first = t
        marks.append((off, t - first))
    return marks


class HttpServer:
    """A threaded TCP server on 127.0.0.1 whose `handler(conn)` answers each connection."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.dead = threading.Event()
        self.connections = 0
        self._accepter = threading.Thread(target=self._accept, name="test-http-accept", daemon=True)
        self._accepter.start()

    def url(self, path: str = "/stream.ts") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.dead.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self.dead.is_set():
                    conn.close()
                    return
                self._conns.add(conn)
                self.connections += 1
                t = threading.Thread(target=self._serve, args=(conn,), name="test-http-conn", daemon=True)
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            read_request(conn)
            self._handler(conn)
            if not self.dead.is_set():
                conn.shutdown(socket.SHUT_WR)  # a clean end of stream
                conn.settimeout(2.0)
                while conn.recv(4096):
                    pass
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def kill(self) -> None:
        """The server dies: stop listening and cut every connection."""
        self.dead.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._accepter.join(timeout=2)
        for t in list(self._threads):
            t.join(timeout=2)


def read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5.0)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    conn.settimeout(None)
    return data


def ts_stream_handler(path: Path, stop_after_s: float | None = None) -> Callable[[socket.socket], None]:
    """Serve an MPEG-TS file at its real rate (from its PCRs); optionally go silent after `stop_after_s`."""
    data = path.read_bytes()
    marks = [*ts_schedule(data), (len(data), float("inf"))]

    def handler(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\nCache-Control: no-cache\r\n\r\n")
        start = time.monotonic()
        sent = 0
        for off, t in marks:
            if stop_after_s is not None and t > stop_after_s:
                while True:  # the camera hangs: connection open, nothing more
                    if not conn.recv(4096):
                        return
            delay = start + t - time.monotonic()
            if delay > 0 and t != float("inf"):
                time.sleep(delay)
            conn.sendall(data[sent:off])
            sent = off

    return handler


def status_handler(status: str, body: bytes, content_type: str, extra: str = "") -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    return handler


def silent_handler(conn: socket.socket) -> None:
    """Accept, read the request, never answer (until the client or the test hangs up)."""
    while conn.recv(4096):
        pass


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
