"""Audit record kinds (CJIS Security Policy 5.4) and the hash that chains each record to the one before.

The hash covers every field a reader relies on, in a canonical JSON form, plus the previous record's hash: so
changing a row breaks its own hash, deleting or inserting one breaks the next row's ``prev_hash`` link.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any


class AuditType(StrEnum):
    LOGON = "logon"  # outcome success or failure
    LOGOFF = "logoff"
    VIEW_LIVE = "view_live"
    VIEW_RECORDED = "view_recorded"
    PLATE_QUERY = "plate_query"  # a plate search or history: where a vehicle was, and when
    EXPORT = "export"
    CASE_CHANGE = "case_change"
    CLIP_CHANGE = "clip_change"
    HOTLIST_CHANGE = "hotlist_change"
    USER_CHANGE = "user_change"  # account added, disabled
    ROLE_CHANGE = "role_change"
    PASSWORD_CHANGE = "password_change"
    AUDIT_READ = "audit_read"
    PERMISSION_DENIED = "permission_denied"
    PRIVILEGED = "privileged"  # other administrative actions (settings, camera edits, imports)


def canonical(value: Any) -> Any:
    """JSON-safe form of ``value`` (datetimes as ISO 8601), exactly as it is stored and hashed."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


def chain_hash(*, at: datetime, username: str, workstation: str, event_type: str, object: str, outcome: str,
               detail: dict[str, Any], prev_hash: str) -> str:
    record = {"at": at.isoformat(), "username": username, "workstation": workstation, "event_type": event_type,
              "object": object, "outcome": outcome, "detail": canonical(detail), "prev_hash": prev_hash}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
