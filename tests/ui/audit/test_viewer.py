"""The audit viewer on real Services: rows shown, filters applied by the AuditLog, CSV export, chain verification
(intact, then after a row is edited in SQL), and a role without READ_AUDIT refused by the service."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.ui.audit import AuditViewer

SUPERVISOR = Actor("sup", Role.SUPERVISOR, "ws-sup")


@pytest.fixture
def seeded(services: Services) -> Services:
    """Eight records of the kinds a shift produces (ids 1-8)."""
    record = services.audit.record
    record("analyst", "ws-03", AuditType.LOGON, "user:analyst", detail={"role": "analyst"})
    record("analyst", "ws-03", AuditType.VIEW_LIVE, "camera:cam01")
    record("analyst", "ws-03", AuditType.VIEW_RECORDED, "camera:cam02", detail={"from": "21:04", "seconds": 90})
    record("mallory", "ws-09", AuditType.LOGON, "user:mallory", "failure", {"reason": "unknown user"})
    record("analyst", "ws-03", AuditType.CASE_CHANGE, "case:24-0117", detail={"action": "link", "kind": "clip"})
    record("wall", "ws-wall", AuditType.PERMISSION_DENIED, "case:24-0117", "failure",
           {"action": "export_evidence", "role": "wall_operator"})
    record("supervisor", "ws-01", AuditType.CLIP_CHANGE, "clip:7", detail={"status": "approved"})
    record("analyst", "ws-03", AuditType.EXPORT, "case:24-0117", detail={"files": 4})
    return services


def viewer(qtbot: QtBot, services: Services, actor: Actor = SUPERVISOR) -> AuditViewer:
    widget = AuditViewer(services.audit, actor)
    qtbot.addWidget(widget)
    widget.resize(1280, 560)
    widget.show()
    return widget


def load(qtbot: QtBot, widget: AuditViewer) -> list[str]:
    widget.load()
    qtbot.waitUntil(lambda: widget.search.isEnabled(), timeout=5000)
    return [widget.model.record(i).object for i in range(widget.model.rowCount())]


def test_rows_shown_newest_first(qtbot: QtBot, seeded: Services, dark: None) -> None:
    widget = viewer(qtbot, seeded)
    objects = load(qtbot, widget)
    assert objects == ["case:24-0117", "clip:7", "case:24-0117", "case:24-0117", "user:mallory", "camera:cam02",
                       "camera:cam01", "user:analyst"]
    assert widget.status.text() == "8 records, newest first"
    model = widget.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "#", "Time", "User", "Workstation", "Event", "Object", "Outcome", "Detail"]
    assert model.data(model.index(7, 0)) == "1"
    assert model.data(model.index(7, 7)) == '{"role": "analyst"}'
    assert model.data(model.index(4, 6)) == "failure"
    assert not widget.since.isVisible()
    widget.grab().save("/tmp/users-audit.png")


def test_filters_go_to_the_audit_log(qtbot: QtBot, seeded: Services) -> None:
    widget = viewer(qtbot, seeded)
    widget.user.setText("analyst")
    assert load(qtbot, widget) == ["case:24-0117", "case:24-0117", "camera:cam02", "camera:cam01", "user:analyst"]
    widget.event_type.setCurrentIndex(widget.event_type.findData(AuditType.VIEW_LIVE.value))
    assert load(qtbot, widget) == ["camera:cam01"]
    widget.user.clear()
    widget.event_type.setCurrentIndex(0)
    widget.text.setText("export_evidence")  # found in the detail
    assert load(qtbot, widget) == ["case:24-0117"]
    assert widget.model.record(0).username == "wall"
    widget.text.clear()
    widget.range.setCurrentText("Custom")
    assert widget.since.isVisible()
    widget.until.setDateTime(widget.since.dateTime())  # an empty window
    assert load(qtbot, widget) == []
    # Each search was itself recorded as an audit read by the supervisor.
    reads = seeded.audit.query(SUPERVISOR, event_type=AuditType.AUDIT_READ)
    assert len(reads) == 4 and {r.username for r in reads} == {"sup"}


def test_export_writes_csv(qtbot: QtBot, seeded: Services, tmp_path: Path) -> None:
    widget = viewer(qtbot, seeded)
    widget.event_type.setCurrentIndex(widget.event_type.findData(AuditType.LOGON.value))
    out = tmp_path / "audit.csv"
    widget.export_to(out)
    qtbot.waitUntil(lambda: widget.export.isEnabled(), timeout=5000)
    assert widget.status.text() == f"Exported 2 records to {out}"
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["username"], r["outcome"], r["object"]) for r in rows] == [
        ("analyst", "success", "user:analyst"), ("mallory", "failure", "user:mallory")]


def test_verify_chain_button(qtbot: QtBot, seeded: Services, dark: None) -> None:
    widget = viewer(qtbot, seeded)
    load(qtbot, widget)
    widget.verify.click()
    qtbot.waitUntil(lambda: widget.verify.isEnabled(), timeout=5000)
    assert widget.verify_result.text().startswith("Chain intact: 9 records; head #9 ")  # 8 + the load's read
    with seeded.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'success' WHERE id = 4"))
        conn.execute(text("DELETE FROM audit_events WHERE id = 6"))
    widget.verify.click()
    qtbot.waitUntil(lambda: widget.verify.isEnabled(), timeout=5000)
    assert widget.verify_result.text().splitlines() == [
        "TAMPERED: 2 problem(s) in 9 records",
        "row 4: changed: its fields no longer match its hash (edited or forged)",
        "row 7: deleted: row(s) 6 missing: its prev_hash does not match row 5's hash",
    ]
    load(qtbot, widget)
    assert widget.model.flagged == {4, 7}
    flagged = [widget.model.record(i).id for i in range(widget.model.rowCount())
               if widget.model.data(widget.model.index(i, 0), Qt.ItemDataRole.BackgroundRole) is not None]
    assert flagged == [7, 4]
    widget.grab().save("/tmp/users-audit-tampered.png")


def test_analyst_is_refused_by_the_service(qtbot: QtBot, seeded: Services) -> None:
    widget = viewer(qtbot, seeded, Actor("analyst", Role.ANALYST, "ws-03"))
    assert load(qtbot, widget) == []
    assert "analyst (analyst) may not read audit" in widget.status.text()
    denied = seeded.audit.query(SUPERVISOR, event_type=AuditType.PERMISSION_DENIED, username="analyst")
    assert [(r.object, r.detail["action"]) for r in denied] == [("audit_events", "read_audit")]


def test_verify_also_checks_the_signed_anchors(qtbot: QtBot, seeded: Services, tmp_path: Path) -> None:
    """A record rewritten with every later hash recomputed passes the chain alone; the anchor signed before names it."""
    from c4desk.evidence.signing import centre_key
    from c4desk.hub.audit_anchors import anchors_path, check_published, write_anchor
    from tests.hub.test_audit_anchors import rewrite_history

    write_anchor(seeded.db, centre_key(tmp_path), anchors_path(tmp_path), by="hub")
    widget = AuditViewer(seeded.audit, SUPERVISOR, anchors=lambda: check_published(seeded.db, tmp_path))
    qtbot.addWidget(widget)
    widget.verify.click()
    qtbot.waitUntil(lambda: widget.verify.isEnabled(), timeout=5000)
    intact, anchored = widget.verify_result.text().splitlines()
    assert intact.startswith("Chain intact: 8 records") and anchored.startswith("anchors: 1 checked, newest at ")
    assert anchored.endswith("(record 8)")
    rewrite_history(seeded.db, 3, {"from": "21:00", "seconds": 5})
    widget.verify.click()
    qtbot.waitUntil(lambda: widget.verify.isEnabled(), timeout=5000)
    lines = widget.verify_result.text().splitlines()
    assert lines[0].startswith("TAMPERED: 1 problem(s)") and lines[1].startswith("anchor line 1 (record 8)")
