"""The camera validator every importer uses, and the error types it raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4desk.domain.camera import CAMERA_FIELDS, Camera, CameraKind, PtzProtocol, parse_camera
from c4desk.domain.errors import FieldError, ValidationError

BASE = {"id": "cam-1", "name": " Main & Pearl ", "lat": "41.7661", "lon": "-72.6734"}


def errors_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        parse_camera(raw)
    return [str(e) for e in info.value.errors]


def test_minimal_record_gets_defaults() -> None:
    cam = parse_camera(BASE)
    assert cam == Camera(id="cam-1", name="Main & Pearl", lat=41.7661, lon=-72.6734)
    assert (cam.heading_deg, cam.fov_deg, cam.range_m, cam.kind, cam.ptz_protocol, cam.enabled) == (
        0.0,
        90.0,
        100.0,
        CameraKind.FIXED,
        PtzProtocol.NONE,
        True,
    )
    assert cam.best_stream == ""


def test_full_record_and_json_types() -> None:
    raw = {
        **BASE,
        "lat": 41.7661,
        "lon": -72.6734,
        "heading_deg": -90,
        "fov_deg": 45.5,
        "range_m": 300,
        "kind": "PTZ",
        "serial": "ACCC8E01",
        "stream_main": "",
        "stream_sub": "rtsp://10.0.0.5/sub",
        "ptz_protocol": "Onvif",
        "ptz_url": "https://10.0.0.5/onvif",
        "credential_ref": "c4desk-cam-1",
        "owner": "City",
        "contact": "it@example.org",
        "enabled": False,
        "zone": "downtown",
        "blank": "",
        "none": None,
    }
    cam = parse_camera(raw)
    assert cam.heading_deg == 270.0  # headings are normalised into [0, 360)
    assert (cam.kind, cam.ptz_protocol, cam.enabled) == (CameraKind.PTZ, PtzProtocol.ONVIF, False)
    assert cam.extra == {"zone": "downtown"}
    assert cam.best_stream == "rtsp://10.0.0.5/sub"
    d = cam.as_dict()
    assert list(d) == list(CAMERA_FIELDS)
    assert (d["kind"], d["ptz_protocol"]) == ("ptz", "onvif")


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("yes", True),
        ("ON", True),
        ("1", True),
        ("no", False),
        ("off", False),
        ("0", False),
        (True, True),
        (False, False),
        ("", True),
    ],
)
def test_enabled_forms(flag: Any, expected: bool) -> None:
    assert parse_camera({**BASE, "enabled": flag}).enabled is expected


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"id": None}, ["id: required"]),
        ({"name": "  "}, ["name: required"]),
        ({"lat": "", "lon": ""}, ["lat: required", "lon: required"]),
        ({"id": "cam 1"}, ["id: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"]),
        (
            {"id": "c" * 65},
            ["id: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"],
        ),
        ({"lat": True}, ["lat: must be a number, not a boolean"]),
        ({"lat": "north"}, ["lat: not a number: 'north'"]),
        ({"lon": "inf"}, ["lon: must be finite"]),
        ({"lat": "-90.5"}, ["lat: -90.5 is outside [-90, 90]"]),
        ({"lon": 180.01}, ["lon: 180.01 is outside [-180, 180]"]),
        ({"heading_deg": "-361"}, ["heading_deg: -361 is outside [-360, 360]"]),
        ({"fov_deg": "361"}, ["fov_deg: 361 is outside [1, 360]"]),
        ({"range_m": "0.5"}, ["range_m: 0.5 is outside [1, 5000]"]),
        ({"kind": "bullet"}, ["kind: 'bullet' not one of fixed, ptz, lpr, private"]),
        ({"ptz_protocol": "pelco"}, ["ptz_protocol: 'pelco' not one of vapix, onvif, none"]),
        ({"ptz_protocol": "vapix"}, ["ptz_url: required when ptz_protocol is vapix"]),
        ({"kind": "private"}, ["owner: a private camera needs an owner or contact"]),
        ({"enabled": "perhaps"}, ["enabled: 'perhaps' is not true/false"]),
        ({"name": "n" * 201}, ["name: longer than 200 characters"]),
        (
            {"stream_main": "mms://h/x"},
            ["stream_main: scheme 'mms' not one of file, http, https, rtp, rtsp, rtsps, udp"],
        ),
        (
            {"stream_sub": "10.0.0.5/live"},
            ["stream_sub: scheme '(none)' not one of file, http, https, rtp, rtsp, rtsps, udp"],
        ),
        ({"ptz_url": "ftp://10.0.0.5"}, ["ptz_url: scheme 'ftp' not one of http, https"]),
        (
            {"stream_main": "rtsp://admin:pw@10.0.0.5/x"},
            ["stream_main: URL carries a password; store it in the keyring and set credential_ref"],
        ),
        ({"stream_main": "rtsp://10.0.0.5:99999/x"}, ["stream_main: bad port: Port out of range 0-65535"]),
        (
            {"stream_main": "http://10.0.0.5:8o/x"},
            ["stream_main: bad port: Port could not be cast to integer value as '8o'"],
        ),
        ({"stream_main": "http:///x"}, ["stream_main: URL has no host"]),
        ({"stream_main": "http://10.0.0.5/a b"}, ["stream_main: URL contains white space"]),
        # a keyring entry / secrets-file name, never a path out of the secrets folder
        ({"credential_ref": "../settings.json"}, ["credential_ref: use 1-200 letters, digits, '_', '.', '@', '+' or "
                                                  "'-', starting with a letter or digit"]),
        ({"credential_ref": "cams/cam07"}, ["credential_ref: use 1-200 letters, digits, '_', '.', '@', '+' or '-', "
                                            "starting with a letter or digit"]),
    ],
)
def test_every_error(override: dict[str, Any], expected: list[str]) -> None:
    assert errors_of({**BASE, **override}) == expected


def test_all_errors_reported_at_once() -> None:
    assert errors_of({"id": "x", "lat": "100", "lon": "y", "kind": "private"}) == [
        "name: required",
        "lat: 100 is outside [-90, 90]",
        "lon: not a number: 'y'",
        "owner: a private camera needs an owner or contact",
    ]


def test_file_urls_need_no_host() -> None:
    assert (
        parse_camera({**BASE, "stream_main": "file:///srv/demo/cam1.mp4"}).stream_main
        == "file:///srv/demo/cam1.mp4"
    )


def test_field_error_and_validation_error_text() -> None:
    e = FieldError("lat", "required")
    assert str(e) == "lat: required" and e.as_dict() == {"field": "lat", "reason": "required"}
    located = FieldError("lat", "required", 7)
    assert str(located) == "line 7: lat: required" and located.as_dict()["line"] == 7
    err = ValidationError([e, FieldError("lon", "required")])
    assert str(err) == "lat: required; lon: required" and isinstance(err, ValueError)


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-360, 360))
def test_any_in_range_position_parses(lat: float, lon: float, heading: float) -> None:
    cam = parse_camera({**BASE, "lat": repr(lat), "lon": repr(lon), "heading_deg": repr(heading)})
    assert (cam.lat, cam.lon) == (lat, lon)
    assert 0 <= cam.heading_deg < 360


def test_tiny_negative_heading_wraps_below_360() -> None:
    assert parse_camera({**BASE, "heading_deg": "-1e-20"}).heading_deg < 360
