"""Who may do what: the four roles, the guarded actions, and the permission table services enforce.

The table is the written policy (README "Roles" prints it); services call ``require`` before they act, so a
hidden button is a convenience, never the control. Pure data: no I/O, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"
    WALL_OPERATOR = "wall_operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW_LIVE = "view_live"
    VIEW_RECORDED = "view_recorded"
    CONTROL_PTZ = "control_ptz"
    PUSH_TO_WALL = "push_to_wall"
    WORK_ALERTS = "work_alerts"  # acknowledge, assign, comment, close
    SEARCH_PLATES = "search_plates"
    EDIT_BOLO = "edit_bolo"  # manual BOLO entries
    IMPORT_HOTLIST = "import_hotlist"  # whole lists (NCIC extracts, agency lists)
    EDIT_CASES = "edit_cases"  # create and change cases, links, intel notes, video search tasks
    TAG_CLIPS = "tag_clips"  # mark clips, stills and bookmarks; submit them for review
    REVIEW_CLIPS = "review_clips"
    EXPORT_EVIDENCE = "export_evidence"
    IMPORT_CASES = "import_cases"  # RMS history for the solvability figures
    VIEW_REPORTS = "view_reports"
    READ_AUDIT = "read_audit"
    MANAGE_USERS = "manage_users"  # add, disable, change roles, reset passwords
    EDIT_CAMERAS = "edit_cameras"  # site files, recording flags
    MANAGE_KEYS = "manage_keys"  # rotate and revoke the centre's evidence-signing key


_OPERATE = frozenset({Action.VIEW_LIVE, Action.VIEW_RECORDED, Action.CONTROL_PTZ, Action.PUSH_TO_WALL,
                      Action.WORK_ALERTS})
_INVESTIGATE = _OPERATE | {Action.SEARCH_PLATES, Action.EDIT_BOLO, Action.EDIT_CASES, Action.TAG_CLIPS,
                           Action.EXPORT_EVIDENCE, Action.VIEW_REPORTS}
_SUPERVISE = _INVESTIGATE | {Action.REVIEW_CLIPS, Action.IMPORT_HOTLIST, Action.IMPORT_CASES, Action.READ_AUDIT}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.WALL_OPERATOR: _OPERATE,
    Role.ANALYST: frozenset(_INVESTIGATE),
    Role.SUPERVISOR: frozenset(_SUPERVISE),
    # An administrator runs the system; reviewing evidence stays a supervisor's call (separation of duties).
    Role.ADMIN: frozenset((_SUPERVISE - {Action.REVIEW_CLIPS}) | {Action.MANAGE_USERS, Action.EDIT_CAMERAS,
                                                                           Action.MANAGE_KEYS}),
}


@dataclass(frozen=True)
class Actor:
    """The person acting, as services see them: taken from the logged-in session, never from a request body."""

    username: str
    role: Role
    workstation: str = ""


class PermissionDenied(PermissionError):
    def __init__(self, actor: Actor, action: Action) -> None:
        self.actor = actor
        self.action = action
        super().__init__(f"{actor.username} ({actor.role.value}) may not {action.value.replace('_', ' ')}")


def allowed(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def require(actor: Actor, action: Action) -> None:
    if not allowed(actor.role, action):
        raise PermissionDenied(actor, action)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {text!r}: one of {', '.join(r.value for r in Role)}") from None
