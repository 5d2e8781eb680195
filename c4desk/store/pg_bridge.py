"""Events between seats: every seat's bus, bridged through PostgreSQL LISTEN/NOTIFY.

With ``c4desk hub`` on a server and several workstations on one PostgreSQL database, an alert the hub ingests,
a wall push from one seat or a clip a supervisor approves must reach the other seats' buses, live. Each seat's
``Services`` (on PostgreSQL) runs one ``PgEventBridge``; on SQLite (one seat, one process) there is none.

Sending
-------
The bridge subscribes to every event on its bus (``local_only``: what it published for another seat is never
sent back out) and sends ``SELECT pg_notify('c4desk_events', payload)`` on one dedicated autocommit connection,
from one worker thread fed by a queue. The worker keeps publish order and means a publisher (an ingest request,
the GUI thread pushing to the wall) never waits on the network.

It sends *after* the repository's commit, from the bus, rather than inside the repository's transaction (where
PostgreSQL would deliver a notification exactly when, and only if, the change commits). That keeps the bridge in
one module instead of in every repository, and it is the trade: a crash (or a lost database connection) between
a commit and its notification loses that notification, and a seat is then told about that change only on its
next reload. The reconnect resync below does not cover this case: it covers a *listener* that was away.

Payload (JSON, at most ``MAX_PAYLOAD_BYTES``; PostgreSQL refuses 8000 bytes and more)::

    {"v": 1, "origin": "<seat id>", "type": "<event class name>", ...}

Only keys travel where a row is the truth: ``"alert": id`` (AlertRaised, AlertChanged), ``"read": id``
(PlateRead, HotlistHit), ``"clip": id`` (ClipTagged); the receiver loads the rows through the repositories.
AlertChanged adds its ``actor`` and ``changes`` (what changed is the event, not the row); HotlistHit its hit
(hotlist, category, priority, reason: the entry may have changed since). Events whose fields are ids and short
descriptions of the change travel as those fields: CaseChanged, ClipChanged (its ``status`` is the status
*after* that change, and a discarded clip has no row to load), TrailChanged, CamerasChanged (camera ids), and
WallPush, which has no row at all. Too large a payload is cut down rather than dropped: CamerasChanged becomes
``{"all": true}`` (the receiver names every camera as updated, so views reload them all), AlertChanged drops its
``changes`` (``"changes_omitted": true``; the receiver takes the alert's newest history entry by that actor),
WallPush keeps the cameras that fit (``"more": n`` says how many were dropped) and HotlistHit shortens its reason.
One that still does not fit (none of today's events can get there) is logged and not sent. Rows are loaded as they
are when the notification is handled: two quick changes to one alert may both arrive showing the second.

Receiving
---------
A listener thread holds another dedicated autocommit connection (not from SQLAlchemy's pool: a pooled connection
is handed to other work and cannot wait for notifications), runs ``LISTEN c4desk_events`` and iterates
``connection.notifies(timeout=POLL_S)``, so ``stop()`` is prompt. A notification from another seat is rebuilt
into its event (rows reloaded) and published on this seat's bus with ``remote=True``: views get it like any other
event, rule engines that subscribed ``local_only`` (the hotlist matcher) do not, since the seat that stored the
read already matched it. The seat's own notifications are ignored: it published those events itself. Handlers of
remote events run on the listener thread (the UI's Qt bridge re-queues them onto the GUI thread).

Reconnect and resync
--------------------
When the listening connection fails (server restart, network, ``pg_terminate_backend``; an idle connection is
checked with ``SELECT 1`` every ``HEARTBEAT_S`` and TCP keepalives catch a silent peer) the listener reconnects
with backoff (``RETRY_S`` doubling to ``RETRY_MAX_S``) and LISTENs again. Notifications sent meanwhile are lost
(PostgreSQL keeps none for an absent listener), so it then publishes a resync, *remote*, before any new
notification: ``CamerasChanged`` naming every camera as updated (the main window reloads its cameras, map and
reads on it), then ``AlertChanged`` (no changes, no actor) for each alert received or changed since the listener
was last known to be connected, less ``RESYNC_MARGIN`` for clocks between seats, ``ClipChanged`` (``what`` is
"resync") for each clip and ``CaseChanged`` ("resync") for each case updated since then (the review queue and
case views reload), at most ``RESYNC_LIMIT`` of each, newest first. Plate reads, trails and wall pushes of the
gap are not replayed: the reads are in the store for the next reload, and a wall push is a moment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import URL, or_, select

from c4desk.domain.events import (
    EVENT_TYPES,
    AlertChanged,
    AlertRaised,
    CamerasChanged,
    CaseChanged,
    ClipChanged,
    ClipTagged,
    Event,
    HotlistHit,
    PlateRead,
    WallPush,
)
from c4desk.store.alerts import AlertRepository, to_alert
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.clips import ClipRepository
from c4desk.store.db import Database
from c4desk.store.models import AlertHistoryRow, AlertRow, CameraRow, CaseRow, ClipRow
from c4desk.store.plate_reads import PlateReadRepository

log = logging.getLogger(__name__)

CHANNEL = "c4desk_events"
PAYLOAD_VERSION = 1
MAX_PAYLOAD_BYTES = 7900  # PostgreSQL: "payload string too long" from 8000 bytes on
POLL_S = 0.25  # the longest a notifies() wait lasts before the listener checks whether it should stop
HEARTBEAT_S = 10.0  # an idle listening connection is checked this often
RETRY_S = 0.2  # first reconnect delay; doubles up to RETRY_MAX_S
RETRY_MAX_S = 5.0
CONNECT_TIMEOUT_S = 5
RESYNC_MARGIN = timedelta(minutes=2)
RESYNC_LIMIT = 500
START_WAIT_S = 5.0  # start() returns once LISTEN is in place, or after this long
STOP_WAIT_S = 1.0
_RESERVED = frozenset({"v", "origin", "type"})
_SIMPLE = (str, int, float, bool, type(None))

Message = dict[str, Any]


def new_seat_id() -> str:
    """This seat's name on the channel: host, process and a random part (two Services in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def libpq_conninfo(url: URL) -> str:
    """A libpq connection URI for a SQLAlchemy URL: ``postgresql+psycopg://...`` without the ``+psycopg``."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=False)


# --- events -> payloads ---------------------------------------------------------------------------------------


def _dumps(message: Message) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=str)


def _size(message: Message) -> int:
    return len(_dumps(message).encode("utf-8"))


def _simple_fields(event: Event) -> Message | None:
    """The event's fields as JSON values, if they are all plain values or tuples of them; else None."""
    out: Message = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, tuple) and all(isinstance(v, _SIMPLE) for v in value):
            out[f.name] = list(value)
        elif isinstance(value, _SIMPLE):
            out[f.name] = value
        else:
            return None
    return None if _RESERVED & out.keys() else out


