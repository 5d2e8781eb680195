"""The in-process event bus, and how it will reach other seats through PostgreSQL.

Handlers run synchronously in the publisher's thread. That keeps the bus simple and ordering obvious; the UI's
Qt bridge subscribes here and re-queues events onto the GUI thread, so no widget is touched from a worker.
Repositories publish only after their transaction has committed, so a handler never sees an event for data a
rollback then took back.

Across seats (design, not built yet): PostgreSQL LISTEN/NOTIFY
---------------------------------------------------------------
* Sending: on PostgreSQL a repository also runs ``SELECT pg_notify('c4desk_events', :payload)`` inside the
  same transaction as its write. PostgreSQL delivers a notification only if that transaction commits, and
  in commit order, so other seats see exactly the committed changes, in order, with no outbox table.
* Payload: JSON ``{"v": 1, "origin": <seat id>, "type": <EVENT_TYPES name>, "ids": {...}}``. Only keys travel
  (alert id, plate read id, camera ids, case id), because a NOTIFY payload is limited to 8000 bytes and the
  database row is the truth anyway; WallPush, which has no row, carries its few fields inline.
* Receiving: a ``PgEventBridge`` thread holds one dedicated autocommit psycopg connection (not from the
  pool), runs ``LISTEN c4desk_events`` and iterates ``connection.notifies()``. For each notification from
  another origin (its own seat's events were already published locally) it reloads the rows through the
  repositories and publishes the rebuilt event on this seat's bus; the UI bridge does the rest.
* Gaps: notifications sent while a listener is disconnected are lost. On reconnect the bridge re-LISTENs,
  then publishes a "resync" (e.g. CamerasChanged for all ids, alerts changed since the last seen
  received_at) so views reload instead of trusting a stream with holes.
* SQLite (one seat) needs none of this: everything runs in one process on one bus.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from c4desk.domain.events import Event

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class EventBus:
    """Typed publish/subscribe. Thread-safe; handlers may subscribe, unsubscribe or publish from a handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[type[Event], list[Handler]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler`` for every published ``event_type`` (subclasses included; ``Event`` gets all).

        Returns a function that removes this subscription; calling it twice is harmless.
        """
        with self._lock:
            self._handlers.setdefault(event_type, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._handlers.get(event_type, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to its handlers now, in this thread, in subscription order.

        A failing handler is logged and skipped: one broken view must not stop the alert reaching the others.
        """
        with self._lock:
            # Copied under the lock, called outside it: a handler may (un)subscribe without deadlocking.
            targets = [h for cls in type(event).__mro__ for h in self._handlers.get(cls, ())]
        for handler in targets:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, type(event).__name__)

    def handler_count(self) -> int:
        with self._lock:
            return sum(len(h) for h in self._handlers.values())
