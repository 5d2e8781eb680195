"""The one place a camera's login meets its stream URL: ``url_with_login`` (percent-encoded, read back exactly by
``urllib.parse`` for any user and password, ``@ : / % #`` and non-ASCII included), ``redact`` / ``redact_text``
(the password never survives), and the keyring lookup a player is given (a real owner-only secrets file: the tests
run with the null keyring)."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4desk.credentials import put_secret
from c4desk.media.stream_login import (
    REDACTED,
    camera_login_lookup,
    credential_ref_problem,
    login_refused_reason,
    redact,
    redact_text,
    url_with_login,
)

# Any text a person could type as a user or password (no surrogates: not encodable; no NUL: no C string takes it).
TYPED = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=24)
HOSTS = st.sampled_from(["127.0.0.1", "cam07.site.example", "[::1]", "[fe80::1]", "axis-q6135"])
PORTS = st.one_of(st.none(), st.integers(1, 65535))
PATHS = st.sampled_from(["", "/", "/axis-media/media.amp", "/cam01", "/a/b?resolution=640x360&fps=15",
                         "/live#frag", "/Streaming/Channels/101?transportmode=unicast"])
SCHEMES = st.sampled_from(["rtsp", "rtsps", "http", "https"])


def build(scheme: str, host: str, port: int | None, path: str, userinfo: str = "") -> str:
    return f"{scheme}://{userinfo + '@' if userinfo else ''}{host}{'' if port is None else f':{port}'}{path}"


@settings(max_examples=300, deadline=None)
@given(SCHEMES, HOSTS, PORTS, PATHS, TYPED, TYPED)
def test_login_round_trips_through_urllib(scheme: str, host: str, port: int | None, path: str, user: str,
                                          password: str) -> None:
    plain = build(scheme, host, port, path)
    url = url_with_login(plain, (user, password))
    parts, before = urlsplit(url), urlsplit(plain)
    assert parts.username is not None and unquote(parts.username) == user
    assert parts.password is not None and unquote(parts.password) == password
    # Nothing else moved: the host, port, path, query and fragment are the plain URL's.
    assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.query, parts.fragment) == (
        before.scheme, before.hostname, before.port, before.path, before.query, before.fragment)
    assert not any(c in parts.netloc.rpartition("@")[0] for c in "@/?#") and parts.netloc.count("@") == 1


@settings(max_examples=300, deadline=None)
@given(SCHEMES, HOSTS, PORTS, PATHS, TYPED, TYPED)
def test_redact_removes_the_password_and_keeps_the_rest(scheme: str, host: str, port: int | None, path: str,
                                                         user: str, password: str) -> None:
    plain = build(scheme, host, port, path)
    secret = "S3cr" + password  # never a piece of the host, path or user by accident
    url = url_with_login(plain, (user, secret))
    shown = redact(url)
    parts = urlsplit(shown)
    assert parts.password == REDACTED
    assert parts.username is not None and unquote(parts.username) == user
    assert (parts.hostname, parts.port, parts.path) == (urlsplit(plain).hostname, urlsplit(plain).port,
                                                        urlsplit(plain).path)
    encoded = urlsplit(url).password
    assert encoded is not None and encoded not in shown and secret not in shown
    # The same inside free text (FFmpeg quotes the URL it failed on), and redacting twice changes nothing more.
    message = f"Server returned 401 Unauthorized (authorization failed): '{url}'"
    assert redact_text(message) == f"Server returned 401 Unauthorized (authorization failed): '{shown}'"
    assert redact(shown) == shown


@given(SCHEMES, HOSTS, PORTS, PATHS)
def test_urls_without_a_password_are_unchanged(scheme: str, host: str, port: int | None, path: str) -> None:
    plain = build(scheme, host, port, path)
    assert redact(plain) == plain
    assert url_with_login(plain, None) == plain
    assert redact(build(scheme, host, port, path, "viewer")) == build(scheme, host, port, path, "viewer")


def test_a_given_login_replaces_the_urls_user_and_none_keeps_it() -> None:
    assert url_with_login("rtsp://old@cam/x", None) == "rtsp://old@cam/x"
    assert url_with_login("rtsp://old:pw@cam/x", ("new", "p")) == "rtsp://new:p@cam/x"
    assert url_with_login("rtsp://cam:554/x", ("root", "p@ss:w/rd%#é")) == (
        "rtsp://root:p%40ss%3Aw%2Frd%25%23%C3%A9@cam:554/x")
    assert url_with_login("rtsp://cam/x", ("root", "")) == "rtsp://root@cam/x"
    # No host to log in to: files and plain paths are left alone.
    assert url_with_login("file:///srv/clip.mp4", ("u", "p")) == "file:///srv/clip.mp4"
    assert url_with_login("/srv/clip.mp4", ("u", "p")) == "/srv/clip.mp4"


def test_redact_examples() -> None:
    assert redact("rtsp://root:pass@10.0.0.7:554/axis-media/media.amp") == (
        "rtsp://root:***@10.0.0.7:554/axis-media/media.amp")
    assert redact("rtsp://:pass@cam/x") == "rtsp://:***@cam/x"
    # An unencoded '@' in the password: urllib and FFmpeg both take the last '@' of the authority.
    assert redact("rtsp://root:p@ss@cam/x") == "rtsp://root:***@cam/x"
    # Passwords some cameras take in the query string.
    assert redact("http://cam/mjpg/video.cgi?user=root&pwd=hunter2&fps=5#x") == \
        "http://cam/mjpg/video.cgi?user=root&pwd=***&fps=5#x"
    assert redact("http://cam/a?Password=x") == "http://cam/a?Password=***"
    # Not URLs, or malformed ones: unchanged, never an exception.
    for text in ("", "cam01", "/srv/a.mp4", "rtsp://[::1", "://x:y@z", "no url here"):
        assert redact(text) == text
    assert redact_text("two: rtsp://a:b@h1/x and http://c:d@h2/y.") == "two: rtsp://a:***@h1/x and http://c:***@h2/y."


def test_lookup_reads_the_stored_login(data_dir: Path) -> None:
    """The real secret store (the null keyring of the tests, so the owner-only file fallback)."""
    assert camera_login_lookup(data_dir, "") is None
    assert camera_login_lookup(None, "camera-cam07") is None
    lookup = camera_login_lookup(data_dir, "camera-cam07")
    assert lookup is not None and lookup() is None  # nothing stored yet
    put_secret(data_dir, "camera-cam07", "root:p@ss:w/rd é")
    assert lookup() == ("root", "p@ss:w/rd é")  # split at the first colon: the password may hold more
    mode = (data_dir / "secrets" / "camera-cam07").stat().st_mode & 0o777
    assert mode == 0o600


def test_a_credential_ref_that_is_a_path_is_never_read(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    (data_dir / "settings.json").write_text("admin:the-settings-file")
    for ref in ("../settings.json", "a/b", "..", "x\\y", "-x", "a b"):
        assert credential_ref_problem(ref) is not None
        assert camera_login_lookup(data_dir, ref) is None
    assert "not a plain name" in caplog.text
    for ref in ("camera-cam07", "demo-ptz01", "cam.07@site+2", "a..b"):
        assert credential_ref_problem(ref) is None


def test_reasons_name_the_login_problem() -> None:
    assert login_refused_reason("401 unauthorized from camera", lookup_given=True, login_found=True) == (
        "401 unauthorized from camera: login refused (check the user and password stored for this camera)")
    assert login_refused_reason("401 unauthorized from camera", lookup_given=True, login_found=False) == (
        "401 unauthorized from camera: no login stored for this camera (c4desk cameras login)")
    assert login_refused_reason("401 unauthorized from camera", lookup_given=False, login_found=False) == (
        "401 unauthorized from camera")
    assert login_refused_reason("connection refused", lookup_given=True, login_found=True) == "connection refused"


def test_lookup_is_safe_from_many_threads(data_dir: Path) -> None:
    """Every tile's player looks its camera's login up on its own thread, at the same time."""
    put_secret(data_dir, "camera-cam01", "root:pw")
    lookup = camera_login_lookup(data_dir, "camera-cam01")
    assert lookup is not None
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(lookup())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert got == [("root", "pw")] * 16
