"""Plate reads as they arrive, newest first. (Search, hits and history come with the LPR work.)"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from c4desk.domain.plates import LprRead
from c4desk.ui.record_table import RecordTable
from c4desk.ui.timefmt import local_time


def _confidence(r: LprRead) -> str:
    return "" if r.confidence is None else f"{r.confidence:.0%}"


COLUMNS = (
    ("Read", lambda r: local_time(r.read_at)),
    ("Plate", lambda r: r.plate_norm),
    ("Region", lambda r: r.region),
    ("Camera", lambda r: r.camera_id),
    ("Conf.", _confidence),
    ("Dir.", lambda r: r.direction),
)


def _key(r: LprRead) -> object:
    return r.id if r.id is not None else (r.camera_id, r.read_at, r.plate_raw)


class PlateReadTable(RecordTable):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, key=_key, parent=parent)
        self.setColumnWidth(0, 80)
        self.setColumnWidth(1, 90)
        self.setColumnWidth(2, 55)
        self.setColumnWidth(3, 70)
        self.setColumnWidth(4, 50)
