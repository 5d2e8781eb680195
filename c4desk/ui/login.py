"""The login at start: user name and password, checked (and audited) by the user repository, never here.

The password check (argon2, ~0.1 s) runs through ``run_in_background`` so the window stays responsive. A failed
attempt shows the repository's message (which never says whether the name or the password was wrong), clears the
password and keeps the name. A banner line says what kind of system this is; the demo uses it to print its
well-known accounts, and says they are for the demo only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Actor
from c4desk.store.users import AuthenticationError, UserRepository
from c4desk.ui import theme
from c4desk.ui.background import run_in_background

# CJIS 5.5.4 asks for a system use notification before access.
USE_NOTICE = "Authorized use only. Every logon and action is recorded in the audit trail."
NO_USERS = "No accounts yet. Create the first administrator with: c4desk user add NAME --role admin"


class LoginDialog(QDialog):
    """``exec()`` (or ``open()``) it; after ``accepted``, ``actor`` is the logged-in user."""

    def __init__(self, users: UserRepository, banner: str = "", username: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("c4desk — log in")
        self.setObjectName("LoginDialog")
        self.setMinimumWidth(440)
        self._users = users
        self.actor: Actor | None = None
        self._busy = False

        title = QLabel("c4desk")
        title.setStyleSheet(f"font-size: 20pt; font-weight: 600; color: {theme.TEXT};")
        subtitle = QLabel("Real-Time Crime Center workstation")
        subtitle.setStyleSheet(f"color: {theme.MUTED};")
        self.banner = QLabel(banner)
        self.banner.setWordWrap(True)
        self.banner.setVisible(bool(banner))
        self.banner.setStyleSheet(f"background: {theme.RAISED}; color: {theme.WARN}; padding: 6px 8px;"
                                  f"border-left: 3px solid {theme.WARN};")
        self.username = QLineEdit(username)
        self.username.setPlaceholderText("user name")
        self.username.setMaxLength(64)
        self.password = QLineEdit()
        self.password.setPlaceholderText("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(1024)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.BAD};")
        self.error.setVisible(False)
        notice = QLabel(USE_NOTICE)
        notice.setWordWrap(True)
        notice.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.login_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.login_button.setText("Log in")
        self.login_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")

        form = QFormLayout()
        form.addRow("User", self.username)
        form.addRow("Password", self.password)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        layout.addWidget(notice)

        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        (self.password if username else self.username).setFocus(Qt.FocusReason.OtherFocusReason)
        run_in_background(users.has_users, self._on_has_users)

    def try_login(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if self._busy:
            return
        if not name or not password:
            self._show_error("Enter your user name and password")
            return
        self._busy = True
        self.login_button.setEnabled(False)
        self.error.setVisible(False)
        users = self._users
        run_in_background(lambda: users.authenticate(name, password), self._on_logged_in, self._on_failed)

    def _on_logged_in(self, actor: Actor) -> None:
        self._busy = False
        self.actor = actor
        self.password.clear()
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._busy = False
        self.login_button.setEnabled(True)
        self._show_error(str(exc) if isinstance(exc, AuthenticationError) else f"Login failed: {exc}")
        self.password.clear()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_has_users(self, has_users: bool) -> None:
        if not has_users:
            self._show_error(NO_USERS)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)
        self.adjustSize()  # grow to fit the message now, not squeeze the fields until the next layout pass


def login(users: UserRepository, banner: str = "", username: str = "",
          parent: QWidget | None = None) -> Actor | None:
    """Show the login dialog until the user logs in (the Actor) or quits (None)."""
    dialog = LoginDialog(users, banner, username, parent)
    try:
        return dialog.actor if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
