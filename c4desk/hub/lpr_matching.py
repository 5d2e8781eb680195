"""Live hotlist matching: every stored plate read is matched against the active entries as it arrives.

The matcher listens for PlateRead on the bus and queues each read for its one worker thread, which matches it
and stores the alert milliseconds later. The bus calls handlers in the publisher's thread, so matching there
would hold up the ingest request and deliver HotlistHit to other subscribers before the PlateRead that caused
it; the worker keeps events in causal order. ``drain()`` waits until every queued read is matched. Entries live
in memory in a ``domain.plate_match.EntryIndex`` (dicts for exact and folded plates, compiled wildcards), so a
read costs microseconds. The index reloads when this process changes a hotlist, and also when another process
did (``HotlistRepository.version()`` is checked at most every ``recheck_s`` seconds). Expiry is checked per read.
With many seats on PostgreSQL each seat's matcher matches the reads stored through its own bus only
(``local_only``), so a read is matched once however many seats run a hub.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from c4desk.domain.alerts import Alert
from c4desk.domain.events import PlateRead
from c4desk.domain.plate_match import EntryIndex, Hit
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.hotlist_alerts import add_hotlist_hit
from c4desk.store.hotlists import HotlistRepository
from c4desk.store.models import utcnow

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 20.0  # matching what is queued takes milliseconds a read; this long means the store hangs


class HotlistMatcher:
    def __init__(self, db: Database, bus: EventBus, hotlists: HotlistRepository, cameras: CameraRepository, *,
                 recheck_s: float = 1.0) -> None:
        self._db = db
        self._bus = bus
        self._hotlists = hotlists
        self._cameras = cameras
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._index = EntryIndex(())
        self._version: tuple[int, object] | None = None
        self._checked = 0.0
        self._unsubscribe: list[Callable[[], None]] = []
        self._queue: queue.Queue[LprRead | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_services(cls, services: Services, hotlists: HotlistRepository | None = None) -> HotlistMatcher:
        """A matcher over the services' database and bus. Pass the HotlistRepository the UI edits through,
        so its changes reload the matcher at once (others are noticed within ``recheck_s``)."""
        return cls(services.db, services.bus, hotlists or HotlistRepository(services.db), services.cameras)

    def start(self) -> HotlistMatcher:
        """Load the entries and start matching published reads."""
        self.reload()
        self._thread = threading.Thread(target=self._work, name="hotlist-matcher", daemon=True)
        self._thread.start()
        # Local reads only: a read another seat stored (and published here by the PostgreSQL bridge) was matched
        # by that seat's matcher; matching it here too would race it for the same alert.
        self._unsubscribe = [self._bus.subscribe(PlateRead, self.on_read, local_only=True),
                             self._hotlists.on_change(self.reload)]
        return self

    def stop(self) -> None:
        """Stop listening, match what is already queued, then end the worker."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=STOP_TIMEOUT_S)
            if self._thread.is_alive():  # a store that does not answer: stop anyway (the thread is a daemon)
                log.warning("hotlist matcher still busy after %.0f s; %d read(s) not matched", STOP_TIMEOUT_S,
                            self._queue.qsize())
            self._thread = None

    def drain(self) -> None:
        """Return once every read queued so far has been matched (and its alert stored)."""
        self._queue.join()

    def _work(self) -> None:
        while (read := self._queue.get()) is not None:
            try:
                self.check(read)
            except Exception:
                log.exception("hotlist matching failed for read %s", read.id)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    @property
    def entry_count(self) -> int:
        return self._index.size

    def reload(self) -> None:
        with self._lock:
            version = self._hotlists.version()
            self._index = EntryIndex(self._hotlists.active_entries())
            self._version = version
            self._checked = time.monotonic()
        log.info("hotlist matcher: %d active entries", self._index.size)

    def _refresh_if_stale(self) -> None:
        if time.monotonic() - self._checked < self._recheck_s:
            return
        self._checked = time.monotonic()
        if self._hotlists.version() != self._version:
            self.reload()

    def match(self, read: LprRead) -> list[Hit]:
        """The read's hits, best first, against entries active now."""
        self._refresh_if_stale()
        return self._index.match(read.plate_norm, read.region, at=utcnow())

    def on_read(self, event: PlateRead) -> None:
        self._queue.put(event.read)

    def check(self, read: LprRead) -> Alert | None:
        """Match a stored read; on a hit store its alert (once per read), publish HotlistHit and AlertRaised."""
        if read.id is None:
            return None
        hits = self.match(read)
        if not hits:
            return None
        alert = add_hotlist_hit(self._db, self._bus, read, hits, camera=self._cameras.get(read.camera_id))
        if alert is not None:
            log.info("hotlist hit: %s on %s (%s, %s)", read.plate_norm, hits[0].entry.hotlist, hits[0].kind.value,
                     read.camera_id)
        return alert
