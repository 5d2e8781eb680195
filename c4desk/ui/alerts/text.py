"""How the alert queue words things: status labels, ages, history lines, refusals. No widgets here.

Kept apart from the widgets so the wording can be read (and tested) in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from c4desk.domain.alerts import Alert, AlertHistoryEntry, AlertStatus
from c4desk.domain.errors import ValidationError
from c4desk.store.alerts import AlertNotFound, AlertWorkflowError
from c4desk.ui.timefmt import local_datetime, local_time

STATUS_LABELS = {
    AlertStatus.NEW: "New",
    AlertStatus.ACKNOWLEDGED: "Acknowledged",
    AlertStatus.IN_PROGRESS: "In progress",
    AlertStatus.CLOSED: "Closed",
}
# How far along the workflow a status is: "already acknowledged" covers anything at or past acknowledged.
_PROGRESS = {AlertStatus.NEW: 0, AlertStatus.ACKNOWLEDGED: 1, AlertStatus.IN_PROGRESS: 2, AlertStatus.CLOSED: 3}
_STEP_TARGET = {"acknowledge": AlertStatus.ACKNOWLEDGED, "start": AlertStatus.IN_PROGRESS,
                "close": AlertStatus.CLOSED}
# What the keys do from each status (shown under the details, so the next step is never a guess).
NEXT_STEPS = {
    AlertStatus.NEW: "A acknowledge · S start · X close · M take · Enter open",
    AlertStatus.ACKNOWLEDGED: "S start · X close · M take · C comment · Enter open",
    AlertStatus.IN_PROGRESS: "X close · C comment · Shift+M assign · Enter open",
    AlertStatus.CLOSED: "R reopen · C comment · Enter open",
}
SENSOR_FIELD_NAMES = {"type": "type", "priority": "priority", "rounds": "rounds", "address": "address",
                      "beat": "beat", "district": "district", "detected_at": "detection time"}
PAYLOAD_LINES = 6
PAYLOAD_VALUE_CHARS = 60


def status_label(status: AlertStatus) -> str:
    return STATUS_LABELS[status]


def type_label(alert_type: str) -> str:
    return alert_type.replace("_", " ")


def where(alert: Alert) -> str:
    if alert.address:
        return alert.address
    if alert.lat is not None and alert.lon is not None:
        return f"{alert.lat:.5f}, {alert.lon:.5f}"
    return ""


def age(seconds: float) -> str:
    """'just now', '34 s ago', '2 min ago', '1 h 5 min ago', '3 d ago' (a clock running ahead reads 'just now')."""
    s = int(seconds)
    if s < 10:
        return "just now"
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min ago" if m else f"{h} h ago"
    return f"{s // 86400} d ago"


def detected(alert: Alert, now: datetime) -> str:
    return f"{local_time(alert.detected_at)} · {age((now - alert.detected_at).total_seconds())}"


def when(at: datetime, now: datetime) -> str:
    """A history time: the time of day for today's entries, the date too for older ones."""
    if at.astimezone().date() == now.astimezone().date():
        return local_time(at)
    return local_datetime(at)[5:]  # "MM-DD HH:MM:SS"


def _value(v: Any) -> str:
    if v is None:
        return "-"
    return type_label(v) if isinstance(v, str) else str(v)


def describe_change(change: Mapping[str, Any]) -> str:
    """One history entry's change in words: 'acknowledged', 'closed: fireworks', 'assigned to bob', ..."""
    parts: list[str] = []
    status = change.get("status")
    if status:
        new = AlertStatus(status[1])
        if new is AlertStatus.CLOSED:
            reason = (change.get("close_reason") or [None, ""])[1]
            parts.append(f"closed: {reason}" if reason else "closed")
        elif "reopen_reason" in change:
            parts.append(f"reopened: {change['reopen_reason'][1]}")
        elif new is AlertStatus.IN_PROGRESS:
            parts.append("started (in progress)")
        else:
            parts.append(status_label(new).lower())
    if "assigned_to" in change:
        old, new_user = change["assigned_to"]
        if new_user is None:
            parts.append(f"unassigned {old}" if old else "unassigned")
        elif status and AlertStatus(status[1]) is AlertStatus.IN_PROGRESS and old is None:
            parts.append(f"took it ({new_user})")
        else:
            parts.append(f"assigned to {new_user}")
    if "comment" in change:
        parts.append(f"commented: {change['comment'][1]}")
    updates = [f"{label} {_value(change[k][0])} → {_value(change[k][1])}"
               for k, label in SENSOR_FIELD_NAMES.items() if k in change and k != "detected_at"]
    if "detected_at" in change:
        updates.append("detection time changed")
    if "lat" in change or "lon" in change:
        updates.append("location moved")
    if updates:
        parts.append("updated " + ", ".join(updates))
    return "; ".join(parts) if parts else ", ".join(sorted(change)) or "(no change)"


def history_line(entry: AlertHistoryEntry, now: datetime) -> str:
    return f"{when(entry.at, now)}  {entry.actor}  {describe_change(entry.change)}"


def payload_summary(payload: Mapping[str, Any]) -> list[str]:
    """A few 'key: value' lines of the sensor's own fields (long values cut, the rest counted)."""
    lines = []
    for key, value in list(payload.items())[:PAYLOAD_LINES]:
        text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
        if len(text) > PAYLOAD_VALUE_CHARS:
            text = text[:PAYLOAD_VALUE_CHARS - 1] + "…"
        lines.append(f"{key}: {text}")
    if len(payload) > PAYLOAD_LINES:
        lines.append(f"(+{len(payload) - PAYLOAD_LINES} more)")
    return lines


def explain_failure(step: str, exc: BaseException) -> str:
    """Why a step was refused, short enough for one inline line: 'cannot close: already closed'."""
    if isinstance(exc, AlertWorkflowError):
        status = exc.status
        who = f" (assigned to {exc.alert.assigned_to})" if exc.alert.assigned_to else ""
        target = _STEP_TARGET.get(step)
        if target is not None and _PROGRESS[status] >= _PROGRESS[target]:
            return f"cannot {step}: already {status_label(status).lower()}{who}"
        if step == "reopen":
            return f"cannot reopen: it is not closed ({status_label(status).lower()})"
        if step == "assign" and status is AlertStatus.CLOSED:
            return "cannot assign: it is closed; reopen it first"
        return f"cannot {step}: it is {status_label(status).lower()}{who}"
    if isinstance(exc, ValidationError):
        reasons = ", ".join(f"{e.field} {e.reason}" for e in exc.errors)
        return f"cannot {step}: {reasons}"
    if isinstance(exc, AlertNotFound):
        return f"cannot {step}: the alert no longer exists"
    return f"cannot {step}: {exc}"
