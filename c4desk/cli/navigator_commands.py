"""Camera hopping from the command line: ``c4desk cameras neighbours CAMERA_ID`` prints where a vehicle leaving
that camera's view will likely be seen next, best first (the same suggestions the wall's tile overlay shows).

The graph comes from the site's cameras and its street network (DATA_DIR/streets.geojson, written by the demo or
by the administrator); without the file, neighbours come from geometry alone. With ``--plate`` and ``--at`` the
plate's reads around that time re-rank the suggestions and give ETAs; reading them is a plate search, so
``--plate`` acts as ``--user`` (SEARCH_PLATES, audited).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import add_actor_options, cli_actor
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings
from c4desk.domain.errors import ValidationError
from c4desk.domain.navigator import DEFAULT_SPEED_MPS, READ_WINDOW, Neighbour, NeighbourGraph
from c4desk.domain.permissions import Actor, PermissionDenied
from c4desk.domain.plate_match import WILDCARDS
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.store.plate_search import MAX_LIMIT, ReadFilter

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def register(cli: Subcommands) -> None:
    p = cli.sub("cameras", "neighbours", "where a vehicle leaving a camera's view will be seen next, best first",
                cmd_cameras_neighbours)
    p.add_argument("camera_id", metavar="CAMERA_ID")
    p.add_argument("--heading", type=float, metavar="DEG", help="the direction it left in (degrees from north)")
    p.add_argument("--plate", help="the followed plate: its reads around --at re-rank the suggestions")
    p.add_argument("--at", type=_time, metavar="ISO", help="when it left the view, with a zone (gives ETAs)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N suggestions")
    p.add_argument("--speed-kmh", type=float, default=DEFAULT_SPEED_MPS * 3.6, metavar="KMH",
                   help="typical urban speed for travel times (default %(default).0f)")
    p.add_argument("--json", action="store_true")
    add_actor_options(p)  # only --plate needs a login


def _time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone; add Z or an offset")
    return at


def load_streets(path: Path) -> dict[str, Any] | None:
    """The site's street GeoJSON, None when the site has none; a broken file is the user's to fix."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the street network: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a GeoJSON object")
    return data


def plate_reads_around(services: Services, plate: str, at: datetime, actor: Actor) -> list[LprRead]:
    """The plate's reads within the navigator's window either side of ``at``, oldest first (``actor``'s search)."""
    where = ReadFilter(since=at - READ_WINDOW, until=at + READ_WINDOW)
    reads = services.plate_search.search(plate, actor=actor, where=where, limit=MAX_LIMIT)
    return sorted(reads, key=lambda r: r.read_at)


def cmd_cameras_neighbours(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    if args.plate and args.at is None:
        raise UserError("--plate needs --at: the time the vehicle left the view")
    if args.plate and any(c in WILDCARDS for c in args.plate):
        raise UserError("--plate: give the one plate followed, not a pattern")
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    if not 1 <= args.speed_kmh <= 200:
        raise UserError("--speed-kmh must be between 1 and 200")
    streets = load_streets(paths.streets_file)
    services = open_services(args, paths)
    try:
        cameras = services.cameras.list()
        reads = plate_reads_around(services, args.plate, args.at, cli_actor(args, services)) if args.plate else []
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    try:
        graph = NeighbourGraph.build(cameras, streets, speed_mps=args.speed_kmh / 3.6)
        found = graph.neighbours(args.camera_id, heading_deg=args.heading, plate_reads=reads, at=args.at,
                                 limit=args.limit)
    except ValidationError as exc:
        raise UserError(str(exc)) from exc
    if streets is None:
        print(f"c4desk: no street network ({paths.streets_file}): neighbours from camera geometry only",
              file=sys.stderr)
    if args.json:
        print_json([n.as_json() for n in found])
        return 0
    camera = graph.cameras[args.camera_id]
    print(f"{camera.id} {camera.name}: {len(found)} suggestion(s), best first"
          + (f"; {len(reads)} read(s) of {args.plate}" if args.plate else ""))
    for rank, n in enumerate(found, 1):
        print(_line(rank, n))
    return 0


def _line(rank: int, n: Neighbour) -> str:
    compass = COMPASS[round(n.direction_deg / 45.0) % 8]
    way = f"{n.direction_deg:5.0f}° {compass:<2}" + (f" along {n.street}" if n.street else "")
    eta = f"  eta {n.eta.isoformat(timespec='seconds')}" if n.eta is not None else ""
    return f"{rank:>3}. {n.camera_id:<10} {n.name[:32]:<32} {way:<32} {n.travel_s:5.0f} s  score {n.score:.2f}{eta}"
