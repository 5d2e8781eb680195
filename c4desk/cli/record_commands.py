"""Recording commands: list what is recorded for a camera, run retention, mark cameras for recording.

    c4desk recordings list CAMERA_ID [--since ISO] [--until ISO] [--json]
    c4desk recordings prune [--dry-run] [--json]
    c4desk cameras record CAMERA_ID on|off --user NAME   (an administrator: a camera edit, audited)

``recordings list --json`` prints ``{"camera_id", "since", "until", "segments": [{id, start_at, end_at, path,
bytes, codec, status}], "gaps": [{start_at, end_at, reason}], "ranges": [[start, end], ...]}``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import add_actor_options, cli_actor
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import PermissionDenied

DEFAULT_WINDOW = timedelta(hours=24)


def register(cli: Subcommands) -> None:
    listing = cli.sub("recordings", "list", "a camera's recorded segments and gaps (default: the last 24 h)",
                      cmd_recordings_list, "recorded video")
    listing.add_argument("camera_id")
    listing.add_argument("--since", type=_time, metavar="ISO", help="with a zone, e.g. 2026-07-04T21:00Z")
    listing.add_argument("--until", type=_time, metavar="ISO", help="default: now")
    listing.add_argument("--json", action="store_true")
    prune = cli.sub("recordings", "prune", "apply retention now: age limit, then disk budget (holds are kept)",
                    cmd_recordings_prune)
    prune.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    prune.add_argument("--json", action="store_true")
    record = cli.sub("cameras", "record", "mark a camera for recording (on) or stop recording it (off)",
                     cmd_cameras_record)
    record.add_argument("camera_id")
    record.add_argument("state", choices=("on", "off"))
    add_actor_options(record)
    record.add_argument("--json", action="store_true")


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z for UTC, or +02:00)")
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def cmd_recordings_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    until = args.until or datetime.now(UTC)
    since = args.since or until - DEFAULT_WINDOW
    if since > until:
        raise UserError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    services = open_services(args, paths, settings)
    try:
        repo = services.recordings
        segments = repo.segments(args.camera_id, since, until)
        gaps = repo.gaps(args.camera_id, since, until)
        ranges = repo.recorded_ranges([args.camera_id], since, until)[args.camera_id]
    finally:
        services.close()
    out: dict[str, Any] = {
        "camera_id": args.camera_id, "since": _iso(since), "until": _iso(until),
        "segments": [{"id": s.id, "start_at": _iso(s.start_at), "end_at": _iso(s.end_at), "path": str(s.path),
                      "bytes": s.bytes, "codec": s.codec, "status": s.status} for s in segments],
        "gaps": [{"start_at": _iso(g.start_at), "end_at": _iso(g.end_at), "reason": g.reason} for g in gaps],
        "ranges": [[_iso(a), _iso(b)] for a, b in ranges],
    }
    if args.json:
        print_json(out)
        return 0
    total = sum(s["bytes"] for s in out["segments"])
    print(f"{args.camera_id}: {len(segments)} segment(s), {total / 1e6:.1f} MB, {len(gaps)} gap(s) "
          f"between {out['since']} and {out['until']}")
    for a, b in out["ranges"]:
        print(f"  recorded {a} .. {b}")
    for g in out["gaps"]:
        print(f"  gap      {g['start_at']} .. {g['end_at'] or '(open)'}  {g['reason']}")
    return 0


def cmd_recordings_prune(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.media.retention import apply_retention

    services = open_services(args, paths, settings)
    try:
        report = apply_retention(services.recordings, retention_days=settings.recording.retention_days,
                                 disk_budget_gb=settings.recording.disk_budget_gb, dry_run=args.dry_run)
        usage = services.recordings.usage()
    finally:
        services.close()
    out = {"dry_run": report.dry_run, "deleted": len(report.deleted), "bytes_freed": report.bytes_freed,
           "missing_files": report.missing_files, "errors": report.errors,
           "segments": [{"id": s.id, "camera_id": s.camera_id, "start_at": _iso(s.start_at),
                         "end_at": _iso(s.end_at), "bytes": s.bytes, "path": str(s.path)} for s in report.deleted],
           "remaining": {"segments": usage.segments, "bytes": usage.bytes, "held_segments": usage.held_segments,
                         "held_bytes": usage.held_bytes},
           "retention_days": settings.recording.retention_days, "disk_budget_gb": settings.recording.disk_budget_gb}
    if args.json:
        print_json(out)
    else:
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {len(report.deleted)} segment(s), {report.bytes_freed / 1e6:.1f} MB; "
              f"{usage.segments} segment(s), {usage.bytes / 1e6:.1f} MB remain ({usage.held_segments} held)")
        for error in report.errors:
            print(f"  could not remove {error}")
    return 1 if report.errors else 0


def cmd_cameras_record(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    services = open_services(args, paths, settings)
    try:
        actor = cli_actor(args, services)
        camera = services.cameras.set_record(args.camera_id, args.state == "on", actor=actor)
        recorded = services.cameras.is_recorded(camera.id)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    if args.json:
        print_json({"camera_id": camera.id, "record": recorded})
    else:
        print(f"{camera.id}: recording {'on' if recorded else 'off'}")
    return 0
