"""The centre's figures and the data behind them: reports, historical cases, and the speed-radar pilot.

* ``report solvability [--since] [--until] [--types a,b] --json``: clearance with and without video.
* ``report radar SITE --change DATE --json``: a radar site's speeds before and after a change.
* ``case import FILE``: historical cases from an RMS export (all or nothing; needs IMPORT_CASES).
* ``radar site ID ...`` / ``radar sites``: the pilot's sites (limit, devices, light policy).
* ``ingest radar FILE|-`` (JSON) and ``ingest radar-csv FILE``: readings, stored in km/h.

Reports and imports act as a logged-in user (``--user`` or ``C4DESK_USER``, password from ``C4DESK_PASSWORD``
or a prompt): reading the figures needs VIEW_REPORTS, importing cases IMPORT_CASES, editing sites
EDIT_CAMERAS; refusals are audited. Ingesting readings is a device feed's job and needs no login, like
``ingest lpr``. Dates given without a time mean local midnight in ``--tz`` (default: this machine's zone).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import add_actor_options, cli_actor
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import PermissionDenied
from c4desk.domain.radar import MPH_TO_KMH, RadarSite, light_colour, parse_policy
from c4desk.integrations.case_import import read_case_csv
from c4desk.integrations.radar import check_devices, parse_radar_csv, parse_readings
from c4desk.store.case_history import CaseHistoryRepository
from c4desk.store.models import utcnow
from c4desk.store.radar import RadarSiteNotFound


def register(cli: Subcommands) -> None:
    solv = cli.sub("report", "solvability", "clearance rates of cases with and without video (Wilson 95%, Fisher)",
                   cmd_report_solvability, "the centre's figures")
    solv.add_argument("--since", metavar="ISO", help="cases opened from then (a date, or a time with a zone)")
    solv.add_argument("--until", metavar="ISO", help="cases opened before then (exclusive)")
    solv.add_argument("--types", default="", metavar="A,B", help="case types, comma-separated (default: all)")

    radar = cli.sub("report", "radar", "a radar site's speeds before and after a change date", cmd_report_radar)
    radar.add_argument("site", metavar="SITE", help="the radar site's id")
    radar.add_argument("--change", required=True, metavar="DATE",
                       help="when the change took effect (a date = local midnight, or a time with a zone)")
    radar.add_argument("--since", metavar="ISO", help="ignore readings before then")
    radar.add_argument("--until", metavar="ISO", help="ignore readings from then on")

    imp = cli.sub("case", "import", "import historical cases from an RMS export CSV (known numbers are updated)",
                  cmd_case_import, "cases")
    imp.add_argument("file", type=Path)

    site = cli.sub("radar", "site", "add or change a speed-radar site", cmd_radar_site, "speed-radar pilot")
    site.add_argument("id")
    site.add_argument("--name", required=True)
    limit = site.add_mutually_exclusive_group(required=True)
    limit.add_argument("--limit-kmh", type=float, metavar="KMH")
    limit.add_argument("--limit-mph", type=float, metavar="MPH")
    site.add_argument("--sensors", required=True, metavar="ID,ID", help="the radar devices at the site")
    site.add_argument("--policy", default="", metavar="KMH:COLOUR,...",
                      help="light bands in km/h, e.g. 48:amber,64:red (below the first band: no light)")
    site.add_argument("--lat", type=float)
    site.add_argument("--lon", type=float)
    sites = cli.sub("radar", "sites", "list the speed-radar sites", cmd_radar_sites)

    ing = cli.sub("ingest", "radar", "store radar readings from JSON (one object, an array, or JSON lines; - = stdin)",
                  cmd_ingest_radar, "feed data in")
    ing.add_argument("file", help="a .json/.jsonl file of readings, or -")
    ing_csv = cli.sub("ingest", "radar-csv", "store radar readings from CSV (device,time,speed_kmh|speed_mph,...)",
                      cmd_ingest_radar_csv)
    ing_csv.add_argument("file", type=Path)

    for parser in (solv, radar, imp, site):
        add_actor_options(parser)
    for parser in (solv, radar, imp):
        parser.add_argument("--tz", default=None, metavar="ZONE",
                            help="zone for dates and hours of day (default: this machine's)")
    for parser in (solv, radar, imp, site, sites, ing, ing_csv):
        parser.add_argument("--json", action="store_true")


# --- time arguments --------------------------------------------------------------------------------------------


def local_zone_name() -> str:
    """This machine's IANA zone name (TZ, else /etc/localtime's link), or UTC when it cannot be told."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            link = os.readlink("/etc/localtime")
        except OSError:
            return "UTC"
        name = link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "UTC"
    return name or "UTC"


