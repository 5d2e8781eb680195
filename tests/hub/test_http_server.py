"""The ingest endpoint's guard rails, against a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.hub.http_server import IngestServer, Request, Response, bind_address

TOKEN = "s3cret-token"


def echo(request: Request) -> Response:
    if request.body == {"bad": True}:
        raise ValidationError([FieldError("bad", "must not be true")])
    if request.body == {"boom": True}:
        raise RuntimeError("bug")
    return Response(201, {"got": request.body})


@pytest.fixture
def server() -> Iterator[IngestServer]:
    srv = IngestServer({("POST", "/echo"): echo}, token=TOKEN, max_body=1000)
    srv.start()
    yield srv
    srv.stop()


def post(srv: IngestServer, body: bytes | str, *, token: str | None = TOKEN,
         ctype: str = "application/json") -> requests.Response:
    headers = {"Content-Type": ctype}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(srv.base_url + "/echo", data=body, headers=headers, timeout=5)


def test_valid_request_reaches_the_route(server: IngestServer) -> None:
    r = post(server, '{"a": 1}')
    assert r.status_code == 201 and r.json() == {"got": {"a": 1}}


def test_binds_loopback_by_default(server: IngestServer) -> None:
    assert server.address[0] == "127.0.0.1"


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_missing_or_wrong_token_is_401(server: IngestServer, token: str | None) -> None:
    r = post(server, '{"a": 1}', token=token)
    assert r.status_code == 401
    assert r.json()["errors"][0]["field"] == "Authorization"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_content_type_is_415(server: IngestServer) -> None:
    r = post(server, "a=1", ctype="application/x-www-form-urlencoded")
    assert r.status_code == 415 and r.json()["errors"][0]["field"] == "Content-Type"


def test_oversized_body_is_413(server: IngestServer) -> None:
    r = post(server, '{"a": "' + "x" * 2000 + '"}')
    assert r.status_code == 413 and "limit" in r.json()["errors"][0]["reason"]


def test_broken_json_names_line_and_column(server: IngestServer) -> None:
    r = post(server, '{"a": ')
    assert r.status_code == 400 and "invalid JSON at line 1" in r.json()["errors"][0]["reason"]


def test_validation_errors_are_field_lists(server: IngestServer) -> None:
    r = post(server, '{"bad": true}')
    assert r.status_code == 400 and r.json() == {"errors": [{"field": "bad", "reason": "must not be true"}]}


def test_route_bug_is_500_without_details_and_server_survives(server: IngestServer) -> None:
    r = post(server, '{"boom": true}')
    assert r.status_code == 500 and "bug" not in r.text
    assert post(server, '{"a": 2}').status_code == 201


def test_unknown_path_and_method(server: IngestServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(server.base_url + "/echo", headers=auth, timeout=5).status_code == 405
    assert requests.get(server.base_url + "/nope", headers=auth, timeout=5).status_code == 404


def test_refuses_open_endpoint_on_network_interface() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        IngestServer({}, token=None, host="0.0.0.0")


@pytest.mark.parametrize(("text", "expected"), [("127.0.0.1:8765", ("127.0.0.1", 8765)),
                                                 ("[::1]:9000", ("::1", 9000)), (":80", ("127.0.0.1", 80))])
def test_bind_address(text: str, expected: tuple[str, int]) -> None:
    assert bind_address(text) == expected


@pytest.mark.parametrize("text", ["8765", "host:", "host:99999", "host:http"])
def test_bad_bind_address(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        bind_address(text)
