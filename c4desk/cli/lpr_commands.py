"""Plate commands: ingest reads, import hotlists and enter BOLOs, search plate history.

``ingest lpr`` sends Axis event JSON (one object, a list, or one object per line) through the live path, so
passages merge and hotlist hits raise alerts; a CSV file is a historical bulk load and raises none. Reads are
machine input and need no login; ``hotlist import`` and ``hotlist bolo`` change what officers are told to look
for, so they act as ``--user`` (IMPORT_HOTLIST, EDIT_BOLO) and are audited under that name. ``plates search`` and
``plates history`` tell where a vehicle was: they act as ``--user`` too (SEARCH_PLATES) and every query is
audited under that name, as in the workstation.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import acting_username, add_actor_options, cli_actor
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import HotlistHit
from c4desk.domain.permissions import PermissionDenied
from c4desk.domain.plates import LprRead
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.hub.lpr_routes import MEDIA_SUBDIR
from c4desk.hub.services import Services
from c4desk.integrations.axis_lpr import AxisLprIngest
from c4desk.integrations.hotlist_files import read_hotlist_file
from c4desk.integrations.lpr_csv import check_cameras, iter_lpr_csv
from c4desk.store.plate_search import PlateHistory, ReadFilter


def register(cli: Subcommands) -> None:
    ing = cli.sub("ingest", "lpr", "store plate reads from Axis event JSON or CSV (FILE or - for stdin)",
                  cmd_ingest_lpr, "feed data in")
    ing.add_argument("file", help="a .json/.jsonl file of Axis LPR events, a .csv of reads, or -")
    ing.add_argument("--media-dir", type=Path, help="where plate images go (default: DATA_DIR/media/lpr)")
    imp = cli.sub("hotlist", "import", "import a hotlist file (delimiter detected; NCIC headers accepted)",
                  cmd_hotlist_import, "hotlists and BOLOs")
    imp.add_argument("file", type=Path)
    imp.add_argument("--name", required=True, help="the list's name (a re-import updates it)")
    imp.add_argument("--replace", action="store_true", help="also remove entries the file no longer has")
    bolo = cli.sub("hotlist", "bolo", "enter a BOLO (a plate, or a partial one with * and ?)", cmd_hotlist_bolo)
    bolo.add_argument("plate")
    bolo.add_argument("--reason", required=True)
    bolo.add_argument("--priority", type=int, default=1)
    bolo.add_argument("--state", default="")
    bolo.add_argument("--expires", type=_time, metavar="ISO", help="e.g. 2026-07-05T06:00Z")
    for parser in (imp, bolo):
        add_actor_options(parser)
    for parser in (ing, imp):
        parser.add_argument("--skip-bad", action="store_true", help="store the good records of a file with bad ones")
    search = cli.sub("plates", "search", "search plate reads, newest first", cmd_plates_search, "plate reads")
    search.add_argument("pattern", help="a plate, or a pattern with * (any run) and ? (one character)")
    search.add_argument("--partial", action="store_true", help="find the pattern anywhere in the plate")
    for name in ("--since", "--until"):
        search.add_argument(name, type=_time, metavar="ISO", help="with a zone, e.g. 2026-07-04T21:00Z")
    search.add_argument("--camera", action="append", default=[], metavar="ID", help="repeat for more cameras")
    search.add_argument("--region", default="")
    search.add_argument("--direction", choices=("in", "out"), default="")
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--offset", type=int, default=0)
    hist = cli.sub("plates", "history", "where and when a plate was read", cmd_plates_history)
    recent = cli.sub("plates", "recent", "recent plate reads, newest first", cmd_plates_recent)
    recent.add_argument("--limit", type=int, default=50)
    hist.add_argument("plate")
    for parser in (search, hist):
        parser.add_argument("--fuzzy", action="store_true", help="also OCR look-alikes (0/O/D/Q, 1/I/L, 8/B, ...)")
    for parser in (search, hist, recent):
        add_actor_options(parser)
    for parser in (ing, imp, bolo, search, hist, recent):
        parser.add_argument("--json", action="store_true")


def _time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone; add Z or an offset")
    return at


def _output(args: argparse.Namespace, summary: dict[str, Any]) -> int:
    if args.json:
        print_json(summary)
    else:
        print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()))
    return 0


def _print_errors(source: str, errors: list[FieldError], label: str = "") -> None:
    for error in errors:
        print(f"{source}: {label + ': ' if label else ''}{error}", file=sys.stderr)


def _json_events(text: str, source: str) -> list[tuple[str, Any]]:
    """(label, event) pairs from one JSON value (an object or a list) or from JSON lines."""
    try:
        value = json.loads(text)
        return [(f"event {i}", item) for i, item in enumerate(value if isinstance(value, list) else [value], 1)]
    except json.JSONDecodeError:
        pass
    out: list[tuple[str, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append((f"line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise UserError(f"{source}: line {n}: not JSON ({exc.msg})") from None
    return out


def cmd_ingest_lpr(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    stdin = args.file == "-"
    source = "stdin" if stdin else args.file
    try:
        text = sys.stdin.read() if stdin else Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{source}: cannot read: {exc}") from exc
    is_csv = not text.lstrip().startswith(("{", "[")) if stdin else Path(args.file).suffix.lower() == ".csv"
    services = open_services(args, paths)
    try:
        ingest = _ingest_csv if is_csv else _ingest_events
        return _output(args, ingest(services, text, source, args, paths))
    finally:
        services.close()


def _ingest_csv(services: Services, text: str, source: str, args: argparse.Namespace, _paths: Paths
                ) -> dict[str, int]:
    known = {c.id for c in services.cameras.list()}
    errors = [e for row in check_cameras(iter_lpr_csv(text.splitlines()), known) for e in row.errors]
    _print_errors(source, errors)
    if errors and not args.skip_bad:
        raise UserError(f"nothing stored: {len(errors)} error(s); fix them or use --skip-bad")
    rows = check_cameras(iter_lpr_csv(text.splitlines()), known)
    stored = services.plate_reads.bulk_add(row.read for row in rows if row.read is not None)
    return {"stored": stored, "bad_rows": len({e.line for e in errors})}


def _ingest_events(services: Services, text: str, source: str, args: argparse.Namespace, paths: Paths
                   ) -> dict[str, int]:
    events = _json_events(text, source)
    ingest = AxisLprIngest(services.cameras, services.plate_reads, args.media_dir or paths.media_dir / MEDIA_SUBDIR)
    if not args.skip_bad:  # check every event (camera serials included) first, so a bad file stores nothing
        bad = 0
        for label, event in events:
            try:
                ingest.validate(event)
            except ValidationError as exc:
                _print_errors(source, exc.errors, label)
                bad += 1
        if bad:
            raise UserError(f"nothing stored: {bad} bad event(s); fix them or use --skip-bad")
    matcher = HotlistMatcher.for_services(services).start()
    hits: list[HotlistHit] = []
    unsubscribe = services.bus.subscribe(HotlistHit, hits.append, local_only=True)  # this import's hits only
    counts = {"created": 0, "updated": 0, "bad_events": 0}
    try:
        for label, event in events:
            try:
                _, created = ingest.ingest(event)
            except ValidationError as exc:
                _print_errors(source, exc.errors, label)
                counts["bad_events"] += 1
                continue
            counts["created" if created else "updated"] += 1
    finally:
        matcher.stop()  # matches what is still queued first
        unsubscribe()
    return {**counts, "hits": len(hits)}


def cmd_hotlist_import(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    # The file is checked before the login, so a bad file costs no password prompt; its entries are entered by
    # the user who logs in (import_list fills that in).
    acting_username(args)  # but a missing --user is said first
    parsed = read_hotlist_file(args.file, hotlist=args.name)
    _print_errors(str(args.file), parsed.errors)
    if parsed.errors and not (args.skip_bad and parsed.entries):
        raise UserError(f"nothing imported: {len(parsed.errors)} error(s); fix them or use --skip-bad")
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        result = services.hotlists.import_list(args.name, parsed.entries, replace=args.replace,
                                               source=args.file.name, actor=actor)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    return _output(args, {"hotlist": result.hotlist, "created": result.created, "updated": result.updated,
                          "removed": result.removed, "unchanged": result.unchanged,
                          "skipped_rows": len({e.line for e in parsed.errors}),
                          "delimiter": {"\t": "tab"}.get(parsed.delimiter, parsed.delimiter)})


def cmd_hotlist_bolo(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        entry = services.hotlists.add_bolo(args.plate, reason=args.reason, actor=actor, priority=args.priority,
                                           region=args.state, expires_at=args.expires)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    return _output(args, {"id": entry.id, "hotlist": entry.hotlist, "plate": entry.plate, "state": entry.region,
                          "priority": entry.priority, "reason": entry.reason,
                          "expires_at": entry.expires_at.isoformat() if entry.expires_at else None})


def cmd_plates_search(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    where = ReadFilter(since=args.since, until=args.until, cameras=tuple(args.camera), region=args.region,
                       direction=args.direction)
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        reads = services.plate_search.search(args.pattern, actor=actor, partial=args.partial, fuzzy=args.fuzzy,
                                             where=where, limit=args.limit, offset=args.offset)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    return _print_reads(args, reads)


def cmd_plates_recent(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        reads = services.plate_reads.recent(args.limit, actor=actor)  # SEARCH_PLATES, as a search
    except PermissionDenied as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    return _print_reads(args, reads)


def _print_reads(args: argparse.Namespace, reads: list[LprRead]) -> int:
    """Reads as ``plates search`` and ``plates recent`` print them (``--json``: a stable shape)."""
    rows = [{"plate": r.plate_norm, "region": r.region, "read_at": r.read_at.isoformat(), "camera_id": r.camera_id,
             "confidence": r.confidence, "direction": r.direction} for r in reads]
    if args.json:
        print_json(rows)
    for r in [] if args.json else rows:
        print(f"{r['read_at']}  {r['plate']:<10} {r['region']:<4} {r['camera_id']:<12} {r['direction']}")
    return 0


def cmd_plates_history(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        out = history_dict(args.plate, services.plate_search.history(args.plate, actor=actor, fuzzy=args.fuzzy))
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    if args.json:
        print_json(out)
        return 0
    print(f"{out['plate']}: {out['reads']} read(s), first {out['first_seen']}, last {out['last_seen']}")
    for c in out["cameras"]:
        print(f"  {c['camera_id']:<12} {c['reads']:>5}  last {c['last_seen']}")
    return 0


def history_dict(plate: str, history: PlateHistory | None) -> dict[str, Any]:
    """``plates history --json``: a plate never read has 0 reads and no times."""
    if history is None:
        return {"plate": plate.upper(), "reads": 0, "first_seen": None, "last_seen": None, "cameras": [],
                "regions": [], "plates": []}
    return {"plate": history.plate, "reads": history.reads, "first_seen": history.first_seen.isoformat(),
            "last_seen": history.last_seen.isoformat(),
            "cameras": [{"camera_id": c.camera_id, "reads": c.reads, "first_seen": c.first_seen.isoformat(),
                         "last_seen": c.last_seen.isoformat()} for c in history.cameras],
            "regions": history.regions, "plates": history.plates}