def _keys(event: Event) -> Message | None:
    """What travels for ``event`` besides v, origin and type (see the module docstring)."""
    if isinstance(event, AlertRaised):
        return {"alert": event.alert.id}
    if isinstance(event, AlertChanged):
        return {"alert": event.alert.id, "actor": event.actor, "changes": dict(event.changes)}
    if isinstance(event, PlateRead):
        return None if event.read.id is None else {"read": event.read.id}
    if isinstance(event, HotlistHit):
        if event.read.id is None:
            return None
        return {"read": event.read.id, "hotlist": event.hotlist, "category": event.category,
                "priority": event.priority, "reason": event.reason}
    if isinstance(event, ClipTagged):
        return {"clip": event.clip_id}
    return _simple_fields(event)


def _cut_to_fit(message: Message, key: str) -> int:
    """Shorten ``message[key]`` (a list or a string) to the longest prefix that fits; returns how much was cut."""
    full = message[key]
    lo, hi = 0, len(full)
    while lo < hi:  # the longest prefix length that fits
        mid = (lo + hi + 1) // 2
        message[key] = full[:mid]
        if _size(message) <= MAX_PAYLOAD_BYTES:
            lo = mid
        else:
            hi = mid - 1
    message[key] = full[:lo]
    return len(full) - lo


