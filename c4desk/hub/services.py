"""The services a workstation (or a headless hub) works through: one database, one bus, the repositories.

The UI receives a ``Services`` and never touches SQL; moving from one seat to many is a different URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from c4desk.store import health
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.hotlists import HotlistRepository
from c4desk.store.migrate import upgrade
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.plate_search import PlateSearch


@dataclass
class Services:
    db: Database
    bus: EventBus
    cameras: CameraRepository
    alerts: AlertRepository
    plate_reads: PlateReadRepository
    # One shared hotlist repository, so edits made through it reload the hub's matcher at once.
    hotlists: HotlistRepository
    plate_search: PlateSearch
    backup: Path | None = None  # where the pre-upgrade copy of the SQLite file went, if one was made

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Services:
        """Connect, bring the schema to head (copying a SQLite file aside first), and build the repositories."""
        backup = upgrade(url) if migrate else None
        db = Database(url)
        bus = EventBus()
        return cls(db=db, bus=bus, cameras=CameraRepository(db, bus), alerts=AlertRepository(db, bus),
                   plate_reads=PlateReadRepository(db, bus), hotlists=HotlistRepository(db),
                   plate_search=PlateSearch(db), backup=backup)

    def check_database(self) -> bool:
        return health.ping(self.db)

    def describe_database(self) -> str:
        return health.describe(self.db)

    def close(self) -> None:
        self.db.dispose()
