"""The one way to run work off the GUI thread: a QThreadPool task whose result comes back as a queued signal.

Widgets never touch results from the worker thread; ``on_done``/``on_error`` run on the GUI thread.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], Any]) -> None:
        # Parented to the application: the C++ object is never deleted by a Python reference dying on a worker.
        super().__init__(QCoreApplication.instance())
        # The relay, not the task, holds the work function: a closure over a widget must die on the GUI thread
        # (a widget destroyed on a worker trips "Timers cannot be stopped from another thread").
        self.fn: Callable[[], Any] | None = fn


class _Task(QRunnable):
    def __init__(self, relay: _Relay) -> None:
        super().__init__()
        self._relay = relay

    def run(self) -> None:
        fn = self._relay.fn
        assert fn is not None
        try:
            result = fn()
        except Exception as exc:  # reported to the GUI thread, never swallowed
            del fn
            log.debug("background task failed:\n%s", traceback.format_exc())
            self._relay.failed.emit(exc)
        else:
            del fn
            self._relay.done.emit(result)


_live_relays: set[_Relay] = set()


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Run ``fn`` on a pool thread; call ``on_done(result)`` or ``on_error(exc)`` on the GUI thread."""
    relay = _Relay(fn)  # created on the GUI thread, so its signals are delivered there
    _live_relays.add(relay)

    def finish() -> None:
        relay.fn = None
        _live_relays.discard(relay)
        relay.deleteLater()

    def done(result: object) -> None:
        try:
            if on_done is not None:
                on_done(result)
        finally:
            finish()

    def failed(exc: object) -> None:
        try:
            if on_error is not None:
                on_error(exc)  # type: ignore[arg-type]
            else:
                log.error("background task failed: %s", exc)
        finally:
            finish()

    relay.done.connect(done)
    relay.failed.connect(failed)
    (pool or QThreadPool.globalInstance()).start(_Task(relay))
