"""The demo RTSP server with a login, as a real camera asks for one: checked at the protocol level with a plain
RTSP client on a socket (DESCRIBE, the 401 and its challenge, Basic and Digest answers) and plain HTTP, so what is
proven is the server's behaviour, not one client's. The players' side (PyAV, libvlc, the wall) is in
tests/media/test_player_login.py and tests/ui/wall/test_tile_login.py. Servers start once for this module."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from c4desk.demo import render, servers
from c4desk.demo.city import PLACEMENTS

pytestmark = pytest.mark.slow

USER, PASSWORD = "root", "p@ss:w/rd é"
REALM = "c4desk demo camera"


@pytest.fixture(scope="module")
def clips(media_cache: Path) -> dict[str, Path]:
    return render.render_all(media_cache, placements=[p for p in PLACEMENTS if p.id == "cam01"], seconds=4.0,
                             size=(320, 180))


@pytest.fixture(scope="module")
def digest_camera(clips: dict[str, Path]) -> Iterator[servers.SupervisedRtspServer]:
    server = servers.SupervisedRtspServer(clips, period=4.0, http_port=0, auth=(USER, PASSWORD)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def basic_camera(clips: dict[str, Path]) -> Iterator[servers.RtspServer]:
    with servers.RtspServer(clips, period=4.0, auth=(USER, PASSWORD), auth_method="basic") as server:
        yield server


def describe(url: str, authorization: str = "") -> tuple[int, dict[str, list[str]], str]:
    """One RTSP DESCRIBE on a fresh connection: status code, headers (lower-case names), body."""
    host, port = url.split("/")[2].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n"
        request += f"Authorization: {authorization}\r\n" if authorization else ""
        sock.sendall((request + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"connection closed after {data!r}"
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(headers.get("content-length", ["0"])[0])
        while len(body) < length:
            body += sock.recv(4096)
    return int(lines[0].split()[1]), headers, body.decode("utf-8", "replace")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def digest(url: str, challenge: str, user: str, password: str) -> str:
    """The answer to a Digest challenge (RFC 2617 without qop, as gst-rtsp-server asks)."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    assert "qop" not in fields, challenge

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    realm, nonce = fields["realm"], fields["nonce"]
    response = md5(":".join((md5(f"{user}:{realm}:{password}"), nonce, md5(f"DESCRIBE:{url}"))))
    return f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{url}", response="{response}"'


def test_digest_camera_asks_for_a_login_and_accepts_only_the_right_one(
        digest_camera: servers.SupervisedRtspServer) -> None:
    url = digest_camera.url("cam01")
    status, headers, _ = describe(url)
    assert status == 401
    (challenge,) = headers["www-authenticate"]
    assert challenge.startswith("Digest ") and f'realm="{REALM}"' in challenge and "nonce=" in challenge
    status, _, sdp = describe(url, digest(url, challenge, USER, PASSWORD))
    assert status == 200 and "m=video" in sdp
    assert describe(url, digest(url, challenge, USER, "wrong"))[0] == 401
    assert describe(url, digest(url, challenge, "admin", PASSWORD))[0] == 401
    # Basic credentials sent unasked are accepted too (clients that always send them).
    assert describe(url, basic(USER, PASSWORD))[0] == 200


def test_basic_camera_asks_for_basic(basic_camera: servers.RtspServer) -> None:
    url = basic_camera.url("cam01")
    status, headers, _ = describe(url)
    assert status == 401 and headers["www-authenticate"] == [f'Basic realm="{REALM}"']
    assert describe(url, basic(USER, PASSWORD))[0] == 200
    assert describe(url, basic(USER, "wrong"))[0] == 401


def test_http_mpegts_asks_for_basic(digest_camera: servers.SupervisedRtspServer) -> None:
    url = digest_camera.http_url("cam01")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=5)
    refused.value.close()
    assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"] == f'Basic realm="{REALM}"'
    wrong = urllib.request.Request(url, headers={"Authorization": basic(USER, "wrong")})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=5)
    refused.value.close()
    assert refused.value.code == 401
    right = urllib.request.Request(url, headers={"Authorization": basic(USER, PASSWORD)})
    with urllib.request.urlopen(right, timeout=5) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "video/mp2t"
        assert response.read(188)[0] == 0x47  # an MPEG-TS sync byte


def test_a_restarted_server_still_asks_for_the_login(digest_camera: servers.SupervisedRtspServer) -> None:
    pid = digest_camera.pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while (digest_camera.restarts < 1 or not digest_camera.running) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert digest_camera.restarts >= 1 and digest_camera.pid != pid
    url = digest_camera.url("cam01")
    status, headers, _ = describe(url)
    assert status == 401
    assert describe(url, digest(url, headers["www-authenticate"][0], USER, PASSWORD))[0] == 200


@pytest.mark.parametrize(("auth", "method"), [(("a:b", "x"), "digest"), (("", "x"), "digest"), (("a", ""), "basic"),
                                              (("a", "x"), "ntlm")])
def test_bad_logins_are_refused_before_anything_starts(clips: dict[str, Path], auth: tuple[str, str],
                                                       method: str) -> None:
    with pytest.raises(ValueError, match="auth"):
        servers.RtspServer(clips, auth=auth, auth_method=method)  # type: ignore[arg-type]
