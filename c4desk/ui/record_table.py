"""A read-only, newest-first table of records (alerts, plate reads) described by column getters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Column = tuple[str, Callable[[Any], object]]
_Index = QModelIndex | QPersistentModelIndex


class RecordModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], key: Callable[[Any], object], limit: int = 500) -> None:
        super().__init__()
        self._columns = list(columns)
        self._key = key
        self._rows: list[Any] = []
        self._limit = limit

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        value = self._columns[index.column()][1](self._rows[index.row()])
        return "" if value is None else str(value)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0]
        return None

    def key(self, record: Any) -> object:
        """A record's identity: what ``row_of`` and ``upsert`` match records by."""
        return self._key(record)

    def row_of(self, key: object) -> int | None:
        return next((i for i, r in enumerate(self._rows) if self._key(r) == key), None)

    def record(self, row: int) -> Any:
        return self._rows[row]

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(records)[: self._limit]
        self.endResetModel()

    def upsert(self, record: Any) -> None:
        """Replace the record with the same key in place, or put a new one on top."""
        key = self._key(record)
        for i, existing in enumerate(self._rows):
            if self._key(existing) == key:
                self._rows[i] = record
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self._columns) - 1))
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, record)
        self.endInsertRows()
        if len(self._rows) > self._limit:
            self.beginRemoveRows(QModelIndex(), self._limit, len(self._rows) - 1)
            del self._rows[self._limit:]
            self.endRemoveRows()


class RecordTable(QTableView):
    def __init__(self, columns: Sequence[Column], key: Callable[[Any], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records = RecordModel(columns, key)
        self.setModel(self.records)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
