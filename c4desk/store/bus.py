"""The event bus: typed publish/subscribe in one process, bridged to other seats through PostgreSQL.

Handlers run synchronously in the publisher's thread. That keeps the bus simple and ordering obvious; the UI's
Qt bridge subscribes here and re-queues events onto the GUI thread, so no widget is touched from a worker.
Repositories publish only after their transaction has committed, so a handler never sees an event for data a
rollback then took back.

Local and remote events
-----------------------
On PostgreSQL (many seats) ``store.pg_bridge.PgEventBridge`` sends every event published here to the other
seats (NOTIFY) and publishes theirs here with ``publish(event, remote=True)``. A remote event reaches every
subscriber except those that subscribed with ``local_only=True``: rule engines (the hotlist matcher) and the
bridge's own sender. The seat that stored a plate read already matched it, so a second seat matching it again
would be wasted work at best; and an event that came from another seat must not be sent back out.
On SQLite (one seat, one process) there is no bridge and every event is local. How events travel, what a
notification carries and how a listener that lost its connection catches up: see ``store/pg_bridge.py``.
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


class _Subscription:
    """One handler for one event type; compared by identity, so the same handler may be subscribed twice."""

    __slots__ = ("handler", "local_only")

    def __init__(self, handler: Handler, local_only: bool) -> None:
        self.handler = handler
        self.local_only = local_only


class EventBus:
    """Typed publish/subscribe. Thread-safe; handlers may subscribe, unsubscribe or publish from a handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[type[Event], list[_Subscription]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E], None], *,
                  local_only: bool = False) -> Callable[[], None]:
        """Call ``handler`` for every published ``event_type`` (subclasses included; ``Event`` gets all).

        ``local_only``: only events published in this process, not those another seat published (rule engines:
        the seat where the data was stored has already applied them).
        Returns a function that removes this subscription; calling it twice is harmless.
        """
        subscription = _Subscription(handler, local_only)
        with self._lock:
            self._handlers.setdefault(event_type, []).append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                subscriptions = self._handlers.get(event_type, [])
                if subscription in subscriptions:
                    subscriptions.remove(subscription)

        return unsubscribe

    def publish(self, event: Event, *, remote: bool = False) -> None:
        """Deliver ``event`` to its handlers now, in this thread, in subscription order.

        ``remote=True``: the event happened on another seat (the PostgreSQL bridge publishes it); handlers that
        subscribed ``local_only`` do not get it.
        A failing handler is logged and skipped: one broken view must not stop the alert reaching the others.
        """
        with self._lock:
            # Copied under the lock, called outside it: a handler may (un)subscribe without deadlocking.
            targets = [s.handler for cls in type(event).__mro__ for s in self._handlers.get(cls, ())
                       if not (remote and s.local_only)]
        for handler in targets:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, type(event).__name__)

    def handler_count(self) -> int:
        with self._lock:
            return sum(len(h) for h in self._handlers.values())
