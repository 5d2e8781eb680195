"""The camera list, grouped by kind, with a filter box. Double-click or Enter opens a camera."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from c4desk.domain.camera import Camera, CameraKind
from c4desk.ui.wall.mime import enable_camera_drag

GROUP_TITLES = {CameraKind.FIXED: "Fixed", CameraKind.PTZ: "PTZ", CameraKind.LPR: "LPR",
                CameraKind.PRIVATE: "Private (registered)"}
CAMERA_ROLE = Qt.ItemDataRole.UserRole


class CameraTree(QWidget):
    camera_activated = Signal(object)  # Camera

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter cameras (name, id, street)  Ctrl+F")
        self.filter_edit.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Camera", "ID"])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        enable_camera_drag(self.tree)  # drag a camera onto a wall tile
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree)
        self.tree.itemActivated.connect(self._on_item_activated)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self._cameras: list[Camera] = []

    def set_cameras(self, cameras: list[Camera]) -> None:
        self._cameras = list(cameras)
        self.tree.clear()
        for kind in CameraKind:
            members = sorted((c for c in cameras if c.kind is kind), key=lambda c: c.name.lower())
            if not members:
                continue
            group = QTreeWidgetItem(self.tree, [f"{GROUP_TITLES[kind]} ({len(members)})", ""])
            group.setFlags(group.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            for cam in members:
                item = QTreeWidgetItem(group, [cam.name, cam.id])
                item.setData(0, CAMERA_ROLE, cam)
                item.setToolTip(0, _describe(cam))
                if not cam.enabled:
                    item.setDisabled(True)
            group.setExpanded(True)
        self._apply_filter(self.filter_edit.text())

    def _groups(self) -> list[QTreeWidgetItem]:
        root = self.tree.invisibleRootItem()
        return [g for g in (root.child(i) for i in range(root.childCount())) if g is not None]

    @staticmethod
    def _members(group: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        return [m for m in (group.child(j) for j in range(group.childCount())) if m is not None]

    def item_for(self, camera_id: str) -> QTreeWidgetItem | None:
        for group in self._groups():
            for item in self._members(group):
                if item.text(1) == camera_id:
                    return item
        return None

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        cam = item.data(0, CAMERA_ROLE)
        if isinstance(cam, Camera) and cam.enabled:
            self.camera_activated.emit(cam)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for group in self._groups():
            shown = 0
            for item in self._members(group):
                cam = item.data(0, CAMERA_ROLE)
                hay = f"{cam.name} {cam.id} {cam.serial}".lower() if isinstance(cam, Camera) else ""
                hide = bool(needle) and needle not in hay
                item.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)


def _describe(cam: Camera) -> str:
    lines = [f"{cam.name}  [{cam.kind.value}]", f"{cam.lat:.5f}, {cam.lon:.5f}  heading {cam.heading_deg:.0f}°"
             f"  FOV {cam.fov_deg:.0f}°  range {cam.range_m:.0f} m"]
    if cam.owner or cam.contact:
        lines.append(f"Owner: {cam.owner} {cam.contact}".strip())
    return "\n".join(lines)
