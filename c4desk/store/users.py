"""Local accounts: argon2id password hashes, roles, login, and every change to them audited.

A password is never stored, logged or audited: only its argon2 hash (salt and parameters inside the string) is
kept. Every login attempt is audited (``logon``, outcome ``success`` or ``failure``, with the reason a supervisor
needs, never the password). After ``LOCKOUT_ATTEMPTS`` wrong passwords in a row within ``LOCKOUT_WINDOW`` an
account refuses logins until the window has passed (CJIS 5.5.3); the count comes from the audit trail itself,
so it holds across seats and restarts without a schema change.

Who may do what is checked here, not in the UI: adding users, changing roles, disabling accounts and resetting
someone else's password need ``Action.MANAGE_USERS``; refusals are audited (``require_audited``).
"""

from __future__ import annotations

import builtins
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor, Role
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, UserRow, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap stops a megabyte "password" costing a hash
LOCKOUT_ATTEMPTS = 5
LOCKOUT_WINDOW = timedelta(minutes=10)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_LOCKED = "locked"
_WRONG_PASSWORD = "wrong password"


class AuthenticationError(Exception):
    """A login (or an old-password check) failed. The message is safe to show: it never says whether the name
    or the password was wrong."""


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: Role
    active: bool
    password_changed_at: datetime | None
    created_at: datetime


def normalise_username(text: str) -> str:
    return text.strip().lower()


def _check_username(username: str) -> None:
    if not _USERNAME.match(username):
        raise ValidationError([FieldError("username", "1-64 characters: letters, digits and . _ @ - "
                                                      "(starting with a letter or digit)")])


def _info(row: UserRow) -> UserInfo:
    return UserInfo(row.username, Role(row.role), row.active, row.password_changed_at, row.created_at)


def _find(session: Session, name: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.username == name)).one_or_none()


def _printable(text: str, limit: int = 64) -> str:
    """A name an attacker typed, made safe to store in a 64-character audit column."""
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


