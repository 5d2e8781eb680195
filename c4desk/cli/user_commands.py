"""Accounts and the audit trail from the command line: ``c4desk user ...`` and ``c4desk audit ...``.

Bootstrap: on a database with no users, ``c4desk user add NAME --role admin`` creates the first administrator
without a login (its password from ``C4DESK_NEW_PASSWORD``, ``C4DESK_PASSWORD`` or a prompt typed twice). After
that every ``user`` command logs in (``--user``/``C4DESK_USER`` with ``C4DESK_PASSWORD``) and the services check
the role. A new or reset password comes from ``C4DESK_NEW_PASSWORD`` or a prompt typed twice, because
``C4DESK_PASSWORD`` is then the acting user's own.

``audit verify`` needs no login (it shows row ids, never contents): exit 0 and "OK: N records", or exit 1 with one
line per problem. It also checks the signed anchors (``DATA_DIR/audit/anchors.jsonl``, or ``--anchors COPY``)
against the centre's key history (``DATA_DIR/evidence/centre-signing-keys.json``, or ``--keys COPY``: each anchor
against the key that signed it, rotated or not; a revoked key's anchors fail), else its published key (or
``--key``): "anchors: N checked, newest at ... (record ID)". ``audit anchor``
(READ_AUDIT) signs the head now; the hub does so by itself every ``audit.anchor_minutes``. ``audit list`` needs
READ_AUDIT and is itself audited.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import (
    NEW_PASSWORD_ENV,
    PASSWORD_ENV,
    add_actor_options,
    cli_actor,
    cli_login,
    read_new_password,
)
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.audit import AuditType
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import PermissionDenied, Role, parse_role
from c4desk.hub.services import Services
from c4desk.store.audit_log import AuditRecord, write_csv
from c4desk.store.users import AuthenticationError, UserInfo

if TYPE_CHECKING:  # the anchors' module loads the signing key's crypto: only for the commands that need it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from c4desk.hub.audit_anchors import AnchorReport

EXIT_TAMPERED = 1


def register(cli: Subcommands) -> None:
    add = cli.sub("user", "add", "add a user (the first one, an admin, needs no login)", cmd_user_add,
                  "users and roles")
    add.add_argument("name")
    add.add_argument("--role", type=_role, required=True, help=", ".join(r.value for r in Role))
    listing = cli.sub("user", "list", "list users (admin)", cmd_user_list)
    listing.add_argument("--json", action="store_true")
    role = cli.sub("user", "role", "change a user's role (admin)", cmd_user_role)
    role.add_argument("name")
    role.add_argument("role", type=_role)
    passwd = cli.sub("user", "passwd", "change your password, or reset another user's (admin)", cmd_user_passwd)
    passwd.add_argument("name")
    disable = cli.sub("user", "disable", "disable an account: it can no longer log in (admin)", cmd_user_disable)
    disable.add_argument("name")
    enable = cli.sub("user", "enable", "re-enable a disabled account (admin)", cmd_user_enable)
    enable.add_argument("name")
    for parser in (add, listing, role, passwd, disable, enable):
        add_actor_options(parser)

    verify = cli.sub("audit", "verify", "check the audit trail's hash chain and its signed anchors (exit 1 naming "
                     "each broken row or anchor)", cmd_audit_verify, "the audit trail")
    verify.add_argument("--anchors", type=Path, metavar="FILE",
                        help="the anchors to check, e.g. a copy kept on another machine (default: "
                             "DATA_DIR/audit/anchors.jsonl)")
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument("--key", type=Path, metavar="PUBKEY_FILE",
                      help="check every anchor against this one public key (default: the key history, else "
                           "DATA_DIR/evidence/centre-signing-key.pub)")
    keys.add_argument("--keys", type=Path, metavar="HISTORY_JSON",
                      help="the centre's key history, e.g. a copy kept elsewhere: each anchor is checked against the "
                           "key that signed it (default: DATA_DIR/evidence/centre-signing-keys.json when it exists)")
    audit = cli.sub("audit", "list", "audit records, newest first (supervisor, admin; itself audited)",
                    cmd_audit_list)
    for name in ("--since", "--until"):
        audit.add_argument(name, type=_time, metavar="ISO", help="with a zone, e.g. 2026-07-04T21:00Z")
    audit.add_argument("--user-name", "--who", dest="who", metavar="NAME", help="records of this user only")
    audit.add_argument("--type", choices=[t.value for t in AuditType], help="one event type")
    audit.add_argument("--object", metavar="TEXT", help="object contains TEXT")
    audit.add_argument("--text", metavar="TEXT", help="user, workstation, object or detail contains TEXT")
    audit.add_argument("--limit", type=int, default=1000)
    fmt = audit.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    add_actor_options(audit)
    anchor = cli.sub("audit", "anchor", "sign the audit trail's head with the centre's key into the anchors file "
                     "(supervisor, admin)", cmd_audit_anchor)
    anchor.add_argument("--anchors", type=Path, metavar="FILE",
                        help="append to FILE (default: DATA_DIR/audit/anchors.jsonl)")
    anchor.add_argument("--json", action="store_true")
    add_actor_options(anchor)


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone; add Z or an offset")
    return at


@contextmanager
def _services(args: argparse.Namespace, paths: Paths) -> Iterator[Services]:
    """Services for one command, with the store's refusals turned into one clear line (exit 2)."""
    services = open_services(args, paths)
    try:
        yield services
    except (ValidationError, PermissionDenied, AuthenticationError) as exc:
        raise UserError(str(exc)) from None
    finally:
        services.close()


