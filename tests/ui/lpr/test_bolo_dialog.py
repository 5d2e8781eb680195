"""Manual BOLO entry on real Services: stored and audited as the logged-in Actor, refused when incomplete, already
expired, or the role may not edit BOLOs."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.ui.lpr.bolo_dialog import BoloDialog

ANALYST = Actor("analyst1", Role.ANALYST, "ws-1")


def test_bolo_is_stored_and_audited(qtbot: QtBot, services: Services) -> None:
    dialog = BoloDialog(services.hotlists, ANALYST)
    qtbot.addWidget(dialog)
    dialog.plate.setText("6pz-19*")
    dialog.reason.setText("shots fired, dark blue sedan")
    dialog.priority.setValue(1)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.save()
    assert dialog.stored is not None and dialog.stored.plate == "6PZ19*"
    entries = services.hotlists.active_entries()
    assert [(e.plate, e.entered_by, e.priority) for e in entries] == [("6PZ19*", "analyst1", 1)]
    assert entries[0].expires_at is not None
    with services.db.session() as s:
        audit = s.scalars(select(AuditEventRow)).all()
    assert [(a.username, a.workstation) for a in audit] == [("analyst1", "ws-1")]


def test_incomplete_or_expired_bolo_is_refused(qtbot: QtBot, services: Services) -> None:
    dialog = BoloDialog(services.hotlists, ANALYST)
    qtbot.addWidget(dialog)
    dialog.save()
    assert "required" in dialog.error.text()
    dialog.plate.setText("ABC123")
    dialog.reason.setText("stolen")
    dialog.expiry.setDateTime(dialog.expiry.dateTime().addDays(-30))
    dialog.save()
    assert "past" in dialog.error.text()
    assert services.hotlists.active_entries() == []


def test_a_wall_operator_is_refused_and_told(qtbot: QtBot, services: Services) -> None:
    dialog = BoloDialog(services.hotlists, Actor("wally", Role.WALL_OPERATOR, "wall-1"))
    qtbot.addWidget(dialog)
    dialog.plate.setText("ABC123")
    dialog.reason.setText("stolen")
    dialog.save()
    qtbot.waitUntil(lambda: "may not edit bolo" in dialog.error.text(), timeout=5000)
    assert dialog.result() == 0 and dialog.buttons.isEnabled() and dialog.stored is None
    assert services.hotlists.active_entries() == []
    with services.db.session() as s:
        audit = s.scalars(select(AuditEventRow)).all()
    assert [(a.username, a.event_type, a.object) for a in audit] == [("wally", "permission_denied", "hotlist:BOLO")]
