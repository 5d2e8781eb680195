"""Small dialogs of the wall: saving a view, setting up a camera cycle."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.camera import Camera
from c4desk.domain.layouts import MIN_DWELL_S

__all__ = ["CycleDialog", "SaveViewDialog"]


class SaveViewDialog(QDialog):
    def __init__(self, name: str = "", shared: bool = False, slot: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save view")
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setMaxLength(100)
        self.name_edit.setPlaceholderText("e.g. Downtown north")
        self.shared_box = QCheckBox("Share with the room", self)
        self.shared_box.setChecked(shared)
        self.slot_box = QComboBox(self)
        self.slot_box.addItem("not a favourite", None)
        for n in range(1, 10):
            self.slot_box.addItem(f"Ctrl+{n}", n)
        self.slot_box.setCurrentIndex(slot or 0)
        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("", self.shared_box)
        form.addRow("Favourite", self.slot_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if ok is not None:
            ok.setEnabled(bool(self.name_edit.text().strip()))

    @property
    def values(self) -> tuple[str, bool, int | None]:
        slot = self.slot_box.currentData()
        return self.name_edit.text().strip(), self.shared_box.isChecked(), slot if isinstance(slot, int) else None


class CycleDialog(QDialog):
    """Pick the cameras a view pages through and how long each page stays."""

    def __init__(self, cameras: Sequence[Camera], chosen: Sequence[str], dwell_s: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cycle cameras")
        self.list = QListWidget(self)
        picked = set(chosen)
        for cam in cameras:
            item = QListWidgetItem(f"{cam.name} ({cam.id})", self.list)
            item.setData(Qt.ItemDataRole.UserRole, cam.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if cam.id in picked else Qt.CheckState.Unchecked)
        self.dwell = QDoubleSpinBox(self)
        self.dwell.setRange(MIN_DWELL_S, 3600.0)
        self.dwell.setSuffix(" s per page")
        self.dwell.setValue(max(MIN_DWELL_S, dwell_s))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        box = QVBoxLayout(self)
        box.addWidget(self.list, 1)
        box.addWidget(self.dwell)
        box.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    @property
    def values(self) -> tuple[list[str], float]:
        ids = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids, self.dwell.value()
