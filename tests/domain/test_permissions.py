"""The permission table: every action with every role against an explicit expected table, and docs/ROLES.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c4desk.domain.permissions import PERMISSIONS, Action, Actor, PermissionDenied, Role, allowed, parse_role, require

ROLES_DOC = Path(__file__).resolve().parents[2] / "docs" / "ROLES.md"

# Written out by hand (not derived from PERMISSIONS): a change to the policy must change this table too.
#                   analyst  wall  supervisor  admin
EXPECTED_TABLE = """
view_live           1        1     1           1
view_recorded       1        1     1           1
control_ptz         1        1     1           1
push_to_wall        1        1     1           1
work_alerts         1        1     1           1
search_plates       1        0     1           1
edit_bolo           1        0     1           1
edit_cases          1        0     1           1
tag_clips           1        0     1           1
export_evidence     1        0     1           1
view_reports        1        0     1           1
review_clips        0        0     1           0
import_hotlist      0        0     1           1
import_cases        0        0     1           1
read_audit          0        0     1           1
manage_users        0        0     0           1
edit_cameras        0        0     0           1
manage_keys         0        0     0           1
"""
COLUMNS = (Role.ANALYST, Role.WALL_OPERATOR, Role.SUPERVISOR, Role.ADMIN)


def expected() -> dict[tuple[Role, Action], bool]:
    table = {}
    for line in EXPECTED_TABLE.strip().splitlines():
        action, *flags = line.split()
        for role, flag in zip(COLUMNS, flags, strict=True):
            table[(role, Action(action))] = flag == "1"
    return table


def test_expected_table_covers_every_action_and_role() -> None:
    assert {a for _, a in expected()} == set(Action)
    assert {r for r, _ in expected()} == set(Role) == set(PERMISSIONS)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_with_every_role(role: Role, action: Action) -> None:
    actor = Actor("someone", role, "ws1")
    should = expected()[(role, action)]
    assert allowed(role, action) is should
    if should:
        require(actor, action)
    else:
        with pytest.raises(PermissionDenied) as info:
            require(actor, action)
        assert info.value.actor == actor and info.value.action is action
        assert str(info.value) == f"someone ({role.value}) may not {action.value.replace('_', ' ')}"


def test_permission_denied_is_a_permission_error() -> None:
    assert issubclass(PermissionDenied, PermissionError)


def test_admin_does_not_review_clips() -> None:
    """Separation of duties: whoever manages the accounts does not vouch for evidence."""
    assert not allowed(Role.ADMIN, Action.REVIEW_CLIPS)
    assert [r for r in Role if allowed(r, Action.REVIEW_CLIPS)] == [Role.SUPERVISOR]


def test_parse_role() -> None:
    assert parse_role(" Wall_Operator ") is Role.WALL_OPERATOR
    with pytest.raises(ValueError, match="unknown role 'boss': one of analyst, wall_operator, supervisor, admin"):
        parse_role("boss")


def doc_table() -> dict[tuple[Role, Action], bool]:
    """The table in docs/ROLES.md: rows `| `action` | text | ✓ | ... |`, columns named in the header."""
    lines = [line for line in ROLES_DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = [Role(h) for h in header[2:]]
    table = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)`", cells[0])
        assert match, f"bad row in ROLES.md: {line}"
        for role, cell in zip(roles, cells[2:], strict=True):
            assert cell in ("", "✓"), f"ROLES.md: {cell!r} in {line}"
            table[(role, Action(match.group(1)))] = cell == "✓"
    return table


def test_roles_doc_matches_permissions() -> None:
    doc = doc_table()
    code = {(role, action): allowed(role, action) for role in Role for action in Action}
    assert doc == code
