"""Accounts on both backends: argon2 hashes, audited logins, bootstrap once, admin-only and audited changes,
disabled and locked accounts refused, denials audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Action, Actor, PermissionDenied, Role
from c4desk.store.audit import record_denied, require_audited
from c4desk.store.audit_log import AuditLog
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, UserRow
from c4desk.store.users import (
    DEMO_PASSWORD,
    DEMO_USERS,
    LOCKOUT_ATTEMPTS,
    AuthenticationError,
    UserRepository,
    seed_demo_users,
)

# Cheap argon2 parameters keep the suite fast; test_default_hash_is_argon2id checks the real ones.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ADMIN_PW = "correct horse"


@pytest.fixture
def users(db: Database) -> UserRepository:
    return UserRepository(db, "ws-test", hasher=FAST)


@pytest.fixture
def admin(users: UserRepository) -> Actor:
    return users.bootstrap_admin("Root", ADMIN_PW)


def audit(db: Database, kind: AuditType | None = None) -> list[AuditEventRow]:
    with db.session() as s:
        query = select(AuditEventRow).order_by(AuditEventRow.id)
        if kind is not None:
            query = query.where(AuditEventRow.event_type == kind.value)
        return list(s.scalars(query))


def user_row(db: Database, name: str) -> UserRow:
    with db.session() as s:
        return s.scalars(select(UserRow).where(UserRow.username == name)).one()


def test_default_hash_is_argon2id_and_never_the_password(db: Database) -> None:
    users = UserRepository(db)
    users.bootstrap_admin("chief", "s3cret-password")
    stored = user_row(db, "chief").password_hash
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "s3cret-password" not in stored
    assert users.authenticate("chief", "s3cret-password").role is Role.ADMIN
    for row in audit(db):
        assert "s3cret-password" not in repr(row.detail) + row.object


def test_bootstrap_only_once_and_audited(users: UserRepository, db: Database) -> None:
    assert not users.has_users()
    actor = users.bootstrap_admin("Root", ADMIN_PW)
    assert actor == Actor("root", Role.ADMIN, "ws-test")  # names are kept lower-case
    assert users.has_users()
    with pytest.raises(PermissionError, match="users already exist"):
        users.bootstrap_admin("second", ADMIN_PW)
    [row] = audit(db)
    assert (row.username, row.event_type, row.object, row.detail) == (
        "root", "user_change", "user:root", {"action": "bootstrap_admin", "role": "admin"})
    assert len(list(users.list(actor))) == 1


def test_authenticate_success_and_failures_are_audited(users: UserRepository, admin: Actor, db: Database) -> None:
    users.add(admin, "ana", "analyst-pw", Role.ANALYST)
    assert users.authenticate("ANA ", "analyst-pw", workstation="ws7") == Actor("ana", Role.ANALYST, "ws7")
    with pytest.raises(AuthenticationError, match=r"^unknown user name or wrong password$"):
        users.authenticate("ana", "wrong-password")
    with pytest.raises(AuthenticationError, match=r"^unknown user name or wrong password$"):
        users.authenticate("nobody", "analyst-pw")
    logons = audit(db, AuditType.LOGON)
    assert [(r.username, r.workstation, r.outcome, r.detail) for r in logons] == [
        ("ana", "ws7", "success", {"role": "analyst"}),
        ("ana", "ws-test", "failure", {"reason": "wrong password"}),
        ("nobody", "ws-test", "failure", {"reason": "unknown user"}),
    ]
    assert all("analyst-pw" not in repr(r.detail) and "wrong-password" not in repr(r.detail) for r in logons)


def test_hostile_usernames_are_audited_safely(users: UserRepository, admin: Actor, db: Database) -> None:
    del admin
    with pytest.raises(AuthenticationError):
        users.authenticate("x" * 500 + "\x00\n", "pw")
    row = audit(db, AuditType.LOGON)[-1]
    assert row.username == "x" * 64 and row.outcome == "failure"


def test_inactive_user_refused(users: UserRepository, admin: Actor, db: Database) -> None:
    users.add(admin, "wally", "wall-password", Role.WALL_OPERATOR)
    users.set_active(admin, "wally", False)
    with pytest.raises(AuthenticationError, match="wally is disabled"):
        users.authenticate("wally", "wall-password")
    # A wrong password on a disabled account says nothing about the account.
    with pytest.raises(AuthenticationError, match=r"^unknown user name or wrong password$"):
        users.authenticate("wally", "guess")
    users.set_active(admin, "wally", True)
    assert users.authenticate("wally", "wall-password").role is Role.WALL_OPERATOR
    changes = [(r.detail["action"], r.object) for r in audit(db, AuditType.USER_CHANGE)]
    assert changes[-2:] == [("disable", "user:wally"), ("enable", "user:wally")]
    assert [r.detail["reason"] for r in audit(db, AuditType.LOGON) if r.outcome == "failure"] == [
        "disabled", "wrong password"]


def test_role_change_is_admin_only_and_audited(users: UserRepository, admin: Actor, db: Database) -> None:
    users.add(admin, "sup", "supervisor-pw", Role.SUPERVISOR)
    users.add(admin, "ana", "analyst-pw", Role.ANALYST)
    supervisor = users.authenticate("sup", "supervisor-pw")
    with pytest.raises(PermissionDenied, match=r"sup \(supervisor\) may not manage users"):
        users.set_role(supervisor, "ana", Role.SUPERVISOR)
    assert user_row(db, "ana").role == "analyst"
    users.set_role(admin, "ana", Role.SUPERVISOR)
    assert users.authenticate("ana", "analyst-pw").role is Role.SUPERVISOR
    [change] = audit(db, AuditType.ROLE_CHANGE)
    assert (change.username, change.object, change.detail) == (
        "root", "user:ana", {"old": "analyst", "new": "supervisor"})
    [denied] = audit(db, AuditType.PERMISSION_DENIED)
    assert (denied.username, denied.outcome, denied.object) == ("sup", "failure", "user:ana")
    assert denied.detail == {"action": "manage_users", "role": "supervisor", "attempt": "set_role",
                             "new_role": "supervisor"}


@pytest.mark.parametrize("role", list(Role))
def test_every_user_action_with_every_role(users: UserRepository, admin: Actor, db: Database, role: Role) -> None:
    """The guarded account actions tried by each role: exactly the admin's succeed; each refusal audited."""
    users.add(admin, "target", "target-password", Role.ANALYST)
    if role is not Role.ADMIN:
        users.add(admin, "tester", "tester-password", role)
    actor = admin if role is Role.ADMIN else users.authenticate("tester", "tester-password")
    attempts = {
        "add": lambda: users.add(actor, "newbie", "newbie-password", Role.ANALYST),
        "set_role": lambda: users.set_role(actor, "target", Role.SUPERVISOR),
        "reset_password": lambda: users.set_password(actor, "target", "another-password"),
        "disable": lambda: users.set_active(actor, "target", False),
        "list": lambda: users.list(actor),
    }
    outcomes = {}
    for name, attempt in attempts.items():
        try:
            attempt()
            outcomes[name] = True
        except PermissionDenied:
            outcomes[name] = False
    assert outcomes == dict.fromkeys(attempts, role is Role.ADMIN)
    denials = audit(db, AuditType.PERMISSION_DENIED)
    assert len(denials) == (0 if role is Role.ADMIN else len(attempts))


