"""The login dialog on real Services: a good password gives the Actor, a bad one shows the error and keeps the
dialog open; both attempts are in the audit trail. Screenshots go to /tmp/users-login-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.ui.login import NO_USERS, USE_NOTICE, LoginDialog
from c4desk.ui.theme import apply_dark_theme

DEMO_BANNER = "Demo city: users analyst, wall, supervisor, admin — password demo (demo only)"


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    """The workstation's dark theme for this test's screenshots; the application's look is restored after."""
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)


def logons(services: Services) -> list[tuple[str, str]]:
    with services.db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type == "logon").order_by(AuditEventRow.id))
        return [(r.username, r.outcome) for r in rows]


def make_users(services: Services) -> None:
    admin = services.users.bootstrap_admin("admin", "admin-password")
    services.users.add(admin, "analyst", "analyst-password", Role.ANALYST)


def test_good_password_gives_the_actor(qtbot: QtBot, services: Services, dark: None) -> None:
    make_users(services)
    dialog = LoginDialog(services.users, DEMO_BANNER)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.banner.isVisible() and dialog.banner.text() == DEMO_BANNER
    assert any(label.text() == USE_NOTICE for label in dialog.findChildren(type(dialog.banner)))
    dialog.username.setText("analyst")
    dialog.password.setText("analyst-password")
    dialog.grab().save("/tmp/users-login.png")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.login_button.click()
    assert dialog.actor is not None
    assert (dialog.actor.username, dialog.actor.role) == ("analyst", Role.ANALYST)
    assert isinstance(dialog.actor, Actor) and dialog.actor.workstation == services.users._workstation
    assert dialog.password.text() == ""  # not kept in the widget after use
    assert logons(services) == [("analyst", "success")]


def test_bad_password_shows_the_error(qtbot: QtBot, services: Services, dark: None) -> None:
    make_users(services)
    dialog = LoginDialog(services.users, username="analyst")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.banner.isVisible()
    dialog.password.setText("wrong-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter logs in: the default button
    qtbot.waitUntil(lambda: dialog.error.isVisible() and dialog.login_button.isEnabled(), timeout=5000)
    assert dialog.error.text() == "unknown user name or wrong password"
    assert dialog.result() == 0 and dialog.actor is None and dialog.isVisible()
    assert dialog.password.text() == "" and dialog.username.text() == "analyst"
    dialog.grab().save("/tmp/users-login-error.png")
    assert logons(services) == [("analyst", "failure")]
    dialog.password.setText("analyst-password")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.login_button.click()
    assert dialog.actor is not None and dialog.actor.username == "analyst"


def test_empty_fields_and_no_users(qtbot: QtBot, services: Services) -> None:
    dialog = LoginDialog(services.users)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.error.text() == NO_USERS, timeout=5000)
    dialog.try_login()
    assert dialog.error.text() == "Enter your user name and password"
    assert logons(services) == []
