"""One camera's PTZ calls, run off the GUI thread in the order they were made, one at a time.

Why not straight onto the shared pool: two tasks there may run at once, so a ``stop`` could reach the camera
before the ``move`` it was meant to end, and the camera would keep turning. Here every call goes through
``run_in_background`` on a private one-thread pool, which keeps them in order.

Motion is sent as a *desired state* (pan/tilt speed, zoom speed): when several are queued behind a slow camera
only the newest is sent (the older ones are skipped when their turn comes), so a camera that answers late
never replays a backlog of moves. Calls queued for a client that has since been replaced are skipped too.

A person's client is a ``GuardedPtz``: a command their role may not give fails with ``PermissionDenied``
(audited by the client) and comes out as ``failed(what, "Not allowed: ...")`` like any other failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal
from shiboken6 import isValid

from c4desk.domain.permissions import PermissionDenied
from c4desk.integrations.ptz import PtzClient, PtzError
from c4desk.ui.background import run_in_background

log = logging.getLogger(__name__)
Motion = tuple[float, float, float]  # (pan speed, tilt speed, zoom speed), each in [-1, 1]
STILL: Motion = (0.0, 0.0, 0.0)


class _Skipped:
    """What a superseded call returns instead of running."""


SKIPPED = _Skipped()


@dataclass
class _Session:
    """One client's state, read by the worker thread when a call's turn comes (plain Python, no Qt)."""

    retired: bool = False  # the client was replaced: its queued calls are skipped
    motion_seq: int = 0  # the newest motion asked for
    sent: Motion | None = STILL  # what the camera was last told (None: unknown, after a failure)


def apply_motion(client: PtzClient, target: Motion, sent: Motion | None) -> None:
    """Bring the camera from ``sent`` to ``target`` with the fewest commands (a full stop when still)."""
    if target == STILL:
        client.stop()
        return
    if sent is None or target[:2] != sent[:2]:
        client.continuous_move(target[0], target[1])
    if sent is None or target[2] != sent[2]:
        client.continuous_zoom(target[2])


class PtzCommands(QObject):
    """``call(what, fn)`` runs ``fn(client)``; failures come out as ``failed(what, message)``."""

    failed = Signal(str, str)
    succeeded = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._client: PtzClient | None = None
        self._session = _Session()
        self._busy: set[str] = set()
        self.motion: Motion = STILL

    @property
    def client(self) -> PtzClient | None:
        return self._client

    def set_client(self, client: PtzClient | None) -> None:
        """Switch cameras: the old one is stopped if it was moving, then closed; its queued calls are dropped."""
        old, was_moving = self._client, self.motion != STILL
        self._session.retired = True
        self._session = _Session()
        self._busy.clear()
        self.motion = STILL
        if old is not None:
            run_in_background(lambda: _retire(old, was_moving), pool=self._pool,
                              on_error=lambda exc: log.info("closing PTZ client: %s", exc))
        self._client = client

    def shutdown(self, wait_ms: int = 0) -> bool:
        """Let go of the camera (stopping it if it moves); with ``wait_ms``, wait that long for the calls
        already on their way. True when nothing is left running."""
        self.set_client(None)
        return self._pool.waitForDone(wait_ms) if wait_ms else self._pool.activeThreadCount() == 0

    def move(self, target: Motion) -> bool:
        """Make the camera move at ``target`` speeds (STILL stops it). Only the newest queued target is sent."""
        if self._client is None or target == self.motion:
            return False
        self.motion = target
        session = self._session
        session.motion_seq += 1
        seq = session.motion_seq

        def work(client: PtzClient) -> object:
            if seq != session.motion_seq:
                return SKIPPED
            try:
                apply_motion(client, target, session.sent)
            except Exception:
                session.sent = None  # the camera may be half way: send everything next time
                raise
            session.sent = target
            return None

        return self.call("stop" if target == STILL else "move", work)

    def call(self, what: str, fn: Callable[[PtzClient], Any], on_done: Callable[[Any], None] | None = None, *,
             key: str | None = None) -> bool:
        """Queue ``fn(client)``; ``on_done(result)`` on the GUI thread. With ``key``, skipped while one with the
        same key is still queued or running (a position poll must not pile up behind a slow camera)."""
        client = self._client
        if client is None or (key is not None and key in self._busy):
            return False
        if key is not None:
            self._busy.add(key)
        session = self._session

        def work() -> object:
            if session.retired:
                return SKIPPED
            return fn(client)

        def settle() -> bool:
            """Whether the result still matters (same widget, same camera)."""
            if not isValid(self) or session is not self._session:
                return False
            if key is not None:
                self._busy.discard(key)
            return True

        def done(result: object) -> None:
            if settle() and result is not SKIPPED:
                self.succeeded.emit(what)
                if on_done is not None:
                    on_done(result)

        def failed(exc: BaseException) -> None:
            if settle():
                message = (f"Not allowed: {exc}" if isinstance(exc, PermissionDenied)
                           else str(exc) if isinstance(exc, PtzError | ValueError) else f"{type(exc).__name__}: {exc}")
                self.failed.emit(what, message)

        run_in_background(work, done, failed, pool=self._pool)
        return True


def _retire(client: PtzClient, stop: bool) -> None:
    try:
        if stop:
            client.stop()
    finally:
        client.close()