def _acting(args: argparse.Namespace, paths: Paths, act: Callable[[Services, Any], None], done: str) -> int:
    with _services(args, paths) as services:
        act(services, cli_actor(args, services))
    print(done, file=sys.stderr)
    return 0


def cmd_user_add(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    with _services(args, paths) as services:
        if not services.users.has_users():
            if args.role is not Role.ADMIN:
                raise UserError("there are no users yet: the first one must be an admin (--role admin)")
            env = NEW_PASSWORD_ENV if NEW_PASSWORD_ENV in os.environ else PASSWORD_ENV
            password = read_new_password(f"Password for the new admin {args.name}: ", env)
            try:
                admin = services.users.bootstrap_admin(args.name, password)
            except PermissionError as exc:  # another seat bootstrapped in between
                raise UserError(str(exc)) from None
            print(f"c4desk: first administrator {admin.username} created", file=sys.stderr)
            return 0
        actor = cli_actor(args, services)
        password = read_new_password(f"Password for the new user {args.name}: ")
        services.users.add(actor, args.name, password, args.role)
    print(f"c4desk: user {args.name} added ({args.role.value})", file=sys.stderr)
    return 0


def cmd_user_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    with _services(args, paths) as services:
        users = services.users.list(cli_actor(args, services))
    if args.json:
        print_json([_user_json(u) for u in users])
    else:
        for u in users:
            state = "active" if u.active else "disabled"
            print(f"{u.username:<20} {u.role.value:<14} {state}")
    return 0


def _user_json(u: UserInfo) -> dict[str, Any]:
    return {"username": u.username, "role": u.role.value, "active": u.active,
            "password_changed_at": u.password_changed_at.isoformat() if u.password_changed_at else None,
            "created_at": u.created_at.isoformat()}


def cmd_user_role(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    return _acting(args, paths, lambda s, actor: s.users.set_role(actor, args.name, args.role),
                   f"c4desk: {args.name} is now {args.role.value}")


def cmd_user_passwd(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    """Your own password (the login password is the old one), or another user's as an admin (a reset)."""
    del settings
    with _services(args, paths) as services:
        actor, login_password = cli_login(args, services)
        new = read_new_password(f"New password for {args.name}: ")
        own = actor.username == args.name.strip().lower()
        services.users.set_password(actor, args.name, new, old_password=login_password if own else None)
    print(f"c4desk: password of {args.name} changed", file=sys.stderr)
    return 0


def cmd_user_disable(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    return _acting(args, paths, lambda s, actor: s.users.set_active(actor, args.name, False),
                   f"c4desk: {args.name} disabled")


def cmd_user_enable(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    return _acting(args, paths, lambda s, actor: s.users.set_active(actor, args.name, True),
                   f"c4desk: {args.name} enabled")


def cmd_audit_verify(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    """The chain first (its OK or TAMPERED line, then its problems), then the anchors: a summary line and theirs."""
    from c4desk.evidence.key_history import KeyHistoryError, load_history
    from c4desk.hub.audit_anchors import anchors_path, check_anchors, check_published

    del settings
    anchors_file = args.anchors or anchors_path(paths.data_dir)
    if args.anchors is not None and not args.anchors.is_file():
        raise UserError(f"--anchors: {args.anchors} is not a file")
    history = None
    if args.keys is not None:
        try:
            history = load_history(args.keys)
        except KeyHistoryError as exc:
            raise UserError(f"--keys: {exc}") from None
    with _services(args, paths) as services:
        report = services.audit.verify_report()
        try:
            if history is not None:
                anchors = check_anchors(services.db, anchors_file, None, history=history)
            elif args.key is not None:
                anchors = check_anchors(services.db, anchors_file, _anchor_key(args))
            else:  # the data directory's history, else its published key
                anchors = check_published(services.db, paths.data_dir, path=anchors_file)
        except OSError as exc:
            raise UserError(f"{anchors_file}: {exc.strerror or exc}") from None
    for first, last in report.gaps:
        span = str(first) if first == last else f"{first}-{last}"
        print(f"note: ids {span} unused, but the chain links across them (a rolled-back transaction)",
              file=sys.stderr)
    if report.ok and anchors.ok:
        head = f"; head {report.head_id} {report.head_hash}" if report.head_id is not None else ""
        print(f"OK: {report.records} records{head}")
        _print_anchors(anchors)
        return 0
    problems = len(report.problems) + len(anchors.problems)
    print(f"TAMPERED: {problems} problem(s) in {report.records} records")
    for problem in report.problems:
        print(problem)
    _print_anchors(anchors)
    return EXIT_TAMPERED


def _anchor_key(args: argparse.Namespace) -> Ed25519PublicKey:
    """``--key``: the one key every anchor must be signed by."""
    from c4desk.evidence.signing import load_public_key

    try:
        return load_public_key(args.key.read_bytes())
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise UserError(f"--key: {args.key}: {reason}") from None


def _print_anchors(anchors: AnchorReport) -> None:
    if not anchors.present:  # a note, like the gaps: the chain's own result stays the first and only stdout line
        print(f"note: {anchors.summary()} (the hub writes anchors; `c4desk audit anchor` writes one now)",
              file=sys.stderr)
        return
    print(anchors.summary())
    for problem in anchors.problems:
        print(problem)


def cmd_audit_anchor(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    """Sign the head now (after this login, which the anchor then covers); no audit record of its own (see
    hub/audit_anchors.py: it would move the head it signs)."""
    from c4desk.evidence.signing import SigningKeyError
    from c4desk.hub.audit_anchors import anchor_as, anchors_path

    path = args.anchors or anchors_path(paths.data_dir)
    copies = [] if args.anchors else settings.audit.anchor_copies  # an explicit file is written alone
    with _services(args, paths) as services:
        actor = cli_actor(args, services)
        try:
            anchor = anchor_as(services.db, actor, paths.data_dir, path=path, copies=copies)
        except SigningKeyError as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            raise UserError(f"{path}: {exc.strerror or exc}") from None
    if anchor is None:
        raise UserError("the audit trail is empty: nothing to anchor")
    if args.json:
        print_json(anchor.as_dict() | {"file": str(path)})
    else:
        print(f"anchored record {anchor.record_id} ({anchor.records} records) {anchor.hash}")
        also = f" and to {len(copies)} copy file(s) (audit.anchor_copies)" if copies else ""
        print(f"c4desk: signed by the centre's key {anchor.key}; appended to {path}{also}", file=sys.stderr)
    return 0


def cmd_audit_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    del settings
    with _services(args, paths) as services:
        actor = cli_actor(args, services)
        records = services.audit.query(actor, since=args.since, until=args.until, username=args.who,
                                       event_type=args.type, object_contains=args.object, text=args.text,
                                       limit=args.limit)
    if args.csv:
        write_csv(reversed(records), sys.stdout)
    elif args.json:
        print_json([_record_json(r) for r in records])
    else:
        for r in records:
            print(f"{r.id:>7} {r.at.isoformat(timespec='seconds')} {r.username:<12} {r.event_type:<17} "
                  f"{r.outcome:<7} {r.object}")
    return 0


def _record_json(r: AuditRecord) -> dict[str, Any]:
    return {"id": r.id, "at": r.at.isoformat(), "username": r.username, "workstation": r.workstation,
            "event_type": r.event_type, "object": r.object, "outcome": r.outcome, "detail": r.detail,
            "hash": r.hash}
