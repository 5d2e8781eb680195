"""A camera's stream URL with its login, and URLs made safe to show.

Camera passwords live in the keyring (``c4desk.credentials``), named by the camera's ``credential_ref``; the camera
record, and so its ``stream_main`` / ``stream_sub``, never holds one (``domain.camera`` refuses such a URL). A camera
that needs a login (every Axis camera, by default) is played by putting the login into the URL only where the
stream is opened: the players take the plain URL and a ``LoginLookup``, call the lookup on their own worker thread
(the keyring may block: never on the GUI thread) and hand ``url_with_login(url, login)`` straight to the decoder.
So the URL with the password is a local variable of a decoder thread, never an attribute of anything that is
logged, shown or written.

Anything that shows, logs or writes a URL passes it through ``redact`` (or ``redact_text`` for free text, such as
FFmpeg's error messages, which quote the URL they failed to open): the password becomes ``***``.

    lookup = camera_login_lookup(data_dir, camera.credential_ref)   # None: the camera needs no login
    player = create_player(url, login=lookup)                       # see media.backend
    # background code that opens a stream itself (the recorder):
    source = url_with_login(url, lookup() if lookup else None)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from c4desk.credentials import camera_login
from c4desk.domain.camera import credential_ref_problem

__all__ = [
    "REDACTED",
    "Login",
    "LoginLookup",
    "camera_login_lookup",
    "credential_ref_problem",
    "login_refused_reason",
    "redact",
    "redact_text",
    "url_with_login",
]

log = logging.getLogger(__name__)

Login = tuple[str, str]  # user, password
# Looks a camera's login up when a stream is opened (blocking: keyring or the owner-only secrets file).
LoginLookup = Callable[[], Login | None]

REDACTED = "***"
# Query parameters that carry a password in some cameras' URLs (``?user=admin&pwd=...``).
_SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "auth"})
# A keyring entry name that is also a safe file name (the secrets file fallback): no path separators.
# URLs inside free text: a scheme, "://", then up to white space or a quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")
_warned: set[str] = set()


def _split(url: str) -> tuple[str, str, str, str] | None:
    """``scheme://`` + userinfo + hostinfo + rest, split the way urllib.parse and FFmpeg split them: the authority
    ends at the first ``/``, ``?`` or ``#``; the userinfo is everything before its last ``@``. None: no authority."""
    scheme, sep, after = url.partition("://")
    if not sep or not scheme:
        return None
    end = len(after)
    for c in "/?#":
        i = after.find(c)
        if i != -1:
            end = min(end, i)
    authority, rest = after[:end], after[end:]
    userinfo, at, hostinfo = authority.rpartition("@")
    return scheme + sep, userinfo if at else "", hostinfo, rest


def url_with_login(url: str, login: Login | None) -> str:
    """``url`` with ``login`` (user, password) in its authority, both percent-encoded (any character may be in
    a password: ``@ : / % #``, non-ASCII). Without a login the URL is returned as it is (a user already in it
    stays); a login replaces whatever user the URL had. URLs without a host (files) are returned unchanged."""
    if login is None:
        return url
    parts = _split(url)
    if parts is None or not parts[2]:
        return url
    prefix, _userinfo, hostinfo, rest = parts
    user, password = login
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return f"{prefix}{userinfo}@{hostinfo}{rest}" if userinfo else f"{prefix}{hostinfo}{rest}"


def _redact_query(rest: str) -> str:
    path, qmark, query = rest.partition("?")
    if not qmark:
        return rest
    query, hash_, fragment = query.partition("#")
    fields = []
    for field in query.split("&"):
        name, eq, _value = field.partition("=")
        fields.append(f"{name}={REDACTED}" if eq and name.lower() in _SECRET_PARAMS else field)
    return f"{path}?{'&'.join(fields)}{hash_}{fragment}"


def redact(url: str) -> str:
    """``url`` safe to log, show or export: a password in it (``user:password@``, or a ``password=``-like query
    parameter) replaced by ``***``. Never raises; text that is not a URL comes back unchanged."""
    parts = _split(url)
    if parts is None:
        return url
    prefix, userinfo, hostinfo, rest = parts
    user, colon, _password = userinfo.partition(":")
    authority = f"{user}:{REDACTED}@{hostinfo}" if colon else (f"{userinfo}@{hostinfo}" if userinfo else hostinfo)
    return f"{prefix}{authority}{_redact_query(rest)}"


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (error messages that quote the URL they failed on)."""
    return _URL_IN_TEXT.sub(lambda m: redact(m.group(0)), text) if "://" in text else text


def camera_login_lookup(data_dir: Path | None, credential_ref: str) -> LoginLookup | None:
    """How a player finds a camera's login when it opens the stream, or None when the camera has none to find
    (no ``credential_ref``, or no data directory to look in). A ``credential_ref`` that is not a plain name
    (``../settings.json``) is refused, with a warning: it would name a file outside the secrets directory, whose
    contents would then be sent to the camera."""
    ref = credential_ref.strip()
    if not ref or data_dir is None:
        return None
    problem = credential_ref_problem(ref)
    if problem:
        if ref not in _warned:  # once per name: tiles ask again at every reconnect
            _warned.add(ref)
            log.warning("credential_ref %r is not a plain name (%s); no login is looked up for it", ref[:80],
                        problem)
        return None

    def lookup() -> Login | None:
        return camera_login(data_dir, ref)

    return lookup


def login_refused_reason(reason: str, *, lookup_given: bool, login_found: bool) -> str:
    """A player's failure reason, completed when the camera refused the login (HTTP/RTSP 401): whether a stored
    login was refused or none was stored. Other reasons come back unchanged."""
    if not reason.startswith("401") or not lookup_given:
        return reason
    if login_found:
        return f"{reason}: login refused (check the user and password stored for this camera)"
    return f"{reason}: no login stored for this camera (c4desk cameras login)"
