"""The tables of the case and review widgets: record tables whose status column is drawn in its colour.

Clip tables (a case's clips, the review queue, "My clips") take their columns by name from ``CLIP_FIELDS``, so a
clip's length or camera reads the same everywhere; ``set_records_keeping_selection`` reloads any of these tables
without losing what the user had selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QWidget

from c4desk.domain.permissions import Actor
from c4desk.store.clips import Clip, ClipRepository
from c4desk.ui.cases.common import STATUS_COLOURS, duration_text
from c4desk.ui.record_table import Column, RecordModel, RecordTable
from c4desk.ui.timefmt import local_datetime

_Index = QModelIndex | QPersistentModelIndex

CLIP_FIELDS: dict[str, Callable[[Clip], object]] = {
    "#": lambda c: c.id,
    "Case": lambda c: c.case_number or "",
    "Camera": lambda c: c.camera_name or c.camera_id,
    "In": lambda c: local_datetime(c.start_at),
    "Length": lambda c: duration_text(c.duration_s),
    "Tags": lambda c: ", ".join(c.tags),
    "Status": lambda c: c.status,
    "Tagged by": lambda c: c.created_by,
    "Submitted": lambda c: local_datetime(c.submitted_at),
    "Reviewer": lambda c: c.reviewed_by or "",
    "Comment": lambda c: c.review_comment,
}


def clip_columns(*names: str) -> tuple[Column, ...]:
    """Columns of a clip table, by header (keys of ``CLIP_FIELDS``), in the order given."""
    return tuple((name, CLIP_FIELDS[name]) for name in names)


CLIP_COLUMNS = clip_columns("#", "Case", "Camera", "In", "Length", "Tags", "Status", "Tagged by", "Reviewer",
                            "Comment")


class StatusModel(RecordModel):
    """A RecordModel that colours the text of one column by the record's status."""

    def __init__(self, columns: Sequence[Column], key: Callable[[Any], object], status_column: int,
                 status_of: Callable[[Any], str], limit: int = 2000) -> None:
        super().__init__(columns, key, limit)
        self._status_column = status_column
        self._status_of = status_of

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.column() == self._status_column:
            colour = STATUS_COLOURS.get(self._status_of(self.record(index.row())))
            return QColor(colour) if colour else None
        return super().data(index, role)


def status_table(columns: Sequence[Column], key: Callable[[Any], object], status_column: int,
                 status_of: Callable[[Any], str], parent: QWidget | None = None, *,
                 multi: bool = False) -> RecordTable:
    table = RecordTable(columns, key, parent)
    table.records = StatusModel(columns, key, status_column, status_of)
    table.setModel(table.records)
    if multi:
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    else:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return table


def clip_table(parent: QWidget | None = None, *, multi: bool = False,
               columns: Sequence[Column] = CLIP_COLUMNS) -> RecordTable:
    status = next(i for i, (name, _) in enumerate(columns) if name == "Status")
    table = status_table(columns, lambda c: c.id, status, lambda c: c.status, parent, multi=multi)
    set_widths(table, 44, 70, 130, 150, 64, 140, 70, 84, 84)
    return table


def set_widths(table: RecordTable, *widths: int) -> None:
    """Column widths in pixels, left to right (the last column stretches anyway)."""
    for column, width in enumerate(widths[: table.records.columnCount() - 1]):
        table.setColumnWidth(column, width)


def selected_records(table: RecordTable) -> list[Any]:
    rows = sorted({i.row() for i in table.selectionModel().selectedRows()})
    return [table.records.record(r) for r in rows]


def selected_clips(table: RecordTable) -> list[Clip]:
    return [r for r in selected_records(table) if isinstance(r, Clip)]


def set_records_keeping_selection(table: RecordTable, records: Sequence[Any]) -> bool:
    """Show ``records``, then select again every row whose record was selected before (matched by the table's
    key); False when none of them is left. Emits ``selectionChanged`` only if something is selected again.

    All rows go in one selection: ``selectRow`` in a row at a time would keep only the last one in an
    extended-selection table (each call replaces the selection when no modifier key is held).
    """
    before = [table.records.key(r) for r in selected_records(table)]
    table.records.set_records(records)
    return select_keys(table, before)


def select_keys(table: RecordTable, keys: Iterable[object]) -> bool:
    """Select the rows of the records with these keys (replacing the selection); False when none is shown."""
    rows = sorted({row for row in (table.records.row_of(k) for k in keys) if row is not None})
    if not rows:
        return False
    last = table.records.columnCount() - 1
    selection = QItemSelection()
    for row in rows:
        selection.select(table.records.index(row, 0), table.records.index(row, last))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().select(selection, flags)
    table.selectionModel().setCurrentIndex(table.records.index(rows[0], 0),
                                           QItemSelectionModel.SelectionFlag.NoUpdate)
    return True


def discard_all(clips: ClipRepository, actor: Actor, chosen: Sequence[Clip]) -> int:
    """Discard each clip (stops at the first refusal, which is raised); returns how many went."""
    for clip in chosen:
        clips.discard(actor, clip.id)
    return len(chosen)
