"""Owner look-up against a small real HTTP server on loopback (a stand-in for an agency's registry service)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from c4desk.integrations.owner_lookup import OwnerLookupClient, OwnerLookupError, OwnerRecord

TOKEN = "registry-token"
OWNERS: dict[str, Any] = {
    "6PZ193": {"name": "Jane Roe", "address": "1 Main St, Hartford CT", "lat": 41.7658, "lon": -72.6734,
               "vehicle": {"make": "HOND", "model": "ACCORD", "year": 2019, "colour": None}},
    "TEXTV1": {"name": "John Doe", "address": "2 Elm St", "lat": None, "lon": "", "vehicle": "blue van"},
    "NONAME": {"address": "3 Oak St"},
    "BADLAT": {"name": "X", "address": "Y", "lat": 123.0},
}


class Registry(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        plate = self.path.rsplit("/", 1)[-1]
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, b'{"error": "unauthorised"}')
        if plate == "SLOW":
            time.sleep(1.0)
        if plate == "BROKEN":
            return self._send(500, b"oops")
        if plate == "NOTJSON":
            return self._send(200, b"<html>login</html>", "text/html")
        if plate not in OWNERS:
            return self._send(404, b'{"error": "no record"}')
        return self._send(200, json.dumps(OWNERS[plate]).encode())

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def test_found_and_not_found(base_url: str) -> None:
    with OwnerLookupClient(base_url, token=TOKEN) as client:
        assert client.lookup("6pz-193") == OwnerRecord(
            plate="6PZ193", name="Jane Roe", address="1 Main St, Hartford CT", lat=41.7658, lon=-72.6734,
            vehicle={"make": "HOND", "model": "ACCORD", "year": "2019", "colour": ""})
        record = client.lookup("TEXTV1")
        assert record is not None and (record.lat, record.lon, record.vehicle) == (
            None, None, {"description": "blue van"})
        assert client.lookup("NOBODY1") is None


@pytest.mark.parametrize(("plate", "token", "message"), [
    ("6PZ193", "wrong", "refused the request (HTTP 401): check the token"),
    ("BROKEN", TOKEN, "answered HTTP 500"),
    ("NOTJSON", TOKEN, "answered something that is not JSON"),
    ("NONAME", TOKEN, "answered badly: the answer lacks name"),
    ("BADLAT", TOKEN, "answered badly: bad lat: 123.0"),
    ("SLOW", TOKEN, "did not answer within 0.25 s"),
])
def test_failures_become_clear_messages(base_url: str, plate: str, token: str, message: str) -> None:
    with OwnerLookupClient(base_url, token=token, timeout=0.25 if plate == "SLOW" else 5) as client, \
            pytest.raises(OwnerLookupError, match=re.escape(message)) as exc:
        client.lookup(plate)
    assert exc.value.__cause__ is None and "127.0.0.1" in str(exc.value)


def test_unreachable_service() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with OwnerLookupClient(f"http://127.0.0.1:{port}") as client, \
            pytest.raises(OwnerLookupError, match=rf"127.0.0.1:{port} is unreachable \(Connection refused\)"):
        client.lookup("ABC123")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="expected http"):
        OwnerLookupClient("ftp://registry")
    with OwnerLookupClient("http://127.0.0.1:9") as client, pytest.raises(ValueError, match="no plate"):
        client.lookup(" - ")
