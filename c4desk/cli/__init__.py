"""The ``c4desk`` command: the workstation, the demo city, and the administrative subcommands.

``--json`` outputs are an interface other tools script against: keep their shape stable.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from c4desk import __version__
from c4desk.config import Paths, SettingsError, load_settings

log = logging.getLogger("c4desk")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="c4desk", description="Open workstation for police Real-Time Crime Centers.")
    p.add_argument("--version", action="version", version=f"c4desk {__version__}")
    p.add_argument("--data-dir", type=Path, help="keep all data in DIR (an isolated run)")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite in the data dir)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add_screenshot(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--screenshot", type=Path, metavar="PATH", help="save a PNG of the main window and exit")
        sp.add_argument("--after", type=float, default=3.0, metavar="SECONDS", help="wait before the screenshot")

    add_screenshot(p)
    demo = sub.add_parser("demo", help="build (first run) and run the demo city, then open the workstation")
    add_screenshot(demo)
    demo.add_argument("--no-window", action="store_true", help="run the demo's servers and scenario headless")
    demo.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                      help="with --no-window: stop after SECONDS (default: until Ctrl+C)")
    demo.add_argument("--clip-seconds", type=float, default=None, help=argparse.SUPPRESS)
    demo.add_argument("--cameras", default=None, help=argparse.SUPPRESS)  # tests: render only these ids

    site = sub.add_parser("site", help="site administration").add_subparsers(dest="site_command", required=True)
    imp = site.add_parser("import", help="import cameras from CSV or GeoJSON (updates by id)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--skip-bad", action="store_true", help="import the good rows of a file with bad rows")
    imp.add_argument("--json", action="store_true")

    cams = sub.add_parser("cameras", help="camera queries").add_subparsers(dest="cameras_command", required=True)
    cams.add_parser("list", help="list cameras").add_argument("--json", action="store_true")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations (a SQLite file is copied aside first)")

    alerts = sub.add_parser("alerts", help="alert queries").add_subparsers(dest="alerts_command", required=True)
    al = alerts.add_parser("list", help="recent alerts, newest first")
    al.add_argument("--limit", type=int, default=50)
    al.add_argument("--json", action="store_true")
    plates = sub.add_parser("plates", help="plate read queries").add_subparsers(dest="plates_command", required=True)
    pr = plates.add_parser("recent", help="recent plate reads, newest first")
    pr.add_argument("--limit", type=int, default=50)
    pr.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:
        # Alembic narrates every startup check; only its warnings matter to a user.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    paths = (Paths(args.data_dir.resolve()) if args.data_dir else Paths.default()).ensure()
    try:
        settings = load_settings(paths)
    except SettingsError as exc:
        print(f"c4desk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from c4desk.cli import commands  # the subcommands import Qt and media lazily; --help stays fast

    try:
        return commands.dispatch(args, paths, settings)
    except UserError as exc:
        print(f"c4desk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


class UserError(Exception):
    """A problem the user can fix (bad file, bad argument): printed as one line, exit code 2."""


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