def _shrink(event: Event, message: Message) -> Message:
    """A message too large for NOTIFY, cut down the way the module docstring says (it may still not fit)."""
    if isinstance(event, CamerasChanged):
        return {k: message[k] for k in _RESERVED} | {"all": True}
    if isinstance(event, AlertChanged):
        message.pop("changes", None)
        message["changes_omitted"] = True
        if _size(message) > MAX_PAYLOAD_BYTES:
            _cut_to_fit(message, "actor")
    elif isinstance(event, WallPush):
        message["more"] = 99_999  # room for the count, which is written once known
        message["more"] = _cut_to_fit(message, "camera_ids")
        if not message["camera_ids"]:
            message["layout"] = ""  # a layout too large for NOTIFY: the wall picks one that fits the cameras
            message["more"] = 99_999
            message["camera_ids"] = list(event.camera_ids)
            message["more"] = _cut_to_fit(message, "camera_ids")
    elif isinstance(event, HotlistHit):
        _cut_to_fit(message, "reason")
    return message


def encode_event(event: Event, origin: str) -> str | None:
    """The NOTIFY payload for ``event`` sent by seat ``origin``; None for an event that cannot travel (an
    unregistered class, or one with a field the bridge has no rule for, or a read without its id)."""
    name = type(event).__name__
    if EVENT_TYPES.get(name) is not type(event):
        log.debug("not sent to other seats: %s is not in EVENT_TYPES", name)
        return None
    keys = _keys(event)
    if keys is None:
        log.warning("not sent to other seats: %s has fields the PostgreSQL bridge cannot carry", name)
        return None
    message: Message = {"v": PAYLOAD_VERSION, "origin": origin, "type": name, **keys}
    if _size(message) > MAX_PAYLOAD_BYTES:
        message = _shrink(event, message)
        log.info("%s cut down to fit a notification", name)
    if _size(message) > MAX_PAYLOAD_BYTES:
        log.error("not sent to other seats: %s does not fit a notification even cut down", name)
        return None
    return _dumps(message)


# --- payloads -> events (on the receiving seat) -------------------------------------------------------------


