"""Python's cycle collector runs on whichever thread happens to allocate. If it frees a cycle holding Qt objects
on a worker (a plate search, a PTZ call), Qt objects die off the GUI thread ("Timers cannot be stopped from
another thread", or worse). So the GUI process turns automatic collection off and collects on a GUI timer."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer.start()

    def collect(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds, as gc would have."""
        counts = gc.get_count()
        if counts[0] > self._threshold[0]:
            generation = 0
            if counts[1] > self._threshold[1]:
                generation = 1
                if counts[2] > self._threshold[2]:
                    generation = 2
            gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
