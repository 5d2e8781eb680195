"""The hub's HTTP ingest endpoint: loopback by default, bearer token required, bounded bodies, JSON only.

Feature modules (gunshot alerts, LPR events, radar) register a route; this module owns everything a route
should not have to think about: authentication, size limits, content type, JSON decoding, error shape.
Every rejection is a JSON list of ``{"field", "reason"}`` so a sender can fix its payload.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.hub.serving import BackgroundHttpServer

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1 << 20  # 1 MiB: an LPR event with two JPEG crops fits; a runaway sender does not
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # decoded JSON


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Response]


def errors_response(errors: list[FieldError], status: int = HTTPStatus.BAD_REQUEST) -> Response:
    return Response(status, {"errors": [e.as_dict() for e in errors]})


def bind_address(listen: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[::1]:8765`` for IPv6)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"listen address {listen!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


class IngestServer:
    """A threaded HTTP server with a route table ``(method, path) -> Route``; ``start()`` returns at once."""

    def __init__(self, routes: dict[tuple[str, str], Route], *, token: str | None, host: str = "127.0.0.1",
                 port: int = 0, max_body: int = MAX_BODY_BYTES) -> None:
        if token is None and host not in LOOPBACK:
            # An open ingest endpoint on a network interface would let anyone raise alerts.
            raise ValueError("refusing to listen on a non-loopback address without a token")
        self.routes = dict(routes)
        self.token = token
        self.max_body = max_body
        self._server = BackgroundHttpServer(self._handler_class(), host=host, port=port, name="hub-http")

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> None:
        self._server.start()
        log.info("hub ingest listening on %s", self.base_url)

    def stop(self) -> None:
        self._server.stop()

    def _authorised(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "c4desk-hub"
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle on, the body waits ~40 ms for the client's
            # delayed ACK on every response.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s " + format, self.client_address[0], *args)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_PUT(self) -> None:
                self._dispatch("PUT")

            def _send(self, response: Response) -> None:
                payload = b"" if response.body is None else json.dumps(response.body, default=str).encode()
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in response.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def _reject(self, status: int, fld: str, reason: str, close: bool = False, **headers: str) -> None:
                if close:
                    self.close_connection = True
                    headers["Connection"] = "close"
                self._send(Response(status, {"errors": [{"field": fld, "reason": reason}]}, headers))

            def _dispatch(self, method: str) -> None:
                url = urlsplit(self.path)
                route = server.routes.get((method, url.path))
                if not server._authorised(self.headers.get("Authorization")):
                    # Unread bodies would be parsed as the next request: close instead.
                    self._reject(HTTPStatus.UNAUTHORIZED, "Authorization", "a valid bearer token is required",
                                 close=True, **{"WWW-Authenticate": 'Bearer realm="c4desk-hub"'})
                    return
                if route is None:
                    known = any(path == url.path for _, path in server.routes)
                    status = HTTPStatus.METHOD_NOT_ALLOWED if known else HTTPStatus.NOT_FOUND
                    self._reject(status, "path", f"no {method} {url.path}", close=True)
                    return
                body: Any = None
                if method in ("POST", "PUT"):
                    body = self._read_json()
                    if body is _REJECTED:
                        return
                request = Request(method, url.path, parse_qs(url.query), dict(self.headers.items()), body)
                try:
                    response = route(request)
                except ValidationError as exc:
                    response = errors_response(exc.errors)
                except Exception:
                    log.exception("ingest route %s %s failed", method, url.path)
                    response = Response(HTTPStatus.INTERNAL_SERVER_ERROR,
                                        {"errors": [{"field": "", "reason": "internal error; see the hub log"}]})
                self._send(response)

            def _read_json(self) -> Any:
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                length_text = self.headers.get("Content-Length")
                if length_text is None or not length_text.isdigit():
                    self._reject(HTTPStatus.LENGTH_REQUIRED, "Content-Length", "required", close=True)
                    return _REJECTED
                length = int(length_text)
                if length > server.max_body:
                    self._reject(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body",
                                 f"{length} bytes is over the {server.max_body}-byte limit", close=True)
                    return _REJECTED
                raw = self.rfile.read(length)
                if ctype != "application/json":
                    self._reject(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                                 f"{ctype or '(none)'} is not application/json")
                    return _REJECTED
                try:
                    return json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    self._reject(HTTPStatus.BAD_REQUEST, "body", "not UTF-8")
                except json.JSONDecodeError as exc:
                    self._reject(HTTPStatus.BAD_REQUEST, "body", f"invalid JSON at line {exc.lineno} column "
                                 f"{exc.colno}: {exc.msg}")
                return _REJECTED

        return Handler


_REJECTED = object()
