"""The chain-of-custody log of a package: who created the case, tagged, submitted, reviewed and exported the
clips, and when, taken from the chained audit trail, followed by this export.

Each audit line carries the record's id and hash, so anyone with access to the database can match the log
against the audit trail (``c4desk audit verify`` proves that trail unbroken).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class AuditLike(Protocol):
    """An audit record as c4desk.store.cases.AuditEntry gives it."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def username(self) -> str: ...
    @property
    def workstation(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def object(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class ExportEntry:
    at: datetime
    username: str
    role: str
    workstation: str
    case_number: str
    package_id: str
    summary: str
    key_fingerprint: str | None = None  # the key that signs this package's manifest (None: unsigned)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _who(username: str, workstation: str) -> str:
    return f"{username}@{workstation}" if workstation else username


def _describe(detail: dict[str, Any]) -> str:
    action = str(detail.get("action", ""))
    rest = {k: v for k, v in detail.items() if k != "action"}
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True, default=str) if rest else ""
    return f"{action} {text}".strip()


def custody_log(case_number: str, entries: Sequence[AuditLike], export: ExportEntry) -> str:
    signed = "" if export.key_fingerprint is None else \
        f"; manifest.json signed with the centre's Ed25519 key, fingerprint {export.key_fingerprint} (manifest.sig)"
    lines = [
        f"# Chain of custody: case {case_number}, evidence package {export.package_id}",
        "# All times UTC. Fields: time | user@workstation | event | object | outcome | what | audit record",
    ]
    for e in entries:
        lines.append(" | ".join((_when(e.at), _who(e.username, e.workstation), e.event_type, e.object, e.outcome,
                                 _describe(e.detail).replace("\n", " "), f"audit #{e.id} {e.hash}")))
    lines.append(" | ".join((_when(export.at), _who(export.username, export.workstation), "export",
                             f"case:{export.case_number}", "success",
                             f"this package, exported by {export.username} ({export.role}): {export.summary}{signed}",
                             "audit record written when the package was put in place")))
    return "\n".join(lines) + "\n"
