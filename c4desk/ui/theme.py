"""A dark theme for control rooms: low glare, high contrast for state colours, nothing pure white."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BG = "#15181c"
PANEL = "#1d2126"
RAISED = "#262b31"
TEXT = "#d7dce2"
MUTED = "#8a939d"
ACCENT = "#3d8bfd"
OK = "#3fb950"
WARN = "#d29922"
BAD = "#f85149"

STATE_COLOURS = {"live": OK, "connecting": WARN, "stalled": WARN, "reconnecting": WARN, "offline": BAD,
                 "error": BAD, "idle": MUTED, "stopped": MUTED, "ended": WARN}

STYLE_SHEET = f"""
QWidget {{ background: {BG}; color: {TEXT}; font-size: 10pt; }}
QMainWindow::separator {{ background: {RAISED}; width: 3px; height: 3px; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; border-bottom: 1px solid {RAISED}; }}
QTreeView, QTableView, QListView, QLineEdit, QPlainTextEdit {{
    background: {PANEL}; border: 1px solid {RAISED}; selection-background-color: {ACCENT};
    alternate-background-color: #20252b;
}}
QHeaderView::section {{ background: {RAISED}; color: {MUTED}; border: none; padding: 3px 6px; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; border-top: 1px solid {RAISED}; }}
QStatusBar QLabel {{ background: transparent; padding: 0 6px; }}
QMenuBar, QMenu {{ background: {PANEL}; }}
QMenu::item:selected, QMenuBar::item:selected {{ background: {ACCENT}; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {MUTED}; }}
QLabel#placeholder {{ color: {MUTED}; padding: 12px; }}
QTabBar::tab {{ background: {PANEL}; padding: 5px 12px; border: 1px solid {RAISED}; }}
QTabBar::tab:selected {{ background: {RAISED}; border-bottom: 2px solid {ACCENT}; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BG), (QPalette.ColorRole.WindowText, TEXT), (QPalette.ColorRole.Base, PANEL),
        (QPalette.ColorRole.AlternateBase, RAISED), (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.Button, RAISED), (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, ACCENT), (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, RAISED), (QPalette.ColorRole.ToolTipText, TEXT),
        (QPalette.ColorRole.PlaceholderText, MUTED),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(STYLE_SHEET)