def zone(name: str | None) -> tzinfo:
    text = name or local_zone_name()
    if text.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--tz: unknown time zone {text!r} (an IANA name like America/New_York)") from None


def when(text: str | None, tz: tzinfo, option: str) -> datetime | None:
    """A date (its local midnight in ``tz``) or an ISO time with a zone, as aware UTC."""
    if text is None:
        return None
    try:
        if len(text) == 10 and "T" not in text:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=tz).astimezone(UTC)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise UserError(f"{option}: {text!r} has no zone; add Z or an offset, or give a date")
    return at.astimezone(UTC)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


# --- reports ---------------------------------------------------------------------------------------------------


def cmd_report_solvability(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    tz = zone(args.tz)
    since, until = when(args.since, tz, "--since"), when(args.until, tz, "--until")
    if since and until and until <= since:
        raise UserError("--until must be after --since")
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        result = services.reports.solvability(actor, since=since, until=until, types=args.types.split(","))
    except PermissionDenied as exc:
        raise UserError(str(exc)) from None
    finally:
        services.close()
    out = result.as_json()
    if args.json:
        print_json(out)
        return 0
    for label, group in (("with video", result.with_video), ("without video", result.without_video)):
        ci = f"[{_pct(group.ci95[0])}, {_pct(group.ci95[1])}]" if group.ci95 else "-"
        print(f"{label:<14} {group.cleared:>5} of {group.cases:<5} cleared  {_pct(group.rate):>7}  95% CI {ci}")
    print(f"relative increase {_pct(result.relative_increase)}; Fisher's exact p = "
          f"{'-' if result.fisher_p is None else f'{result.fisher_p:.4g}'}; {len(result.excluded)} excluded")
    for e in result.excluded:
        print(f"  excluded {e.number} ({e.case_type}): {e.reason}")
    return 0


def cmd_report_radar(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    tz = zone(args.tz)
    change = when(args.change, tz, "--change")
    assert change is not None
    since, until = when(args.since, tz, "--since"), when(args.until, tz, "--until")
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        result = services.radar.before_after(actor, args.site, change, tz=tz, since=since, until=until)
    except (PermissionDenied, RadarSiteNotFound) as exc:
        raise UserError(str(exc)) from None
    finally:
        services.close()
    if args.json:
        print_json(result.as_json())
        return 0
    changed = result.change_at.astimezone(tz)
    print(f"{result.site_id}: limit {result.speed_limit_kmh:g} km/h, change {changed:%Y-%m-%d %H:%M} ({result.zone})")
    for label, period in (("before", result.before.overall), ("after", result.after.overall)):
        lights = ", ".join(f"{k} {v}" for k, v in period.lights.items()) or "no light policy"
        print(f"  {label:<6} {period.readings:>7} readings  mean {_num(period.mean_kmh, ' km/h')}  "
              f"85th {_num(period.p85_kmh, ' km/h')}  over limit {_pct(period.share_over_limit)}  lights: {lights}")
    return 0


# --- cases -----------------------------------------------------------------------------------------------------


def cmd_case_import(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    parsed = read_case_csv(args.file, tz=zone(args.tz))
    for error in parsed.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if parsed.errors:
        raise UserError(f"nothing imported: {len(parsed.errors)} error(s) on {parsed.bad_lines} line(s)")
    if not parsed.cases:
        raise UserError(f"{args.file}: no cases in the file")
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        summary = CaseHistoryRepository(services.db).import_cases(parsed.cases, actor=actor, source=args.file.name)
    except (PermissionDenied, ValidationError) as exc:
        raise UserError(str(exc)) from None
    finally:
        services.close()
    out = {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged}
    if args.json:
        print_json(out)
    else:
        print(f"imported {len(parsed.cases)} case(s): {summary.created} new, {summary.updated} updated, "
              f"{summary.unchanged} unchanged")
    return 0


# --- radar -----------------------------------------------------------------------------------------------------


def _policy(text: str) -> list[dict[str, Any]]:
    bands = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        speed, sep, colour = part.partition(":")
        try:
            bands.append({"from_kmh": float(speed), "colour": colour.strip()})
        except ValueError:
            raise UserError(f"--policy: {part!r} is not KMH:COLOUR") from None
        if not sep:
            raise UserError(f"--policy: {part!r} is not KMH:COLOUR")
    return bands


def site_json(site: Any) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "speed_limit_kmh": site.speed_limit_kmh,
            "sensor_ids": list(site.sensor_ids), "policy": [b.as_json() for b in site.policy], "lat": site.lat,
            "lon": site.lon}


def cmd_radar_site(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    limit = args.limit_kmh if args.limit_kmh is not None else args.limit_mph * MPH_TO_KMH
    try:
        site = RadarSite(id=args.id, name=args.name, speed_limit_kmh=limit,
                         sensor_ids=tuple(s.strip() for s in args.sensors.split(",") if s.strip()),
                         policy=parse_policy(_policy(args.policy)), lat=args.lat, lon=args.lon)
    except ValidationError as exc:
        raise UserError(str(exc)) from None
    services = open_services(args, paths)
    try:
        created = services.radar.upsert_site(cli_actor(args, services), site)
    except PermissionDenied as exc:
        raise UserError(str(exc)) from None
    finally:
        services.close()
    if args.json:
        print_json({**site_json(site), "created": created})
    else:
        print(f"radar site {site.id} {'added' if created else 'updated'}")
    return 0


def cmd_radar_sites(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    services = open_services(args, paths)
    try:
        sites = services.radar.sites()
    finally:
        services.close()
    if args.json:
        print_json([site_json(s) for s in sites])
    for s in [] if args.json else sites:
        policy = ", ".join(f"{b.colour} from {b.from_kmh:g}" for b in s.policy) or "no lights"
        print(f"{s.id:<16} limit {s.speed_limit_kmh:g} km/h  devices {','.join(s.sensor_ids)}  {policy}  {s.name}")
    return 0


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{name}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise UserError(f"{name}: not UTF-8 text") from None


def _json_values(text: str, source: str) -> list[Any]:
    """Readings from one JSON value (an object or an array) or from JSON lines."""
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except json.JSONDecodeError:
        pass
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UserError(f"{source}: line {n}: not JSON ({exc.msg})") from None
    return out


def _store_readings(args: argparse.Namespace, paths: Paths, readings: list[Any], source: str, indexed: bool) -> int:

    services = open_services(args, paths)
    try:
        sites = {s.id: s for s in services.radar.sites()}
        devices = {sensor: s.id for s in sites.values() for sensor in s.sensor_ids}
        try:
            check_devices(readings, devices, indexed=indexed)
            stored = services.radar.add_readings(readings)
        except ValidationError as exc:
            for error in exc.errors:
                print(f"{source}: {error}", file=sys.stderr)
            raise UserError(f"nothing stored: {len(exc.errors)} error(s)") from None
    finally:
        services.close()
    lights: dict[str, int] = {}
    for r in readings:
        site = sites[devices[r.sensor_id]]
        colour = light_colour(site.policy, r.speed_kmh)
        if colour is not None:
            lights[colour] = lights.get(colour, 0) + 1
    out = {"stored": stored, "lights": lights}
    if args.json:
        print_json(out)
    else:
        print(f"stored {stored} reading(s); lights: " + (", ".join(f"{k} {v}" for k, v in lights.items()) or "none"))
    return 0


def cmd_ingest_radar(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    source = "stdin" if args.file == "-" else args.file
    values = _json_values(_read_text(args.file), source)
    if not values:
        raise UserError(f"{source}: no readings")
    try:
        readings = parse_readings(values, now=utcnow())
    except ValidationError as exc:
        for error in exc.errors:
            print(f"{source}: {error}", file=sys.stderr)
        raise UserError(f"nothing stored: {len(exc.errors)} error(s)") from None
    return _store_readings(args, paths, readings, source, indexed=True)


def cmd_ingest_radar_csv(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:

    parsed = parse_radar_csv(_read_text(str(args.file)))
    for error in parsed.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if parsed.errors:
        raise UserError(f"nothing stored: {len(parsed.errors)} error(s) on {parsed.bad_lines} line(s)")
    if not parsed.readings:
        raise UserError(f"{args.file}: no readings")
    return _store_readings(args, paths, parsed.readings, str(args.file), indexed=False)
