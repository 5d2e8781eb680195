"""The "Live reads" tab on real Services (SQLite): the latest reads for a role that may see them (SEARCH_PLATES),
and for one that may not (the wall operator), a sentence saying so instead of rows, with the store not even asked
(so no refusal piles up in the audit trail) and the bus's reads dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.store.models import AuditEventRow
from c4desk.ui.lpr.live_reads import LiveReadsPanel, latest_reads, refusal_text

ANALYST = Actor("ana", Role.ANALYST, "ws-03")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")
NOW = datetime.now(UTC)


@pytest.fixture
def reads(services: Services) -> list[LprRead]:
    services.cameras.upsert_many([Camera(id="lprA", name="Main St EB", lat=41.765, lon=-72.675,
                                         kind=CameraKind.LPR)])
    return [services.plate_reads.add(LprRead(camera_id="lprA", plate_raw=plate, read_at=NOW - timedelta(minutes=m),
                                             region="CT", confidence=0.9, direction="in"))
            for plate, m in (("6PZ193", 9), ("AB1234", 5), ("XY987", 1))]


def audit_count(services: Services) -> int:
    with services.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


def plates(panel: LiveReadsPanel) -> list[str]:
    records = panel.table.records
    return [records.record(i).plate_norm for i in range(records.rowCount())]


def test_an_analyst_sees_the_latest_reads_and_new_ones_on_top(qtbot: QtBot, services: Services,
                                                              reads: list[LprRead]) -> None:
    panel = LiveReadsPanel(ANALYST)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.may_see and panel.currentWidget() is panel.table
    panel.set_reads(latest_reads(services.plate_reads, ANALYST))
    assert plates(panel) == ["XY987", "AB1234", "6PZ193"]  # newest first
    assert audit_count(services) == 0  # a feed, not a query: no plate_query record
    newest = services.plate_reads.add(LprRead(camera_id="lprA", plate_raw="7KX193", read_at=NOW, region="CT"))
    panel.add_read(newest)
    assert plates(panel)[0] == "7KX193"
    panel.add_read(LprRead(id=newest.id, camera_id="lprA", plate_raw="7KX198", read_at=NOW))  # a corrected passage
    assert plates(panel) == ["7KX198", "XY987", "AB1234", "6PZ193"]
    assert [r.plate_norm for r in latest_reads(services.plate_reads, ANALYST, limit=2)] == ["7KX193", "XY987"]


def test_a_wall_operator_is_told_why_and_shown_no_reads(qtbot: QtBot, services: Services,
                                                        reads: list[LprRead]) -> None:
    panel = LiveReadsPanel(WALL)
    qtbot.addWidget(panel)
    panel.resize(480, 300)
    panel.show()
    assert not panel.may_see and panel.currentWidget() is panel.notice
    assert refusal_text(WALL) == "Your role (wall_operator) may not see plate reads"
    assert refusal_text(WALL) in panel.notice.text() and "Alerts queue" in panel.notice.text()
    assert latest_reads(services.plate_reads, WALL) == []  # the tab does not ask ...
    assert audit_count(services) == 0  # ... so nothing is refused or written
    panel.set_reads(reads)
    panel.add_read(reads[0])
    assert plates(panel) == []
    # Asked anyway (another screen, a script), the store refuses it and audits the refusal.
    with pytest.raises(PermissionDenied):
        services.plate_reads.recent(200, actor=WALL)
    assert audit_count(services) == 1
