"""Secrets never land in the DB: keyring first, else an owner-only file (the tests run with a null keyring)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from c4desk.credentials import hub_token


def test_hub_token_is_stable_and_owner_only(data_dir: Path) -> None:
    first = hub_token(data_dir)
    assert len(first) >= 32 and hub_token(data_dir) == first
    path = data_dir / "secrets" / "hub-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_camera_login_round_trip(data_dir: Path) -> None:
    from c4desk.credentials import camera_login, put_secret

    assert camera_login(data_dir, "cam-x") is None
    put_secret(data_dir, "cam-x", "operator:p:ss")
    assert camera_login(data_dir, "cam-x") == ("operator", "p:ss")
    assert camera_login(data_dir, "") is None


@pytest.mark.parametrize("name", ["../settings.json", "a/b", "..", ".", "", "x\\y", "nul\0byte"])
def test_a_secret_name_is_never_a_path_out_of_the_secrets_folder(data_dir: Path, name: str) -> None:
    from c4desk.credentials import lookup_secret, put_secret

    (data_dir / "settings.json").write_text('{"not": "a secret"}')
    with pytest.raises(ValueError, match="not a plain name"):
        put_secret(data_dir, name, "user:pw")
    with pytest.raises(ValueError, match="not a plain name"):
        lookup_secret(data_dir, name)
    assert (data_dir / "settings.json").read_text() == '{"not": "a secret"}'
