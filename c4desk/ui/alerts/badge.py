"""The priority column's coloured badge: P1 red, P2 amber, P3 blue, lower grey; greyed out once closed."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from c4desk.ui import theme
from c4desk.ui.alerts.queue_model import CLOSED_ROLE, PRIORITY_ROLE

PRIORITY_COLOURS = {1: theme.BAD, 2: theme.WARN, 3: theme.ACCENT}


def badge_colour(priority: int, closed: bool) -> QColor:
    colour = QColor(PRIORITY_COLOURS.get(priority, theme.MUTED))
    return colour.darker(250) if closed else colour


class PriorityDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        # The cell's own background (selection, flash) first, then the badge over it, without the text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        priority = int(index.data(PRIORITY_ROLE) or 0)
        closed = bool(index.data(CLOSED_ROLE))
        rect = QRectF(option.rect).adjusted(3, 3, -3, -3)
        width = min(rect.width(), 30.0)
        badge = QRectF(rect.center().x() - width / 2, rect.top(), width, rect.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge_colour(priority, closed))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(theme.MUTED if closed else theme.BG))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"P{priority}")
        painter.restore()