def test_own_password_change_needs_the_old_one(users: UserRepository, admin: Actor, db: Database) -> None:
    users.add(admin, "ana", "analyst-pw", Role.ANALYST)
    ana = users.authenticate("ana", "analyst-pw")
    with pytest.raises(AuthenticationError, match="current password is wrong"):
        users.set_password(ana, "ana", "new-password", old_password="not-it")
    with pytest.raises(PermissionDenied):  # without the old one it is a reset: admins only
        users.set_password(ana, "ana", "new-password")
    with pytest.raises(ValidationError, match="new_password: at least 8 characters"):
        users.set_password(ana, "ana", "short", old_password="analyst-pw")
    users.set_password(ana, "ana", "new-password", old_password="analyst-pw")
    with pytest.raises(AuthenticationError):
        users.authenticate("ana", "analyst-pw")
    assert users.authenticate("ana", "new-password").username == "ana"
    users.set_password(admin, "ana", "reset-by-admin")
    assert users.authenticate("ana", "reset-by-admin").username == "ana"
    changes = [(r.username, r.outcome, r.detail) for r in audit(db, AuditType.PASSWORD_CHANGE)]
    assert changes == [("ana", "failure", {"reason": "wrong old password"}), ("ana", "success", {"action": "change"}),
                       ("root", "success", {"action": "reset"})]


def test_bad_input_is_refused_with_the_field(users: UserRepository, admin: Actor, db: Database) -> None:
    before = len(audit(db))
    with pytest.raises(ValidationError, match="username: 1-64 characters"):
        users.add(admin, "bad name!", "long-enough", Role.ANALYST)
    with pytest.raises(ValidationError, match="password: at least 8 characters"):
        users.add(admin, "shorty", "short", Role.ANALYST)
    with pytest.raises(ValidationError, match="username: root already exists"):
        users.add(admin, "ROOT", "long-enough", Role.ANALYST)
    with pytest.raises(ValidationError, match="username: no user ghost"):
        users.set_role(admin, "ghost", Role.ADMIN)
    assert len(audit(db)) == before  # nothing half-stored, nothing audited as done
    assert [u.username for u in users.list(admin)] == ["root"]


