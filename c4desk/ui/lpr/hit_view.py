"""A hotlist hit as the analyst checks it: the camera's plate crop next to what the list says about the plate.

The check an analyst makes before acting on a hit is "does the picture show the plate the list wants?"
(OCR misreads, wrong state). So the crop comes first, at a size where the characters can be read, with the
plate as read, the hotlist entry it matched and how, and the entry's annotations (NCIC make, colour, ...).
Shown under the alert queue's details for hotlist alerts only; hidden for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from c4desk.domain.alerts import SOURCE_HOTLIST, Alert
from c4desk.ui import theme
from c4desk.ui.lpr.plate_images import PlateImages

CROP_HEIGHT = 64
MATCH_WORDS = {"exact": "exact match", "wildcard": "wildcard entry", "possible": "possible (OCR-confusable)"}


def hit_lines(payload: Mapping[str, Any]) -> list[str]:
    """The hit in words (HTML-escaped): plate as read, the entry it matched, the entry's annotations."""
    plate = str(payload.get("plate") or "?")
    region = str(payload.get("region") or "")
    confidence = payload.get("confidence")
    read = f"<b>{escape(plate)}</b>" + (f" ({escape(region)})" if region else "")
    read += f" read by {escape(str(payload.get('camera_id') or '?'))}"
    if isinstance(confidence, int | float):
        read += f", {confidence:.0%}"
    entry_plate = str(payload.get("entry_plate") or "")
    match = MATCH_WORDS.get(str(payload.get("match") or ""), str(payload.get("match") or ""))
    hotlist, category = str(payload.get("hotlist") or ""), str(payload.get("category") or "")
    entry = " · ".join(escape(p) for p in dict.fromkeys((hotlist, category)) if p)  # "BOLO · BOLO" said once
    entry += (" · " if entry else "") + escape(match)
    if entry_plate and entry_plate != plate:
        entry += f" of {escape(entry_plate)}"
    lines = [read, entry]
    reason = str(payload.get("reason") or "")
    if reason:
        lines.append(escape(reason))
    annotations = payload.get("annotations")
    if isinstance(annotations, Mapping) and annotations:
        lines.append(" · ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in annotations.items()))
    return lines


class HotlistHitView(QFrame):
    def __init__(self, images: PlateImages | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hotlistHit")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#hotlistHit {{ border: 1px solid {theme.BAD}; border-radius: 3px; }}")
        self._images = images
        self._alert_id: str | None = None
        self.crop = QLabel()
        self.crop.setObjectName("plateCrop")
        self.crop.setMinimumSize(120, CROP_HEIGHT)
        self.crop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.crop.setStyleSheet(f"color: {theme.MUTED};")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.addWidget(self.summary)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.crop)
        layout.addLayout(text, 1)
        self.show_alert(None)

    @property
    def alert_id(self) -> str | None:
        return self._alert_id

    def has_crop(self) -> bool:
        pixmap = self.crop.pixmap()
        return pixmap is not None and not pixmap.isNull()

    def show_alert(self, alert: Alert | None) -> None:
        """Show a hotlist alert's crop and hit; hide for no alert or another kind."""
        if alert is None or alert.source != SOURCE_HOTLIST:
            self._alert_id = None
            self.crop.clear()
            self.summary.clear()
            self.hide()
            return
        if alert.id == self._alert_id:
            return  # the same hit (a status change): the crop is already there
        self._alert_id = alert.id
        self.summary.setText("<br>".join(hit_lines(alert.payload)))
        self.crop.clear()
        ref = str(alert.payload.get("plate_image_ref") or "")
        if not ref:
            self.crop.setText("no plate image\nfrom the camera")
        elif self._images is None:
            self.crop.setText("plate images\nnot available here")
        else:
            self.crop.setText("loading ...")
            alert_id = alert.id
            self._images.load(ref, lambda pixmap: self._show_crop(alert_id, pixmap), height=CROP_HEIGHT,
                              owner=self)
        self.show()

    def _show_crop(self, alert_id: str, pixmap: QPixmap | None) -> None:
        if alert_id != self._alert_id:
            return  # another alert was selected meanwhile
        if pixmap is None:
            self.crop.setText("plate image\nmissing on disk")
        else:
            self.crop.setPixmap(pixmap)


def insert_into(container: QWidget, view: QWidget, index: int) -> None:
    """Put ``view`` at ``index`` of ``container``'s box layout (the alert details, under the alert's facts)."""
    layout = container.layout()
    if not isinstance(layout, QBoxLayout):
        raise TypeError(f"{type(container).__name__} has no box layout to hold the hit view")
    layout.insertWidget(index, view)
