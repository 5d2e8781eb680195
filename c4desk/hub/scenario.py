"""Plays a looping timeline of events against the wall clock, for the demo city.

The hub does not know what the demo is: it gets timed items and a handler, and calls the handler for
each item when the loop reaches its time. All loops share one epoch with the demo's video servers, so the
events line up with what the cameras show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Occurrence(Generic[T]):
    item: T
    cycle: int
    at: datetime  # the wall-clock time this occurrence belongs to


class ScenarioPlayer(Generic[T]):
    """Calls ``handler(occurrence)`` on its own thread for every item, loop after loop, until stopped.

    ``items`` are ``(t, item)`` with 0 <= t < period. Events already past when the player starts (in the
    current loop) are skipped, so starting mid-loop does not flood the store.
    """

    def __init__(self, items: Sequence[tuple[float, T]], handler: Callable[[Occurrence[T]], None], *,
                 epoch: float, period: float, clock: Callable[[], float] = time.time) -> None:
        if period <= 0:
            raise ValueError("period must be positive")
        self._items = sorted(items, key=lambda pair: pair[0])
        self._handler = handler
        self._epoch = epoch
        self._period = period
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scenario-player", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _schedule(self, now: float) -> list[tuple[float, int, T]]:
        cycle = int((now - self._epoch) // self._period)
        out: list[tuple[float, int, T]] = []
        for c in (cycle, cycle + 1):
            base = self._epoch + c * self._period
            out.extend((base + t, c, item) for t, item in self._items if base + t >= now)
        return out

    def _run(self) -> None:
        now = self._clock()
        queue = self._schedule(now)
        while not self._stop.is_set():
            if not queue:
                queue = self._schedule(self._clock())
                continue
            due, cycle, item = queue[0]
            wait = due - self._clock()
            if wait > 0 and self._stop.wait(min(wait, 0.5)):
                return
            if wait > 0.5:
                continue
            queue.pop(0)
            try:
                self._handler(Occurrence(item, cycle, datetime.fromtimestamp(due, UTC)))
                self.delivered += 1
            except Exception:
                log.exception("scenario event failed")
            if not queue:
                queue = self._schedule(due + 1e-6)
