"""Gunshot alert commands: ``ingest gunshot``, ``ingest gunshot-csv`` and ``cameras covering``.

These write straight to the database. On SQLite another running workstation sees the alerts on its next
reload, not as a live event (events travel on one process's bus); live feeds POST to the hub instead.
Sensor data fed in by hand is machine input like the hub's feed: no login, and it can only add or update what the
sensor said (never an alert's status or assignment, which need a user with WORK_ALERTS).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.config import Paths, Settings

EXIT_INVALID = 2
CLI_FEED = "cli"  # the name these imports carry in an alert's history


def register(cli: Subcommands) -> None:
    shot = cli.sub("ingest", "gunshot", "store a gunshot alert from a JSON file ('-' reads stdin)", cmd_ingest_gunshot,
                   "feed data in by hand")
    shot.add_argument("file", help="a JSON object (or an array of them); '-' for stdin")

    csv_cmd = cli.sub("ingest", "gunshot-csv", "import the Chicago data portal's ShotSpotter alerts CSV",
                      cmd_ingest_gunshot_csv)
    csv_cmd.add_argument("file", type=Path)
    csv_cmd.add_argument("--skip-bad", action="store_true", help="import the good rows of a file with bad rows")
    csv_cmd.add_argument("--tz", default="America/Chicago", metavar="ZONE",
                         help="zone of the file's local times (default: America/Chicago)")
    csv_cmd.add_argument("--open", action="store_true",
                         help="leave imported alerts open (default: stored closed as history, out of the queue)")
    csv_cmd.add_argument("--json", action="store_true")

    cov = cli.sub("cameras", "covering", "cameras for a place: covering ones first, then nearest; LPR listed apart",
                  cmd_cameras_covering)
    cov.add_argument("lat", type=float, metavar="LAT")
    cov.add_argument("lon", type=float, metavar="LON")
    cov.add_argument("--limit", type=int, default=None, metavar="N", help="at most N video and N LPR cameras")
    cov.add_argument("--max-distance", type=float, default=None, metavar="METRES")
    cov.add_argument("--json", action="store_true")


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{name}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{name}: not UTF-8 text") from exc


def cmd_ingest_gunshot(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.cli.core import open_services
    from c4desk.domain.errors import ValidationError
    from c4desk.integrations.gunshot import alert_as_json, parse_gunshot
    from c4desk.store.models import utcnow

    text = _read_text(args.file)
    source = "stdin" if args.file == "-" else args.file
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        print(f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}", file=sys.stderr)
        return EXIT_INVALID
    items = doc if isinstance(doc, list) else [doc]
    now = utcnow()
    reports = []
    failed = False
    for index, item in enumerate(items):
        try:
            reports.append(parse_gunshot(item, now=now))
        except ValidationError as exc:
            failed = True
            where = f"[{index}] " if isinstance(doc, list) else ""
            for error in exc.errors:
                print(f"{source}: {where}{error}", file=sys.stderr)
    if failed:
        print("c4desk: nothing stored", file=sys.stderr)
        return EXIT_INVALID
    services = open_services(args, paths)
    try:
        stored = [alert_as_json(services.alerts.ingest_gunshot(r, received_at=now, feed=CLI_FEED).alert)
                  for r in reports]
    finally:
        services.close()
    print_json(stored if isinstance(doc, list) else stored[0])
    return 0


def cmd_ingest_gunshot_csv(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.cli.core import open_services
    from c4desk.integrations.gunshot_csv import read_shotspotter_csv

    parsed = read_shotspotter_csv(args.file, zone=args.tz)
    for error in parsed.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if parsed.errors and (not args.skip_bad or not parsed.rows):
        print(f"c4desk: nothing imported: {len(parsed.errors)} error(s)"
              + ("; fix them or use --skip-bad" if parsed.rows else ""), file=sys.stderr)
        return EXIT_INVALID
    services = open_services(args, paths)
    try:
        summary = services.alerts.import_gunshots(
            parsed.reports, feed=CLI_FEED,
            closed_reason=None if args.open else f"imported history ({args.file.name})")
    finally:
        services.close()
    out: dict[str, Any] = {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
                           "skipped_rows": parsed.bad_lines}
    if args.json:
        print_json(out)
    else:
        print(f"imported {len(parsed.reports)} alert(s): {summary.created} new, {summary.updated} updated, "
              f"{summary.unchanged} unchanged" + (f", {parsed.bad_lines} bad row(s) skipped" if parsed.bad_lines
                                                  else ""))
    return 0


def cmd_cameras_covering(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.cli.core import open_services
    from c4desk.domain.ranking import rank_cameras

    if not (math.isfinite(args.lat) and -90 <= args.lat <= 90):
        raise UserError(f"LAT {args.lat:g} is outside [-90, 90]")
    if not (math.isfinite(args.lon) and -180 <= args.lon <= 180):
        raise UserError(f"LON {args.lon:g} is outside [-180, 180]")
    if args.limit is not None and args.limit < 0:
        raise UserError("--limit must not be negative")
    services = open_services(args, paths)
    try:
        cameras = services.cameras.list()
    finally:
        services.close()
    ranked = rank_cameras(cameras, args.lat, args.lon, args.limit, max_distance_m=args.max_distance)
    entries = [*ranked.ordered, *ranked.lpr]
    if args.json:
        print_json([e.as_dict() for e in entries])
        return 0
    for title, group in (("covering", ranked.covering), ("others", ranked.others), ("LPR", ranked.lpr)):
        if group:
            print(f"{title}:")
            for e in group:
                print(f"  {e.camera_id:<12} {e.kind.value:<8} {e.distance_m:>8.1f} m {e.bearing_deg:>6.1f}°  "
                      f"{'in view' if e.in_fov else '       '}  {e.name}")
    if not entries:
        print("no cameras")
    return 0