def test_last_admin_cannot_be_demoted_or_disabled(users: UserRepository, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="root is the last active admin: cannot change the role of it"):
        users.set_role(admin, "root", Role.ANALYST)
    with pytest.raises(ValidationError, match="last active admin: cannot disable it"):
        users.set_active(admin, "root", False)
    users.add(admin, "second", "second-admin", Role.ADMIN)
    users.set_role(admin, "root", Role.SUPERVISOR)
    assert {u.username: u.role for u in users.list(users.authenticate("second", "second-admin"))} == {
        "root": Role.SUPERVISOR, "second": Role.ADMIN}


def test_lockout_after_repeated_wrong_passwords(users: UserRepository, admin: Actor, db: Database) -> None:
    users.add(admin, "ana", "analyst-pw", Role.ANALYST)
    for _ in range(LOCKOUT_ATTEMPTS):
        with pytest.raises(AuthenticationError, match="unknown user name or wrong password"):
            users.authenticate("ana", "guess")
    with pytest.raises(AuthenticationError, match="account locked"):
        users.authenticate("ana", "analyst-pw")  # even the right password, while locked
    assert audit(db, AuditType.LOGON)[-1].detail == {"reason": "locked"}
    # The window passing (the failures made older by SQL, as if time went by) unlocks it.
    with db.session(write=True) as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type == "logon")).all()
        for row in rows:
            s.execute(update(AuditEventRow).where(AuditEventRow.id == row.id).values(at=row.at - timedelta(hours=1)))
    assert users.authenticate("ana", "analyst-pw").username == "ana"


def test_a_success_resets_the_failure_count(users: UserRepository, admin: Actor) -> None:
    users.add(admin, "ana", "analyst-pw", Role.ANALYST)
    for _ in range(2):
        for _ in range(LOCKOUT_ATTEMPTS - 1):
            with pytest.raises(AuthenticationError):
                users.authenticate("ana", "guess")
        users.authenticate("ana", "analyst-pw")


def test_require_audited_and_record_denied(db: Database) -> None:
    wall = Actor("wally", Role.WALL_OPERATOR, "ws9")
    require_audited(db, wall, Action.VIEW_LIVE, "camera:cam01")  # allowed: nothing written
    assert audit(db) == []
    with pytest.raises(PermissionDenied):
        require_audited(db, wall, Action.EXPORT_EVIDENCE, "case:24-001", {"clips": 2})
    record_denied(db, wall, Action.EDIT_CAMERAS, "camera:cam02")
    rows = [(r.username, r.workstation, r.event_type, r.object, r.outcome, r.detail) for r in audit(db)]
    assert rows == [
        ("wally", "ws9", "permission_denied", "case:24-001", "failure",
         {"action": "export_evidence", "role": "wall_operator", "clips": 2}),
        ("wally", "ws9", "permission_denied", "camera:cam02", "failure",
         {"action": "edit_cameras", "role": "wall_operator"}),
    ]
    assert AuditLog(db).verify() == []


def test_logoff_audited_and_rehash_on_login(db: Database) -> None:
    weak = UserRepository(db, hasher=FAST)
    actor = weak.bootstrap_admin("root", ADMIN_PW)
    weak.logoff(actor)
    assert [r.event_type for r in audit(db)][-1] == "logoff"
    before = user_row(db, "root").password_hash
    stronger = UserRepository(db, hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    stronger.authenticate("root", ADMIN_PW)
    after = user_row(db, "root").password_hash
    assert before.startswith("$argon2id$v=19$m=1024,t=1,p=1$") and after.startswith("$argon2id$v=19$m=2048,t=2,p=1$")


def test_demo_users_seeded_once(db: Database) -> None:
    assert seed_demo_users(db)
    assert not seed_demo_users(db)  # a second demo start keeps them as they are
    users = UserRepository(db)
    assert {name: users.authenticate(name, DEMO_PASSWORD).role for name, _ in DEMO_USERS} == {
        "analyst": Role.ANALYST, "wall": Role.WALL_OPERATOR, "supervisor": Role.SUPERVISOR, "admin": Role.ADMIN}
    with pytest.raises(ValidationError, match="password: at least 8 characters"):  # the policy itself is unchanged
        users.add(users.authenticate("admin", DEMO_PASSWORD), "extra", "demo", Role.ANALYST)