class EventLoader:
    """Rebuilds the event a notification names, loading its rows through the repositories."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._alerts = AlertRepository(db)
        self._reads = PlateReadRepository(db)
        self._clips = ClipRepository(db)
        self._cameras = CameraRepository(db)

    def load(self, message: Message) -> Event | None:
        """The event, or None when its rows are gone (deleted since) or the message is not understood."""
        name = str(message.get("type", ""))
        if name == "AlertRaised":
            alert = self._alerts.get(str(message["alert"]))
            return None if alert is None else AlertRaised(alert=alert)
        if name == "AlertChanged":
            return self._alert_changed(message)
        if name == "PlateRead":
            read = self._reads.get(int(message["read"]))
            return None if read is None else PlateRead(read=read)
        if name == "HotlistHit":
            read = self._reads.get(int(message["read"]))
            return None if read is None else HotlistHit(
                read=read, hotlist=str(message["hotlist"]), category=str(message.get("category", "")),
                priority=int(message.get("priority", 2)), reason=str(message.get("reason", "")))
        if name == "ClipTagged":
            clip = self._clips.get(int(message["clip"]))
            return None if clip is None else ClipTagged(clip_id=clip.id, camera_id=clip.camera_id,
                                                        case_id=clip.case_id, tags=clip.tags)
        if name == "CamerasChanged" and message.get("all"):
            return CamerasChanged(updated=tuple(c.id for c in self._cameras.list()))
        cls = EVENT_TYPES.get(name)
        if cls is None:
            log.warning("notification of unknown event type %r ignored (a newer seat?)", name)
            return None
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in message.items() if k in fields}
        return cls(**values)

    def _alert_changed(self, message: Message) -> Event | None:
        alert_id, actor = str(message["alert"]), str(message.get("actor", ""))
        alert = self._alerts.get(alert_id)
        if alert is None:
            return None
        changes = message.get("changes")
        if message.get("changes_omitted"):
            query = (select(AlertHistoryRow.change).where(AlertHistoryRow.alert_id == alert_id,
                                                          AlertHistoryRow.actor == actor)
                     .order_by(AlertHistoryRow.at.desc(), AlertHistoryRow.id.desc()).limit(1))
            with self._db.session() as session:
                changes = session.scalar(query)
        return AlertChanged(alert=alert, changes=dict(changes or {}), actor=actor)

    def resync(self, since: datetime) -> list[Event]:
        """What a listener that was away since ``since`` publishes so that views reload (module docstring)."""
        changed_alerts = select(AlertHistoryRow.alert_id).where(AlertHistoryRow.at >= since)
        alerts = (select(AlertRow).where(or_(AlertRow.received_at >= since, AlertRow.id.in_(changed_alerts)))
                  .order_by(AlertRow.received_at.desc(), AlertRow.id).limit(RESYNC_LIMIT))
        clips = (select(ClipRow.id, ClipRow.status, ClipRow.case_id).where(ClipRow.updated_at >= since)
                 .order_by(ClipRow.updated_at.desc(), ClipRow.id).limit(RESYNC_LIMIT))
        cases = (select(CaseRow.id).where(CaseRow.updated_at >= since)
                 .order_by(CaseRow.updated_at.desc(), CaseRow.id).limit(RESYNC_LIMIT))
        with self._db.session() as session:
            events: list[Event] = [CamerasChanged(updated=tuple(session.scalars(
                select(CameraRow.id).order_by(CameraRow.id))))]
            events += [AlertChanged(alert=to_alert(row)) for row in session.scalars(alerts)]
            events += [ClipChanged(clip_id=clip_id, what="resync", status=status, case_id=case_id)
                       for clip_id, status, case_id in session.execute(clips)]
            events += [CaseChanged(case_id=case_id, what="resync") for case_id in session.scalars(cases)]
        return events


# --- the bridge ---------------------------------------------------------------------------------------------


class _Sender:
    """One worker thread sending queued payloads on one autocommit connection, in order."""

    def __init__(self, conninfo: str, seat: str) -> None:
        self._conninfo = conninfo
        self._seat = seat
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._work, name="pg-event-sender", daemon=True)
        self.sent = 0
        self.dropped = 0

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        self._thread.start()

    def put(self, payload: str) -> None:
        self._queue.put(payload)

    def drain(self) -> None:
        """Return once every payload queued so far has been sent (or dropped)."""
        self._queue.join()

    def stop(self, timeout: float) -> None:
        """Send what is queued, then close (waiting at most ``timeout``; the thread is a daemon)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _work(self) -> None:
        try:
            while (payload := self._queue.get()) is not None:
                try:
                    self._send(payload)
                finally:
                    self._queue.task_done()
            self._queue.task_done()
        finally:
            self._close()

    def _send(self, payload: str) -> None:
        for attempt in (1, 2):  # a connection the server dropped since the last send: one fresh try
            try:
                conn = self._connection()
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                self.sent += 1
                return
            except psycopg.Error as exc:
                self._close()
                if attempt == 2:
                    self.dropped += 1
                    log.error("event not sent to other seats (%s): %s", exc, payload[:200])

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                         application_name=f"c4desk-notify {self._seat}"[:63])
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class PgEventBridge:
    """This seat's bus, bridged to every other seat's through PostgreSQL (see the module docstring).

    ``start()`` returns once the listener is LISTENing (or after ``START_WAIT_S`` if the server does not answer:
    it keeps trying). ``stop()`` returns within about a second. Counters (``received``, ``reconnects``, ...) are
    for tests and diagnostics.
    """

    def __init__(self, db: Database, bus: EventBus, seat: str, *, retry_s: float = RETRY_S,
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        if db.is_sqlite:
            raise ValueError("the event bridge is for PostgreSQL; on SQLite every seat is one process")
        self.db = db
        self.bus = bus
        self.seat = seat
        self._conninfo = libpq_conninfo(db.engine.url)
        self._retry_s = retry_s
        self._heartbeat_s = heartbeat_s
        self._loader = EventLoader(db)
        self._sender = _Sender(self._conninfo, seat)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._alive_at: datetime | None = None  # when the listener was last known to be connected
        self.listener_pid: int | None = None  # the listening backend's pid (pg_stat_activity, tests)
        self.received = 0  # notifications from other seats published here
        self.ignored = 0  # this seat's own notifications, and ones that could not be rebuilt
        self.reconnects = 0
        self.resyncs = 0

    # ---- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> PgEventBridge:
        if self._thread is not None:
            return self
        self._stop.clear()
        if self._sender.started:  # started before and stopped since: a thread runs once, so a new sender
            self._sender = _Sender(self._conninfo, self.seat)
        self._sender.start()
        self._unsubscribe = self.bus.subscribe(Event, self._on_local_event, local_only=True)
        self._thread = threading.Thread(target=self._listen_loop, name="pg-event-listener", daemon=True)
        self._thread.start()
        if not self._listening.wait(START_WAIT_S):
            log.warning("not yet listening for other seats' events after %.0f s; still trying", START_WAIT_S)
        return self

    def stop(self) -> None:
        """Stop sending (what is queued still goes) and listening."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self._sender.stop(STOP_WAIT_S)
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            if self._thread.is_alive():
                log.warning("event listener still busy after %.1f s (a slow handler?); left as a daemon",
                            STOP_WAIT_S)
            self._thread = None

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def drain(self) -> None:
        """Return once every local event published so far has been sent (tests; shutting down)."""
        self._sender.drain()

    @property
    def sent(self) -> int:
        return self._sender.sent

    # ---- sending ---------------------------------------------------------------------------------------------

    def _on_local_event(self, event: Event) -> None:
        try:
            payload = encode_event(event, self.seat)
        except Exception:
            log.exception("cannot encode %s for other seats", type(event).__name__)
            return
        if payload is not None:
            self._sender.put(payload)

    # ---- receiving -------------------------------------------------------------------------------------------

    def _listen_loop(self) -> None:
        delay = self._retry_s
        first = True
        while not self._stop.is_set():
            conn: psycopg.Connection[Any] | None = None
            try:
                conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                       application_name=f"c4desk-listen {self.seat}"[:63], keepalives=1,
                                       keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
                conn.execute("LISTEN c4desk_events")  # CHANNEL
                self.listener_pid = conn.info.backend_pid
                away_since = self._alive_at
                self._alive_at = datetime.now(UTC)
                self._listening.set()
                delay = self._retry_s
                if not first:
                    self.reconnects += 1
                    log.info("listening for other seats' events again")
                    self._resync(away_since)
                first = False
                self._receive(conn)
            except Exception as exc:
                self._listening.clear()
                if self._stop.is_set():
                    break
                if isinstance(exc, psycopg.Error):
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    log.warning("lost the connection that listens for other seats' events (%s); retrying in "
                                "%.1f s", reason, delay)
                else:  # a bug, not the network: said loudly, and the listener carries on
                    log.exception("the listener for other seats' events failed; retrying in %.1f s", delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            finally:
                if conn is not None:
                    conn.close()
        self._listening.clear()

    def _receive(self, conn: psycopg.Connection[Any]) -> None:
        last_check = time.monotonic()
        while not self._stop.is_set():
            for notify in conn.notifies(timeout=POLL_S):
                self._alive_at = datetime.now(UTC)
                last_check = time.monotonic()
                self._handle(notify.payload)
                if self._stop.is_set():
                    return
            if time.monotonic() - last_check >= self._heartbeat_s:
                conn.execute("SELECT 1")  # an idle connection: is it still there? (raises if not)
                self._alive_at = datetime.now(UTC)
                last_check = time.monotonic()

    def _handle(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            if not isinstance(message, dict) or message.get("v") != PAYLOAD_VERSION:
                raise ValueError("not a version-1 message")
        except ValueError as exc:
            self.ignored += 1
            log.warning("notification on %s not understood (%s): %.200s", CHANNEL, exc, payload)
            return
        if message.get("origin") == self.seat:
            self.ignored += 1
            return
        try:
            event = self._loader.load(message)
        except Exception:
            self.ignored += 1
            log.exception("cannot rebuild the event of notification %.200s", payload)
            return
        if event is None:
            self.ignored += 1
            log.debug("notification for rows that are gone: %.200s", payload)
            return
        self.received += 1
        self.bus.publish(event, remote=True)

    def _resync(self, away_since: datetime | None) -> None:
        since = (away_since or datetime.now(UTC)) - RESYNC_MARGIN
        try:
            events = self._loader.resync(since)
        except Exception:
            log.exception("resync after reconnecting failed; views reload on their next change")
            return
        self.resyncs += 1
        log.info("resync: %d event(s) for what changed while not listening", len(events))
        for event in events:
            self.bus.publish(event, remote=True)


def bridge_events(db: Database, bus: EventBus, seat: str) -> PgEventBridge | None:
    """A started bridge for a PostgreSQL database; None for SQLite (one seat: nothing to bridge)."""
    return None if db.is_sqlite else PgEventBridge(db, bus, seat).start()


__all__ = ["CHANNEL", "MAX_PAYLOAD_BYTES", "EventLoader", "PgEventBridge", "bridge_events", "encode_event",
           "libpq_conninfo", "new_seat_id"]
