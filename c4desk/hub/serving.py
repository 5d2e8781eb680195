"""Running a stdlib HTTP server on a background thread, with a prompt, idempotent stop.

The hub's ingest endpoint and the demo's stand-in services (VAPIX cameras, owner look-up) all need exactly this.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackgroundHttpServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], *, host: str = "127.0.0.1", port: int = 0,
                 name: str = "http") -> None:
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def start(self) -> None:
        # A short poll interval makes stop() prompt (shutdown waits for the next poll).
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            self.httpd.server_close()
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(2.0)
        self._thread = None
