"""The services a workstation (or a headless hub) works through: one database, one bus, the repositories.

The UI receives a ``Services`` and never touches SQL; moving from one seat to many is a different URL: on
PostgreSQL ``open`` also starts the seat's event bridge (store/pg_bridge.py), so events published on one seat's bus
reach every other seat's.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from c4desk.config import Paths
from c4desk.store import health
from c4desk.store.alerts import AlertRepository
from c4desk.store.audit_log import AuditLog
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.case_intake import CaseIntakeService
from c4desk.store.cases import CaseRepository
from c4desk.store.clips import ClipRepository
from c4desk.store.db import Database
from c4desk.store.hotlists import HotlistRepository
from c4desk.store.migrate import upgrade
from c4desk.store.pg_bridge import PgEventBridge, bridge_events, new_seat_id
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.plate_search import PlateSearch
from c4desk.store.radar import RadarRepository
from c4desk.store.recordings import RecordingRepository
from c4desk.store.reports import ReportRepository
from c4desk.store.trails import TrailRepository
from c4desk.store.users import UserRepository


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
    recordings: RecordingRepository
    users: UserRepository  # login, accounts, roles (workstation = this machine's host name)
    audit: AuditLog  # reading and verifying the audit trail
    backup: Path | None = None  # where the pre-upgrade copy of the SQLite file went, if one was made
    seat: str = field(default_factory=new_seat_id)  # this seat's name among the seats sharing a database
    # PostgreSQL only: sends this bus's events to the other seats and publishes theirs here (None on SQLite).
    event_bridge: PgEventBridge | None = None
    # The dashboards' series and the solvability study (read-only), and the speed-radar pilot.
    reports: ReportRepository = field(init=False)
    radar: RadarRepository = field(init=False)
    # Case work: cases with their links, searches and notes; clips, their evidence holds and review.
    cases: CaseRepository = field(init=False)
    clips: ClipRepository = field(init=False)
    case_intake: CaseIntakeService = field(init=False)  # a case opened with a session's work, in one go
    trails: TrailRepository = field(init=False)  # followed vehicles' camera hops ("follow" mode)

    def __post_init__(self) -> None:
        self.reports = ReportRepository(self.db)
        self.radar = RadarRepository(self.db)
        self.cases = CaseRepository(self.db, self.bus)
        self.clips = ClipRepository(self.db, self.bus)
        self.case_intake = CaseIntakeService(self.db, self.bus)
        self.trails = TrailRepository(self.db, self.bus)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, recordings_root: Path | None = None,
             bridge: bool = True) -> Services:
        """Connect, bring the schema to head (copying a SQLite file aside first), and build the repositories.

        On PostgreSQL the event bridge to the other seats starts too (it is listening when this returns);
        ``bridge=False`` leaves it out (a test that wants this process's events only). ``close()`` stops it.

        ``recordings_root``: where segment files live (settings ``recording.directory`` or
        ``Paths.recordings_dir``); None means ``recordings`` beside a SQLite file, else the default data dir's.
        """
        backup = upgrade(url) if migrate else None
        db = Database(url)
        bus = EventBus()
        if recordings_root is None:
            recordings_root = _default_recordings_root(db)
        services = cls(db=db, bus=bus, cameras=CameraRepository(db, bus), alerts=AlertRepository(db, bus),
                       plate_reads=PlateReadRepository(db, bus), hotlists=HotlistRepository(db),
                       plate_search=PlateSearch(db), recordings=RecordingRepository(db, recordings_root),
                       users=UserRepository(db, socket.gethostname()), audit=AuditLog(db, socket.gethostname()),
                       backup=backup)
        if bridge:
            services.event_bridge = bridge_events(db, bus, services.seat)
        return services

    def check_database(self) -> bool:
        return health.ping(self.db)

    def describe_database(self) -> str:
        return health.describe(self.db)

    def close(self) -> None:
        if self.event_bridge is not None:  # first: what this seat published still goes out
            self.event_bridge.stop()
            self.event_bridge = None
        self.db.dispose()


def _default_recordings_root(db: Database) -> Path:
    """``recordings`` next to a SQLite file (that is DATA_DIR/recordings for the default database)."""
    database = db.engine.url.database
    if db.is_sqlite and database and database != ":memory:":
        return Path(database).parent / "recordings"
    return Paths.default().recordings_dir
