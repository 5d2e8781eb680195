"""The map pins open alerts and recently closed ones, never the site's whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.ui.main_window import MAP_CLOSED_ALERT_HOURS, map_worthy

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def alert(alert_id: str, status: AlertStatus, hours_ago: float) -> Alert:
    at = NOW - timedelta(hours=hours_ago)
    return Alert(id=alert_id, source="test", type="single_gunshot", priority=1, status=status, detected_at=at,
                 received_at=at, lat=41.76, lon=-72.67)


def test_open_alerts_always_and_closed_ones_only_while_recent() -> None:
    alerts = [alert("old-open", AlertStatus.ACKNOWLEDGED, 24 * 30), alert("new", AlertStatus.NEW, 0.1),
              alert("closed-tonight", AlertStatus.CLOSED, MAP_CLOSED_ALERT_HOURS - 1),
              alert("closed-last-week", AlertStatus.CLOSED, 24 * 7)]
    assert [a.id for a in map_worthy(alerts, NOW)] == ["old-open", "new", "closed-tonight"]
