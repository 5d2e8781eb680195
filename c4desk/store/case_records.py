"""What the case repository returns: cases, their links, video searches, notes, timeline items and exports.

Plain frozen dataclasses (each with ``as_dict`` for JSON), apart from the repository so the UI and the CLI can name
them without the repository's SQL around them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

CASE_STATUSES = ("open", "cleared", "closed")
LINK_KINDS = ("alert", "plate", "plate_read", "trail", "snapshot", "bookmark")
TASK_OUTCOMES = ("useful_video", "nothing_relevant", "camera_offline")


class CaseNotFound(LookupError):
    def __init__(self, key: object) -> None:
        super().__init__(f"no case {key}")
        self.key = key


@dataclass(frozen=True)
class Case:
    id: int
    number: str
    title: str
    description: str
    status: str
    case_type: str
    lead_investigator: str
    opened_at: datetime
    cleared_at: datetime | None
    closed_at: datetime | None
    excluded_reason: str
    # What an RMS import stated (None: derive it; see CaseRepository.video_component).
    video_component_stated: bool | None
    origin: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CaseLink:
    id: int
    case_id: int
    kind: str
    ref: str
    at: datetime | None  # when the linked thing happened (None: unknown)
    label: str
    linked_by: str
    linked_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VideoSearchTask:
    id: int
    case_id: int
    requested_by: str
    requested_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    camera_ids: tuple[str, ...]
    description: str
    status: str  # open | done
    outcome: str  # one of TASK_OUTCOMES, "" while open
    minutes_spent: int | None
    completed_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["camera_ids"] = list(self.camera_ids)
        return d


@dataclass(frozen=True)
class IntelNote:
    id: int
    case_id: int
    author: str
    body: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TimelineItem:
    """One thing on a case's timeline. ``end`` is set for spans (clips, searched windows), None for moments.

    ``kind``: status (opened/cleared/closed), alert, plate, plate_read, trail, snapshot, bookmark, clip,
    video_search, note, export. ``ref`` identifies the item within its kind (alert id, clip id, ...).
    """

    at: datetime
    end: datetime | None
    kind: str
    ref: str
    title: str
    by: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    case_type: str | None = None
    lead: str | None = None
    text: str | None = None  # in number or title, case-insensitive
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    limit: int = 500


@dataclass(frozen=True)
class ExportRecord:
    id: int
    case_id: int
    exported_by: str
    exported_at: datetime
    path: str
    manifest_sha256: str
    files: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditEntry:
    """An audit record as the chain of custody shows it."""

    id: int
    at: datetime
    username: str
    workstation: str
    event_type: str
    object: str
    outcome: str
    detail: dict[str, Any]
    hash: str


CaseKey = Case | int | str  # a Case, its id, or its number


def case_object(number: str) -> str:
    """The audit ``object`` of a case."""
    return f"case:{number}"
