"""The queue's wording: ages, history lines, refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.store.alerts import AlertNotFound, AlertWorkflowError
from c4desk.ui.alerts import text

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "expected"), [
    (-30, "just now"), (3, "just now"), (34, "34 s ago"), (125, "2 min ago"), (3600, "1 h ago"),
    (3900, "1 h 5 min ago"), (3 * 86400 + 5, "3 d ago"),
])
def test_age(seconds: float, expected: str) -> None:
    assert text.age(seconds) == expected


@pytest.mark.parametrize(("change", "expected"), [
    ({"status": ["new", "acknowledged"]}, "acknowledged"),
    ({"status": ["new", "in_progress"], "assigned_to": [None, "ann"]}, "started (in progress); took it (ann)"),
    ({"status": ["in_progress", "closed"], "close_reason": [None, "Fireworks"]}, "closed: Fireworks"),
    ({"status": [None, "closed"], "close_reason": [None, "historic import"]}, "closed: historic import"),
    ({"status": ["closed", "acknowledged"], "reopen_reason": [None, "More shots"]}, "reopened: More shots"),
    ({"assigned_to": ["ann", "bob"]}, "assigned to bob"),
    ({"assigned_to": ["ann", None]}, "unassigned ann"),
    ({"comment": [None, "on scene"]}, "commented: on scene"),
    ({"type": ["single_gunshot", "multiple_gunshots"], "rounds": [1, 4], "lat": [41.0, 41.1]},
     "updated type single gunshot → multiple gunshots, rounds 1 → 4, location moved"),
])
def test_describe_change(change: dict[str, list[object]], expected: str) -> None:
    assert text.describe_change(change) == expected


def _alert(status: AlertStatus, assigned: str | None = None) -> Alert:
    return Alert(id="A1", source="gunshot", type="single_gunshot", priority=2, status=status, detected_at=T0,
                 received_at=T0, assigned_to=assigned)


@pytest.mark.parametrize(("step", "status", "assigned", "expected"), [
    ("close", AlertStatus.CLOSED, None, "cannot close: already closed"),
    ("acknowledge", AlertStatus.IN_PROGRESS, "bob", "cannot acknowledge: already in progress (assigned to bob)"),
    ("start", AlertStatus.CLOSED, None, "cannot start: already closed"),
    ("reopen", AlertStatus.NEW, None, "cannot reopen: it is not closed (new)"),
    ("assign", AlertStatus.CLOSED, None, "cannot assign: it is closed; reopen it first"),
])
def test_explain_workflow_refusals(step: str, status: AlertStatus, assigned: str | None, expected: str) -> None:
    exc = AlertWorkflowError(_alert(status, assigned), step, "repository wording")
    assert text.explain_failure(step, exc) == expected


def test_explain_other_failures() -> None:
    assert text.explain_failure("close", ValidationError([FieldError("reason", "required")])) == \
        "cannot close: reason required"
    assert text.explain_failure("comment", AlertNotFound("A1")) == "cannot comment: the alert no longer exists"
    assert text.explain_failure("start", OSError("disk full")) == "cannot start: disk full"


def test_payload_summary_cuts_long_values_and_counts_the_rest() -> None:
    payload = {f"k{i}": i for i in range(8)} | {"k0": "x" * 100}
    lines = text.payload_summary(payload)
    assert lines[0] == "k0: " + "x" * 59 + "…"
    assert lines[1:3] == ["k1: 1", "k2: 2"]
    assert lines[-1] == "(+2 more)"
