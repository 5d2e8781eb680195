"""OnvifPtz against onvif_sim.py, a small SOAP simulator standing in for an ONVIF camera (none exists here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c4desk.integrations.ptz.base import PtzError, PtzUnsupported
from c4desk.integrations.ptz.onvif import OnvifPtz, password_digest
from tests.integrations.ptz.onvif_sim import PROFILE, OnvifSimulator

USER, PASSWORD = "ptzop", "pa<ss>&word"


@pytest.fixture
def sim() -> Iterator[OnvifSimulator]:
    with OnvifSimulator(USER, PASSWORD) as s:
        yield s


@pytest.fixture
def ptz(sim: OnvifSimulator) -> Iterator[OnvifPtz]:
    client = OnvifPtz(sim.url, USER, PASSWORD, PROFILE, tilt_range_deg=(-90.0, 0.0), backoff_s=0.01)
    yield client
    client.close()


def test_password_digest_known_value() -> None:
    # Base64(SHA-1(nonce + created + password)) for a fixed nonce/time, worked out once by hand with hashlib.
    import base64
    import hashlib

    nonce, created = b"0123456789abcdef", "2026-07-04T21:14:05.000Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"secret").digest()).decode()
    assert password_digest(nonce, created, "secret") == expected


def test_moves_convert_degrees_to_generic_space(sim: OnvifSimulator, ptz: OnvifPtz) -> None:
    ptz.absolute_move(90.0, -45.0, zoom=0.25)
    assert (sim.pan, sim.tilt, sim.zoom) == (0.5, 0.0, 0.25)  # tilt [-90, 0] -> [-1, 1]
    assert sim.calls[-1].user == USER and sim.calls[-1].args["position"] == (0.5, 0.0, 0.25)
    pos = ptz.position()
    assert (pos.pan, pos.tilt, pos.zoom) == pytest.approx((90.0, -45.0, 0.25))
    ptz.relative_move(pan=-18.0, tilt=-9.0)
    assert sim.calls[-1].args["translation"] == pytest.approx((-0.1, -0.2, None))
    assert ptz.position().pan == pytest.approx(72.0)
    ptz.absolute_move(-180.0, 0.0)
    assert (sim.pan, sim.tilt, sim.zoom) == (-1.0, 1.0, 0.25)  # zoom left alone


def test_continuous_stop_home(sim: OnvifSimulator, ptz: OnvifPtz) -> None:
    ptz.continuous_move(0.5, -0.25)
    ptz.continuous_zoom(-1.0)
    assert sim.velocity == (0.5, -0.25, -1.0)
    ptz.stop()
    assert sim.velocity == (0.0, 0.0, 0.0) and sim.calls[-1].args == {"pan_tilt": "true", "zoom": "true"}
    ptz.absolute_move(10.0, -10.0)
    ptz.home()
    assert (sim.pan, sim.tilt, sim.zoom) == (0.0, 0.0, 0.0)


def test_presets_by_name(sim: OnvifSimulator, ptz: OnvifPtz) -> None:
    ptz.absolute_move(45.0, -30.0)
    ptz.set_preset("Main & Pearl")
    ptz.absolute_move(-45.0, -60.0)
    ptz.set_preset("Door")
    ptz.set_preset("Door")  # replaces: same token
    presets = ptz.presets()
    assert [(p.name, p.token) for p in presets] == [("Main & Pearl", "preset-1"), ("Door", "preset-2")]
    assert presets[0].position is not None and presets[0].position.pan == pytest.approx(45.0)
    ptz.goto_preset("Main & Pearl")
    assert sim.pan == pytest.approx(0.25) and sim.calls[-1].args == {"token": "preset-1"}
    ptz.remove_preset("Door")
    assert list(sim.presets) == ["preset-1"]
    with pytest.raises(PtzError, match="no preset 'Door'"):
        ptz.goto_preset("Door")


def test_bad_credentials_and_clock_skew_are_clear(sim: OnvifSimulator) -> None:
    wrong = OnvifPtz(sim.url, USER, "nope", PROFILE)
    with pytest.raises(PtzError, match=r"^401 from camera: check credentials"):
        wrong.home()
    wrong.close()
    skewed = OnvifPtz(sim.url, USER, PASSWORD, PROFILE, clock_offset_s=-3600)
    with pytest.raises(PtzError, match="clock"):
        skewed.home()
    skewed.close()
    with OnvifSimulator(USER, PASSWORD, clock_offset_s=3600) as ahead:
        fixed = OnvifPtz(ahead.url, USER, PASSWORD, PROFILE, clock_offset_s=3600)
        fixed.home()  # the offset makes Created match the camera's clock
        fixed.close()


def test_faults_and_unsupported(sim: OnvifSimulator) -> None:
    other = OnvifPtz(sim.url, USER, PASSWORD, "Profile_9")
    with pytest.raises(PtzError, match="camera refused GotoHomePosition: no such profile"):
        other.home()
    other.close()
    client = OnvifPtz(sim.url, USER, PASSWORD, PROFILE)
    with pytest.raises(PtzUnsupported):
        client.center(1, 1, 10, 10)
    with pytest.raises(PtzUnsupported):
        client.area_zoom(1, 1, 200)
    client.close()
    with pytest.raises(ValueError):
        OnvifPtz("ftp://x/onvif", USER, PASSWORD, PROFILE)
    with pytest.raises(ValueError):
        OnvifPtz(sim.url, USER, PASSWORD, "")
