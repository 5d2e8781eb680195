"""Cases, clips and evidence from the command line: what an analyst does in the UI, scriptable for RMS links.

Every command that changes or exports data acts as ``--user`` (or ``C4DESK_USER``) with the password from
``C4DESK_PASSWORD`` or a prompt, and is checked and audited exactly like the UI. ``evidence verify`` needs no
database and no login; ``evidence key`` shows (and on first use makes) the centre's evidence-signing key and its
key history, and with ``--rotate`` or ``--revoke FINGERPRINT --reason TEXT`` (an admin, logged in) changes it. JSON
outputs (``--json``) are a scripting interface: keep their shape stable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import add_actor_options, cli_actor
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied
from c4desk.hub.services import Services
from c4desk.store.cases import CASE_STATUSES, LINK_KINDS, TASK_OUTCOMES, CaseFilter, CaseNotFound
from c4desk.store.clips import ClipNotFound

if TYPE_CHECKING:
    from c4desk.evidence.key_admin import KeyChange
    from c4desk.evidence.key_history import KeyHistory
    from c4desk.evidence.verify import SignatureCheck

LINK_OPTIONS = {"alert": "--alert", "plate": "--plate", "plate_read": "--plate-read", "trail": "--trail",
                "snapshot": "--snapshot", "bookmark": "--bookmark"}


def register(cli: Subcommands) -> None:
    group = "cases and video search tasks"
    create = cli.sub("case", "create", "open a new case", cmd_case_create, group)
    create.add_argument("--number", required=True, help="the agency's case or incident number")
    create.add_argument("--type", dest="case_type", required=True, help="homicide, shooting, robbery, ...")
    create.add_argument("--title", default="")
    create.add_argument("--lead", default="", metavar="NAME", help="lead investigator")
    create.add_argument("--opened", type=_time, metavar="ISO", help="when the case was opened (default: now)")
    show = cli.sub("case", "show", "a case with its links, clips, searches, notes and timeline", cmd_case_show)
    show.add_argument("number")
    listing = cli.sub("case", "list", "cases, most recently opened first", cmd_case_list)
    listing.add_argument("--status", choices=CASE_STATUSES)
    listing.add_argument("--type", dest="case_type")
    listing.add_argument("--text", help="in the number or title")
    listing.add_argument("--limit", type=int, default=500)
    status = cli.sub("case", "status", "open, clear or close a case", cmd_case_status)
    status.add_argument("number")
    status.add_argument("status", choices=CASE_STATUSES)
    link = cli.sub("case", "link", "attach an alert, plate, plate read, trail, still or bookmark", cmd_case_link)
    unlink = cli.sub("case", "unlink", "detach a linked item", cmd_case_unlink)
    for parser in (link, unlink):
        parser.add_argument("number")
        items = parser.add_mutually_exclusive_group(required=True)
        for kind, option in LINK_OPTIONS.items():
            items.add_argument(option, dest=kind, metavar="ID" if kind != "plate" else "PLATE")
    link.add_argument("--at", type=_time, metavar="ISO", help="when it happened (default: the item's own time)")
    link.add_argument("--label", default="")
    task = cli.sub("case", "task", "log a video search (and its outcome, when given)", cmd_case_task)
    task.add_argument("number")
    task.add_argument("--cameras", required=True, help="camera ids searched, comma separated")
    task.add_argument("--start", type=_time, metavar="ISO", help="start of the time searched")
    task.add_argument("--end", type=_time, metavar="ISO", help="end of the time searched")
    task.add_argument("--description", default="")
    task.add_argument("--requested-by", default="", metavar="NAME", help="who asked (default: you)")
    task.add_argument("--outcome", choices=TASK_OUTCOMES)
    task.add_argument("--minutes", type=int, help="time spent searching (with --outcome)")
    note = cli.sub("case", "note", "add an intelligence note to a case", cmd_case_note)
    note.add_argument("number")
    note.add_argument("text")

    clip_group = "clips and their review"
    add = cli.sub("clip", "add", "tag a span of a camera's recording as a clip (holds its video)", cmd_clip_add,
                  clip_group)
    add.add_argument("--case", metavar="NUMBER", help="attach to this case")
    add.add_argument("--camera", required=True, metavar="ID")
    add.add_argument("--start", required=True, type=_time, metavar="ISO")
    add.add_argument("--end", required=True, type=_time, metavar="ISO")
    add.add_argument("--tag", action="append", default=[], metavar="TAG", help="repeat for more tags")
    add.add_argument("--note", default="")
    submit = cli.sub("clip", "submit", "send a clip to a supervisor for review", cmd_clip_submit)
    submit.add_argument("clip_id", type=int, metavar="ID")
    review = cli.sub("clip", "review", "approve or reject a submitted clip (supervisor)", cmd_clip_review)
    review.add_argument("clip_id", type=int, metavar="ID")
    verdict = review.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    review.add_argument("--comment", default="", help="required when rejecting")
    queue = cli.sub("clip", "queue", "clips waiting for review (supervisor)", cmd_clip_queue)
    mine = cli.sub("clip", "mine", "your clips and their review outcome", cmd_clip_mine)

    export = cli.sub("evidence", "export", "write a case's evidence package (clips, stills, manifest, custody "
                     "log, report)", cmd_evidence_export, "evidence packages")
    export.add_argument("case", metavar="CASE")
    export.add_argument("--out", type=Path, metavar="DIR",
                        help="the package folder to create; must not exist (default: DATA_DIR/exports/CASE_TIME)")
    verify = cli.sub("evidence", "verify", "check a package against its manifest and signature (no database needed)",
                     cmd_evidence_verify)
    verify.add_argument("package", type=Path, metavar="DIR")
    verify.add_argument("--expect", metavar="SHA256", help="the manifest's SHA-256 as recorded at export")
    verify.add_argument("--registered", action="store_true",
                        help="also check that this database recorded exporting exactly this manifest")
    known = verify.add_mutually_exclusive_group()
    known.add_argument("--key", type=Path, metavar="PUBKEY_FILE",
                       help="the centre's public signing key (PEM): the package must be signed by it")
    known.add_argument("--fingerprint", metavar="HEX",
                       help="the centre's signing-key fingerprint (64 hex digits): the package must be signed by it")
    known.add_argument("--keys", type=Path, metavar="HISTORY_JSON",
                       help="the centre's published key history (centre-signing-keys.json): the package must be "
                            "signed by one of its keys, not a revoked one")
    key = cli.sub("evidence", "key", "the centre's evidence-signing key: fingerprint, public key file and key "
                  "history (made if missing); rotate or revoke it (admin)", cmd_evidence_key)
    change = key.add_mutually_exclusive_group()
    change.add_argument("--rotate", action="store_true",
                        help="make a new key current; the old one is retired and its private key deleted (what it "
                             "signed still verifies against the key history)")
    change.add_argument("--revoke", metavar="FINGERPRINT",
                        help="revoke this key (the current one is rotated first): whatever it signed fails "
                             "verification from now on; needs --reason")
    key.add_argument("--reason", metavar="TEXT", help="why the key is revoked (published in the key history)")

    for parser in (create, show, listing, status, link, unlink, task, note, add, submit, review, queue, mine,
                   export, verify, key):
        parser.add_argument("--json", action="store_true")
    for parser in (create, status, link, unlink, task, note, add, submit, review, queue, mine, export, key):
        add_actor_options(parser)


def _time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone; add Z or an offset")
    return at


def jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 (with their UTC offset), tuples as lists, recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass
class _Session:
    services: Services
    actor: Actor | None


@contextmanager
def _session(args: argparse.Namespace, paths: Paths, settings: Settings, *, login: bool = True) -> Iterator[_Session]:
    """Services (and the logged-in actor); service errors become one-line user errors (exit 2)."""
    services = open_services(args, paths, settings)
    try:
        actor = cli_actor(args, services) if login else None
        yield _Session(services, actor)
    except (ValidationError, PermissionDenied, CaseNotFound, ClipNotFound) as exc:
        raise UserError(str(exc).strip("'\"")) from None
    finally:
        services.close()


def _actor(session: _Session) -> Actor:
    assert session.actor is not None
    return session.actor


def _emit(args: argparse.Namespace, value: Any, text: Callable[[], str]) -> int:
    if args.json:
        print_json(jsonable(value))
    else:
        print(text())
    return 0


# ---- cases ------------------------------------------------------------------------------------------------------


def cmd_case_create(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        case = s.services.cases.create(_actor(s), args.number, args.case_type, title=args.title, lead=args.lead,
                                       opened_at=args.opened)
    return _emit(args, case.as_dict(), lambda: f"case {case.number} opened ({case.case_type})")


def case_document(services: Services, number: str) -> dict[str, Any]:
    """The ``case show --json`` document: the case, its video component, links, clips, searches, notes, exports
    and timeline."""
    case = services.cases.find(number)
    return {
        "case": case.as_dict(),
        "video_component": services.cases.video_component(case),
        "links": [link.as_dict() for link in services.cases.links(case)],
        "clips": [clip.as_dict() for clip in services.clips.clips_for_case(case.id)],
        "tasks": [task.as_dict() for task in services.cases.tasks(case)],
        "notes": [note.as_dict() for note in services.cases.notes(case)],
        "exports": [export.as_dict() for export in services.cases.exports(case)],
        "timeline": [item.as_dict() for item in services.cases.timeline(case)],
    }


def cmd_case_show(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings, login=False) as s:
        doc = case_document(s.services, args.number)
    return _emit(args, doc, lambda: _case_text(doc))


def _case_text(doc: dict[str, Any]) -> str:
    c = doc["case"]
    lines = [f"case {c['number']}: {c['title'] or '(no title)'}",
             f"  type {c['case_type']}, {c['status']}, lead {c['lead_investigator'] or '-'}, opened {c['opened_at']}",
             f"  video component: {'yes' if doc['video_component'] else 'no'}"]
    for item in doc["timeline"]:
        span = f" .. {item['end']}" if item["end"] else ""
        lines.append(f"  {item['at']}{span}  {item['kind']:<12} {item['title']}")
    return "\n".join(lines)


def cmd_case_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings, login=False) as s:
        cases = s.services.cases.list(CaseFilter(status=args.status, case_type=args.case_type, text=args.text,
                                                 limit=args.limit))
        video = s.services.cases.video_components([c.id for c in cases])
    rows = [{**c.as_dict(), "video_component": video.get(c.id, False)} for c in cases]
    return _emit(args, rows, lambda: "\n".join(
        f"{r['number']:<16} {r['status']:<8} {r['case_type']:<12} {'video' if r['video_component'] else '     '} "
        f"{r['title']}" for r in rows))


def cmd_case_status(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        case = s.services.cases.set_status(_actor(s), args.number, args.status)
    return _emit(args, case.as_dict(), lambda: f"case {case.number} is {case.status}")


def _link_target(args: argparse.Namespace) -> tuple[str, str]:
    for kind in LINK_KINDS:
        value = getattr(args, kind, None)
        if value is not None:
            return kind, value
    raise UserError("name the item: " + " | ".join(LINK_OPTIONS.values()))


def cmd_case_link(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    kind, ref = _link_target(args)
    with _session(args, paths, settings) as s:
        link = s.services.cases.link(_actor(s), args.number, kind, ref, at=args.at, label=args.label)
    return _emit(args, link.as_dict(), lambda: f"linked {link.kind} {link.ref} to case {args.number}")


def cmd_case_unlink(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    kind, ref = _link_target(args)
    with _session(args, paths, settings) as s:
        removed = s.services.cases.unlink(_actor(s), args.number, kind, ref)
    return _emit(args, {"removed": removed},
                 lambda: f"unlinked {kind} {ref}" if removed else f"{kind} {ref} was not linked")


def cmd_case_task(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    if (args.start is None) != (args.end is None):
        raise UserError("give both --start and --end, or neither")
    if (args.outcome is None) != (args.minutes is None):
        raise UserError("--outcome and --minutes go together")
    window = None if args.start is None else (args.start, args.end)
    with _session(args, paths, settings) as s:
        actor = _actor(s)
        task = s.services.cases.add_task(actor, args.number, args.cameras.split(","), window,
                                         description=args.description, requested_by=args.requested_by)
        if args.outcome is not None:
            task = s.services.cases.complete_task(actor, task.id, args.outcome, args.minutes)
    return _emit(args, task.as_dict(), lambda: f"video search task {task.id} logged"
                 + (f": {task.outcome.replace('_', ' ')}, {task.minutes_spent} min" if task.outcome else ""))


def cmd_case_note(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        note = s.services.cases.add_note(_actor(s), args.number, args.text)
    return _emit(args, note.as_dict(), lambda: f"note {note.id} added to case {args.number}")


# ---- clips ------------------------------------------------------------------------------------------------------


def cmd_clip_add(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        clip = s.services.clips.tag(_actor(s), args.camera, args.start, args.end, tags=args.tag, note=args.note,
                                    case=args.case)
    return _emit(args, clip.as_dict(), lambda: f"clip {clip.id} tagged on {clip.camera_id} "
                 f"({clip.duration_s:g} s, {clip.held_segments} segment(s) held)")


def cmd_clip_submit(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        clip = s.services.clips.submit(_actor(s), args.clip_id)
    return _emit(args, clip.as_dict(), lambda: f"clip {clip.id} submitted for review")


def cmd_clip_review(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        clip = s.services.clips.review(_actor(s), args.clip_id, approve=args.approve, comment=args.comment)
    return _emit(args, clip.as_dict(), lambda: f"clip {clip.id} {clip.status}")


def _clip_lines(clips: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['id']:>6} {c['status']:<9} {c['camera_id']:<12} {c['start_at']} +{c['duration']:g}s "
                     f"case {c['case_number'] or '-'}  {c['review_comment']}" for c in clips) or "(none)"


def cmd_clip_queue(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        clips = [{**c.as_dict(), "duration": c.duration_s} for c in s.services.clips.review_queue(_actor(s))]
    return _emit(args, clips, lambda: _clip_lines(clips))


def cmd_clip_mine(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    with _session(args, paths, settings) as s:
        clips = [{**c.as_dict(), "duration": c.duration_s} for c in s.services.clips.my_clips(_actor(s))]
    return _emit(args, clips, lambda: _clip_lines(clips))


# ---- evidence ---------------------------------------------------------------------------------------------------


def cmd_evidence_export(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.evidence.export import ExportError, default_package_dir, export_case
    from c4desk.evidence.signing import SigningKeyError, centre_key
    from c4desk.hub.evidence_sources import export_sources

    out = args.out or default_package_dir(paths.exports_dir, args.case)

    def progress(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\rc4desk: exporting {fraction * 100:5.1f}% {message:<20}", end="", file=sys.stderr, flush=True)

    with _session(args, paths, settings) as s:
        try:
            actor = _actor(s)
            signer = centre_key(paths.data_dir)
            sources = export_sources(s.services, paths.media_dir / "snapshots")
            result = export_case(sources, actor, args.case, out, settings.evidence, progress=progress, signer=signer)
        except KeyboardInterrupt:  # Ctrl+C: the export removed its partial folder and audited the failure
            raise UserError("export interrupted; nothing was written") from None
        except (ExportError, SigningKeyError) as exc:
            raise UserError(str(exc)) from None
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for item in result.left_out:
        print(f"c4desk: left out {item.kind} {item.id}: {item.reason}", file=sys.stderr)
    return _emit(args, result.as_dict(), lambda: (
        f"{result.package}\n{len(result.clips)} clip(s), {len(result.stills)} still(s), {result.files} files, "
        f"{result.bytes} bytes\nmanifest SHA-256 {result.manifest_sha256} (record it on the custody form)\n"
        f"signed by the centre's key {signer.fingerprint}"))


def cmd_evidence_verify(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.evidence.key_history import KeyHistoryError, load_history
    from c4desk.evidence.signing import load_public_key, normalize_fingerprint
    from c4desk.evidence.verify import MANIFEST_PROBLEM, Problem, check_package

    known_key, known_fingerprint, known_keys = None, None, None
    if args.keys is not None:
        try:
            known_keys = load_history(args.keys)
        except KeyHistoryError as exc:
            raise UserError(f"--keys: {exc}") from None
    if args.key is not None:
        try:
            known_key = load_public_key(args.key.read_bytes())
        except (OSError, ValueError) as exc:
            raise UserError(f"--key: {args.key}: {exc}") from None
    if args.fingerprint is not None:
        try:
            known_fingerprint = normalize_fingerprint(args.fingerprint)
        except ValueError as exc:
            raise UserError(f"--fingerprint: {exc}") from None
    result = check_package(args.package, args.expect, known_key=known_key, known_fingerprint=known_fingerprint,
                           known_keys=known_keys)
    problems = list(result.problems)
    if args.registered and result.manifest_sha256 is not None:
        with _session(args, paths, settings, login=False) as s:
            record = s.services.cases.export_by_manifest(result.manifest_sha256)
        if record is None:
            problems.append(Problem(MANIFEST_PROBLEM, "manifest.json", "no export with this manifest SHA-256 is "
                                                                       "recorded in this database"))
    if args.json:
        print_json({"ok": not problems, "manifest_sha256": result.manifest_sha256,
                    "files_checked": result.files_checked, "signature": result.signature.as_dict(),
                    "problems": [p.as_dict() for p in problems]})
    elif problems:  # one line per problem, each naming its file (nothing else: scripts grep these)
        for problem in problems:
            print(problem)
    else:
        print(f"OK ({result.files_checked} files match; manifest SHA-256 {result.manifest_sha256})")
        print(_signature_note(result.signature))
    return 1 if problems else 0


def _signature_note(signature: SignatureCheck) -> str:
    """The line after OK: who signed, and how far that is proven (a package can carry any key)."""
    if signature.status != "valid":
        return ("unsigned: nothing in the package shows who made it (an export from before packages were signed, "
                "or its signature was removed)")
    if signature.key is not None:
        return f"signed by the centre's {signature.key.status} key {signature.fingerprint} ({signature.key.period()})"
    if signature.known_key:
        return f"signed by the expected key {signature.fingerprint}"
    return (f"signed by key {signature.fingerprint} (not checked against a known key: pass --key, --fingerprint or "
            "--keys)")


def cmd_evidence_key(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.evidence.signing import SigningKeyError, centre_key

    if args.reason is not None and args.revoke is None:
        raise UserError("--reason goes with --revoke FINGERPRINT")
    if args.revoke is not None and not (args.reason or "").strip():
        raise UserError("--revoke needs --reason TEXT: say why the key is revoked (it is published)")
    change = _change_key(args, paths, settings) if args.rotate or args.revoke is not None else None
    try:
        key = centre_key(paths.data_dir)
        history = _key_history(paths.data_dir)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    shown = key.as_dict() | {"history": [e.summary() for e in history.entries]}
    if change is not None:
        shown |= {"change": change.as_dict()}
        if not args.json:
            print(_change_line(change), file=sys.stderr)
    lines = [f"centre evidence-signing key (Ed25519){' - made now' if key.created else ''}",
             f"fingerprint  {key.fingerprint}",
             f"public key   {key.public_key_file}  (publish it, with the fingerprint)",
             f"private key  {key.stored_in}",
             f"key history  {key.history_file}  (publish it too: `evidence verify --keys` checks old packages "
             "with it)"]
    lines += [f"  {e.status:<8} {e.fingerprint}  {e.period()}" + (f", {e.revocation()}" if e.revoked_at else "")
              for e in history.entries]
    return _emit(args, shown, lambda: "\n".join(lines))


def _change_key(args: argparse.Namespace, paths: Paths, settings: Settings) -> KeyChange:
    """``--rotate`` or ``--revoke``, as the logged-in user: the service checks MANAGE_KEYS and audits."""
    from c4desk.evidence.key_admin import revoke_key, rotate_key
    from c4desk.evidence.signing import SigningKeyError

    with _session(args, paths, settings) as s:
        try:
            if args.rotate:
                return rotate_key(s.services.db, _actor(s), paths.data_dir)
            return revoke_key(s.services.db, _actor(s), paths.data_dir, args.revoke, args.reason)
        except SigningKeyError as exc:
            raise UserError(str(exc)) from None


def _key_history(data_dir: Path) -> KeyHistory:
    from c4desk.evidence.signing import SigningKeyError, centre_key_history

    history = centre_key_history(data_dir)
    if history is None:  # centre_key writes it: only a history removed in between gets here
        raise SigningKeyError(f"the key history of {data_dir} is missing")
    return history


def _change_line(change: KeyChange) -> str:
    parts = []
    if change.revoked is not None:
        parts.append(f"revoked {change.revoked.fingerprint} ({change.revoked.revocation()})")
    if change.retired is not None and change.new is not None:
        parts.append(f"retired {change.retired.fingerprint} (its private key deleted); the centre's key is now "
                     f"{change.new.fingerprint}")
    return "c4desk: " + "; ".join(parts)
