"""Checks on the values a case, a link or a video search log is made of, shared by every way one is stored.

Each check appends a FieldError naming the field and the reason to ``errors`` and returns the cleaned value, so a
caller collects every problem of a request and refuses it whole (``raise_errors``) before writing anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists

from c4desk.domain.camera import ID_PATTERN
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.plates import normalise_plate
from c4desk.store.case_records import LINK_KINDS, TASK_OUTCOMES
from c4desk.store.models import CaseRow, ClipRow, VideoSearchTaskRow, utcnow

MAX_MINUTES = 100_000
USEFUL_VIDEO = "useful_video"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def checked_time(value: datetime | None, name: str, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors.append(FieldError(name, f"naive datetime {value.isoformat()}: give a time zone (UTC)"))
        return None
    return value.astimezone(UTC)


def checked_text(value: str, name: str, limit: int, errors: list[FieldError], *, required: bool = False,
          single_line: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.append(FieldError(name, "required"))
    elif len(value) > limit:
        errors.append(FieldError(name, f"{len(value)} characters; at most {limit}"))
    elif single_line and _CONTROL.search(value):
        errors.append(FieldError(name, "must be one line without control characters"))
    return value


def raise_errors(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationError(errors)


def checked_link(kind: str, ref: str | int, errors: list[FieldError]) -> str:
    """The link's reference as stored (a plate normalised); the kind must be one of LINK_KINDS."""
    if kind not in LINK_KINDS:
        errors.append(FieldError("kind", f"{kind!r} is not one of {', '.join(LINK_KINDS)}"))
    ref_text = str(ref).strip()
    if kind == "plate":
        ref_text = normalise_plate(ref_text)
    if not ref_text or len(ref_text) > 128:
        errors.append(FieldError("ref", "give the item's id (1-128 characters)"))
    return ref_text


def checked_camera_ids(cameras: Sequence[str], errors: list[FieldError]) -> list[str]:
    ids = [c.strip() for c in cameras if c and c.strip()]
    bad = [c for c in ids if not ID_PATTERN.match(c)]
    if bad:
        errors.append(FieldError("cameras", f"not camera ids: {', '.join(map(repr, bad[:5]))}"))
    if not ids:
        errors.append(FieldError("cameras", "name at least one camera searched"))
    return list(dict.fromkeys(ids))


def new_task_row(errors: list[FieldError], cameras: Sequence[str], window: tuple[datetime, datetime] | None,
              description: str, requested_by: str) -> VideoSearchTaskRow:
    """A video search task row from checked values (its case is set when stored); problems go to ``errors``."""
    camera_ids = checked_camera_ids(cameras, errors)
    start = end = None
    if window is not None:
        start, end = checked_time(window[0], "window_start", errors), checked_time(window[1], "window_end", errors)
        if start is not None and end is not None and end < start:
            errors.append(FieldError("window_end", f"{end.isoformat()} is before {start.isoformat()}"))
    return VideoSearchTaskRow(requested_by=checked_text(requested_by, "requested_by", 64, errors), window_start=start,
                              window_end=end, camera_ids=camera_ids, status="open", outcome="",
                              description=checked_text(description, "description", 5000, errors, single_line=False))


def check_outcome(outcome: str, minutes_spent: int, errors: list[FieldError]) -> None:
    if outcome not in TASK_OUTCOMES:
        errors.append(FieldError("outcome", f"{outcome!r} is not one of {', '.join(TASK_OUTCOMES)}"))
    if isinstance(minutes_spent, bool) or not isinstance(minutes_spent, int) \
            or not 0 <= minutes_spent <= MAX_MINUTES:
        errors.append(FieldError("minutes_spent", f"{minutes_spent!r}: a whole number 0..{MAX_MINUTES}"))


def int_ref(kind: str, ref: str) -> int:
    try:
        return int(ref)
    except ValueError:
        raise ValidationError([FieldError("ref", f"a {kind} is referred to by its number, not {ref!r}")]) from None


def new_case_row(errors: list[FieldError], number: str, case_type: str, *, title: str, lead: str, description: str,
                 opened_at: datetime | None, created_by: str) -> CaseRow:
    """A new local case's row from checked values (opened now unless ``opened_at`` says otherwise)."""
    return CaseRow(number=checked_text(number, "number", 64, errors, required=True),
                   case_type=checked_text(case_type, "case_type", 32, errors, required=True).lower(),
                   title=checked_text(title, "title", 200, errors),
                   lead_investigator=checked_text(lead, "lead_investigator", 64, errors),
                   description=checked_text(description, "description", 20_000, errors, single_line=False),
                   opened_at=checked_time(opened_at, "opened_at", errors) or utcnow(), status="open",
                   origin="local", created_by=created_by)


def duplicate_number(number: str) -> ValidationError:
    return ValidationError([FieldError("number", f"case {number} already exists")])


def video_evidence() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """For the CaseRow of a query: (a video search of it found useful video, a clip of it was not rejected), the
    facts ``domain.statistics.has_video_component`` decides on with the case's stated value. One definition for the
    case view and the solvability study."""
    useful_search = exists().where(VideoSearchTaskRow.case_id == CaseRow.id, VideoSearchTaskRow.outcome == USEFUL_VIDEO)
    live_clip = exists().where(ClipRow.case_id == CaseRow.id, ClipRow.status != "rejected")
    return useful_search, live_clip
