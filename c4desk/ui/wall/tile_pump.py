"""The one GUI-thread timer behind every video tile.

A wall of sixteen tiles must not run sixteen timers: one pump takes every tile's newest picture each tick
(``POLL_MS``) and runs every tile's watchdog each ``HOUSEKEEP_S``. It is separate from the tile because it is
shared by all of them and knows them only through the three calls below; a tile whose widget was deleted is
dropped and its players released, and one tile's trouble never stops the others.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import shiboken6
from PySide6.QtCore import QObject, QTimer

__all__ = ["HOUSEKEEP_S", "POLL_MS", "Pump", "PumpedTile", "pump"]

log = logging.getLogger(__name__)

POLL_MS = 15  # how often the pump takes new pictures (faster than any camera's frame interval)
HOUSEKEEP_S = 0.25  # watchdog, visibility and stream checks


class PumpedTile(Protocol):
    """What the pump calls on a tile (``VideoView``)."""

    def _poll(self, now: float) -> None: ...
    def _housekeep(self, now: float) -> None: ...
    def _release_players(self) -> None: ...


class Pump(QObject):
    """The one GUI-thread timer behind every tile: pictures every tick, the watchdog every HOUSEKEEP_S."""

    def __init__(self) -> None:
        super().__init__()
        self._tiles: list[PumpedTile] = []
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._next_housekeep = 0.0

    def add(self, tile: PumpedTile) -> None:
        if tile not in self._tiles:
            self._tiles.append(tile)
        if not self._timer.isActive():
            self._timer.start()

    def remove(self, tile: PumpedTile) -> None:
        if tile in self._tiles:
            self._tiles.remove(tile)
        if not self._tiles:
            self._timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        housekeep = now >= self._next_housekeep
        if housekeep:
            self._next_housekeep = now + HOUSEKEEP_S
        for tile in tuple(self._tiles):
            try:
                if not shiboken6.isValid(tile):
                    self._tiles.remove(tile)
                    tile._release_players()  # the widget is gone; its players must not live on
                    continue
                tile._poll(now)
                if housekeep:
                    tile._housekeep(now)
            except Exception:  # the watchdog must outlive any one tile's trouble
                log.exception("video tile poll failed")
        if not self._tiles:
            self._timer.stop()


_the_pump: Pump | None = None


def pump() -> Pump:
    """The pump, made on first use (after the QApplication exists)."""
    global _the_pump
    if _the_pump is None:
        _the_pump = Pump()
    return _the_pump
