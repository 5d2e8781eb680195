"""The shared clip-table helpers: columns by name, and a reload that keeps every selected row selected."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from c4desk.ui.cases.tables import (
    CLIP_COLUMNS,
    CLIP_FIELDS,
    clip_columns,
    select_keys,
    selected_records,
    set_records_keeping_selection,
    status_table,
)
from c4desk.ui.record_table import RecordTable
from c4desk.ui.review.review_queue import QUEUE_COLUMNS


@dataclass(frozen=True)
class Item:
    id: int
    status: str = "draft"


def table(qtbot: QtBot, *, multi: bool) -> RecordTable:
    t = status_table((("#", lambda r: r.id), ("Status", lambda r: r.status)), lambda r: r.id, 1,
                     lambda r: r.status, multi=multi)
    qtbot.addWidget(t)
    t.show()
    return t


def selected_ids(t: RecordTable) -> list[int]:
    return [r.id for r in selected_records(t)]


def test_clip_tables_share_their_columns() -> None:
    assert [name for name, _ in CLIP_COLUMNS] == ["#", "Case", "Camera", "In", "Length", "Tags", "Status",
                                                 "Tagged by", "Reviewer", "Comment"]
    assert [name for name, _ in QUEUE_COLUMNS] == ["#", "Case", "Camera", "In", "Length", "Tags", "Status",
                                                  "Tagged by", "Submitted"]
    shared = dict(QUEUE_COLUMNS)
    for name, getter in CLIP_COLUMNS:  # the same getter, so a clip reads the same in both tables
        assert name not in shared or shared[name] is getter is CLIP_FIELDS[name]
    with pytest.raises(KeyError):
        clip_columns("Lenght")


def test_a_reload_keeps_a_multi_selection(qtbot: QtBot) -> None:
    t = table(qtbot, multi=True)
    t.records.set_records([Item(i) for i in range(6)])
    assert select_keys(t, [1, 3, 4])
    assert selected_ids(t) == [1, 3, 4]
    changes: list[object] = []
    t.selectionModel().selectionChanged.connect(lambda *_: changes.append(1))

    # Newer records on top, one of the selected gone (submitted, discarded): the others stay selected.
    assert set_records_keeping_selection(t, [Item(9), Item(0), Item(1, "pending"), Item(2), Item(4)])
    assert selected_ids(t) == [1, 4]
    assert selected_records(t)[0].status == "pending"  # the reloaded record, not the old one
    assert t.currentIndex().row() == 2
    assert changes  # the widgets update their buttons and details from this signal

    assert not set_records_keeping_selection(t, [Item(7), Item(8)])  # none left
    assert selected_ids(t) == []
    QApplication.processEvents()


def test_a_single_selection_table_keeps_its_row(qtbot: QtBot) -> None:
    t = table(qtbot, multi=False)
    t.records.set_records([Item(i) for i in range(3)])
    t.selectRow(2)
    assert set_records_keeping_selection(t, [Item(5), Item(2)])
    assert selected_ids(t) == [2]
    assert not select_keys(t, [99])
    assert selected_ids(t) == [2]  # asking for what is not shown leaves the selection alone
