"""The single place where bus events (published on any thread) become Qt signals on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal


class EventBridge(QObject):
    """Subscribes to the Qt-free event bus and re-emits every event as ``event_received`` on the GUI thread.

    The relay signal is connected with a queued connection, so a handler running on a hub or ingest thread
    only posts an event to the GUI thread's queue; widgets connect to ``event_received`` and may touch
    themselves freely.
    """

    event_received = Signal(object)
    _relay = Signal(object)

    def __init__(self, subscribe: Callable[[type, Callable[[object], None]], Callable[[], None]],
                 event_types: tuple[type, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay.connect(self.event_received, Qt.ConnectionType.QueuedConnection)
        self._unsubscribers = [subscribe(t, self._relay.emit) for t in event_types]

    def close(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