class UserRepository:
    def __init__(self, db: Database, workstation: str = "", *,
                 min_password_length: int = MIN_PASSWORD_LENGTH, hasher: PasswordHasher | None = None) -> None:
        """``min_password_length`` may be lowered only for a demo; ``hasher`` tunes argon2's cost (default:
        argon2-cffi's RFC 9106 low-memory profile: argon2id, 64 MiB, ~0.1 s a hash here)."""
        self._db = db
        self._workstation = workstation
        self._min_password_length = min_password_length
        self._hasher = hasher or PasswordHasher()

    @functools.cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the name is unknown, so a wrong name costs as long as a wrong password."""
        return self._hasher.hash("not a password of anyone")

    # -- logging in ------------------------------------------------------------------------------------------

    def has_users(self) -> bool:
        with self._db.session() as session:
            return session.scalar(select(UserRow.id).limit(1)) is not None

    def authenticate(self, username: str, password: str, *, workstation: str | None = None) -> Actor:
        """The Actor for a correct name and password of an active account; AuthenticationError otherwise.

        Every attempt is audited (``logon``); a failure's detail says why (unknown user, wrong password,
        disabled, locked) for the supervisor, while the message raised never tells the name from the password.
        """
        station = self._workstation if workstation is None else workstation
        name = normalise_username(username)
        actor: Actor | None = None
        with self._db.session(write=True) as session:
            # A name no account could have is never looked up (PostgreSQL refuses NUL bytes in a query).
            row = _find(session, name) if _USERNAME.match(name) else None
            reason = self._refusal(session, row, password)
            audited_name = row.username if row is not None else _printable(name or username)
            detail = {"reason": reason} if reason else {"role": row.role if row else ""}
            append_audit(session, username=audited_name, workstation=station, event_type=AuditType.LOGON.value,
                         object=f"user:{audited_name}", outcome="failure" if reason else "success", detail=detail)
            if reason is None and row is not None:
                actor = Actor(row.username, Role(row.role), station)
                self._rehash_if_outdated(row, password)
        if actor is not None:
            return actor
        if reason == _LOCKED:
            minutes = int(LOCKOUT_WINDOW.total_seconds() // 60)
            raise AuthenticationError(f"too many failed logins: account locked, try again within {minutes} minutes")
        if reason == "disabled":
            raise AuthenticationError(f"account {name} is disabled: ask an administrator")
        raise AuthenticationError("unknown user name or wrong password")

    def _refusal(self, session: Session, row: UserRow | None, password: str) -> str | None:
        if row is None:
            self._verify(self._dummy_hash, password)
            return "unknown user"
        if self._locked(session, row.username):
            return _LOCKED
        if not self._verify(row.password_hash, password):
            return _WRONG_PASSWORD
        if not row.active:
            return "disabled"
        return None

    def _locked(self, session: Session, username: str) -> bool:
        """The last LOCKOUT_ATTEMPTS decisive logons (successes and wrong passwords) within the window are all
        wrong passwords. Refusals while locked do not count, so the lock ends when the window passes."""
        reason = AuditEventRow.detail["reason"].as_string()
        recent = session.scalars(
            select(AuditEventRow.outcome)
            .where(AuditEventRow.username == username, AuditEventRow.event_type == AuditType.LOGON.value,
                   AuditEventRow.at >= utcnow() - LOCKOUT_WINDOW,
                   or_(AuditEventRow.outcome == "success", reason == _WRONG_PASSWORD))
            .order_by(AuditEventRow.id.desc()).limit(LOCKOUT_ATTEMPTS)).all()
        return len(recent) == LOCKOUT_ATTEMPTS and all(outcome == "failure" for outcome in recent)

    def _verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _rehash_if_outdated(self, row: UserRow, password: str) -> None:
        """New argon2 parameters take effect at each user's next login (the only time the password is known)."""
        if self._hasher.check_needs_rehash(row.password_hash):
            row.password_hash = self._hasher.hash(password)

    def logoff(self, actor: Actor) -> None:
        with self._db.session(write=True) as session:
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.LOGOFF.value, object=f"user:{actor.username}")

    # -- managing accounts -----------------------------------------------------------------------------------

    def bootstrap_admin(self, username: str, password: str) -> Actor:
        """Create the first administrator of an empty user table; refused (PermissionError) once any user exists."""
        name = normalise_username(username)
        _check_username(name)
        self._check_password(password)
        password_hash = self._hasher.hash(password)
        with self._db.session(write=True) as session:
            # Checked inside the write transaction, so two seats bootstrapping at once cannot both succeed.
            if session.scalar(select(func.count(UserRow.id))):
                raise PermissionError("users already exist: an administrator must add new users")
            session.add(UserRow(username=name, password_hash=password_hash, role=Role.ADMIN.value, active=True,
                                password_changed_at=utcnow()))
            append_audit(session, username=name, workstation=self._workstation,
                         event_type=AuditType.USER_CHANGE.value, object=f"user:{name}",
                         detail={"action": "bootstrap_admin", "role": Role.ADMIN.value})
        return Actor(name, Role.ADMIN, self._workstation)

    def add(self, actor: Actor, username: str, password: str, role: Role) -> None:
        name = normalise_username(username)
        require_audited(self._db, actor, Action.MANAGE_USERS, f"user:{_printable(name)}", {"attempt": "add"})
        _check_username(name)
        self._check_password(password)
        role = Role(role)
        password_hash = self._hasher.hash(password)
        with self._db.session(write=True) as session:
            if _find(session, name) is not None:
                raise ValidationError([FieldError("username", f"{name} already exists")])
            session.add(UserRow(username=name, password_hash=password_hash, role=role.value, active=True,
                                password_changed_at=utcnow()))
            self._audit(session, actor, AuditType.USER_CHANGE, name, {"action": "add", "role": role.value})

    def set_role(self, actor: Actor, username: str, role: Role) -> None:
        name = normalise_username(username)
        require_audited(self._db, actor, Action.MANAGE_USERS, f"user:{_printable(name)}",
                        {"attempt": "set_role", "new_role": str(role)})
        role = Role(role)
        with self._db.session(write=True) as session:
            row = self._row(session, name)
            old = row.role
            if old == role.value:
                return
            if old == Role.ADMIN.value:
                self._keep_an_admin(session, name, "change the role of")
            row.role = role.value
            self._audit(session, actor, AuditType.ROLE_CHANGE, name, {"old": old, "new": role.value})

    def set_password(self, actor: Actor, username: str, new_password: str, old_password: str | None = None) -> None:
        """Change one's own password (``old_password`` required), or anyone's with MANAGE_USERS (a reset)."""
        name = normalise_username(username)
        own = name == actor.username and old_password is not None
        if not own:
            require_audited(self._db, actor, Action.MANAGE_USERS, f"user:{_printable(name)}",
                            {"attempt": "set_password"})
        self._check_password(new_password, field="new_password")
        password_hash = self._hasher.hash(new_password)
        with self._db.session(write=True) as session:
            row = self._row(session, name)
            if own and not self._verify(row.password_hash, old_password or ""):
                failed = True
                self._audit(session, actor, AuditType.PASSWORD_CHANGE, name, {"reason": "wrong old password"},
                            outcome="failure")
            else:
                failed = False
                row.password_hash = password_hash
                row.password_changed_at = utcnow()
                self._audit(session, actor, AuditType.PASSWORD_CHANGE, name, {"action": "change" if own else "reset"})
        if failed:  # raised after the commit, so the failed attempt stays in the audit trail
            raise AuthenticationError("the current password is wrong")

    def set_active(self, actor: Actor, username: str, active: bool) -> None:
        """Disable (or re-enable) an account; a disabled user cannot log in. Accounts are never deleted: the audit
        trail names them."""
        name = normalise_username(username)
        require_audited(self._db, actor, Action.MANAGE_USERS, f"user:{_printable(name)}",
                        {"attempt": "enable" if active else "disable"})
        with self._db.session(write=True) as session:
            row = self._row(session, name)
            if row.active == active:
                return
            if not active and row.role == Role.ADMIN.value:
                self._keep_an_admin(session, name, "disable")
            row.active = active
            self._audit(session, actor, AuditType.USER_CHANGE, name, {"action": "enable" if active else "disable"})

    def list(self, actor: Actor) -> builtins.list[UserInfo]:
        require_audited(self._db, actor, Action.MANAGE_USERS, "users", {"attempt": "list"})
        with self._db.session() as session:
            return [_info(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]

    # -- helpers ---------------------------------------------------------------------------------------------

    def _check_password(self, password: str, field: str = "password") -> None:
        if len(password) < self._min_password_length:
            raise ValidationError([FieldError(field, f"at least {self._min_password_length} characters")])
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError([FieldError(field, f"at most {MAX_PASSWORD_LENGTH} characters")])

    @staticmethod
    def _row(session: Session, name: str) -> UserRow:
        row = _find(session, name)
        if row is None:
            raise ValidationError([FieldError("username", f"no user {name}")])
        return row

    @staticmethod
    def _keep_an_admin(session: Session, name: str, verb: str) -> None:
        """Refuse to leave the system without an active administrator (nobody could manage users again)."""
        others = session.scalar(select(func.count(UserRow.id)).where(
            UserRow.role == Role.ADMIN.value, UserRow.active.is_(True), UserRow.username != name))
        if not others:
            raise ValidationError([FieldError("username", f"{name} is the last active admin: cannot {verb} it")])

    def _audit(self, session: Session, actor: Actor, kind: AuditType, name: str, detail: dict[str, Any],
               outcome: str = "success") -> None:
        append_audit(session, username=actor.username, workstation=actor.workstation or self._workstation,
                     event_type=kind.value, object=f"user:{name}", outcome=outcome, detail=detail)


DEMO_PASSWORD = "demo"
DEMO_USERS = (("analyst", Role.ANALYST), ("wall", Role.WALL_OPERATOR), ("supervisor", Role.SUPERVISOR),
              ("admin", Role.ADMIN))


def seed_demo_users(db: Database, workstation: str = "demo") -> bool:
    """The demo city's well-known accounts (analyst, wall, supervisor, admin; password ``demo``), created only on a
    database without users; True when it created them. For the demo alone: the shared four-letter password is
    below the policy on purpose, and the login screen must say so."""
    users = UserRepository(db, workstation, min_password_length=len(DEMO_PASSWORD))
    if users.has_users():
        return False
    try:
        admin = users.bootstrap_admin("admin", DEMO_PASSWORD)
    except PermissionError:  # another process seeded in between
        return False
    for name, role in DEMO_USERS:
        if role is not Role.ADMIN:
            users.add(admin, name, DEMO_PASSWORD, role)
    return True
