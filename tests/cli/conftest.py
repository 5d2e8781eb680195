"""CLI fixtures: an administrator to act as, for commands that change the site or the hotlists (`--user`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4desk.config import Paths
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url

SITE_ADMIN = "boss"
SITE_ADMIN_PASSWORD = "boss-password"


@pytest.fixture
def site_admin(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The data dir's first administrator, created the way `c4desk user add` bootstraps one; commands run after
    this act as them (C4DESK_USER / C4DESK_PASSWORD). Returns the user name."""
    paths = Paths(data_dir)
    services = Services.open(sqlite_url(paths.database), recordings_root=paths.recordings_dir)
    try:
        services.users.bootstrap_admin(SITE_ADMIN, SITE_ADMIN_PASSWORD)
    finally:
        services.close()
    monkeypatch.setenv("C4DESK_USER", SITE_ADMIN)
    monkeypatch.setenv("C4DESK_PASSWORD", SITE_ADMIN_PASSWORD)
    return SITE_ADMIN
