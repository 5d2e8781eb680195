"""The ``c4desk`` command: the workstation, the demo city, and the administrative subcommands.

``--json`` outputs are an interface other tools script against: keep their shape stable.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from c4desk import __version__
from c4desk.config import Paths, Settings, SettingsError, load_settings

log = logging.getLogger("c4desk")
EXIT_USAGE = 2
Handler = Callable[[argparse.Namespace, Paths, Settings], int]


class Subcommands:
    """Where command modules register their subcommands; groups (``cameras``, ``ingest``) are shared."""

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self._sub = sub
        self._groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def command(self, name: str, help: str, handler: Handler) -> argparse.ArgumentParser:
        parser = self._sub.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser

    def sub(self, group: str, name: str, help: str, handler: Handler,
            group_help: str = "") -> argparse.ArgumentParser:
        if group not in self._groups:
            gp = self._sub.add_parser(group, help=group_help or f"{group} commands")
            self._groups[group] = gp.add_subparsers(dest=f"{group}_command", required=True, metavar="COMMAND")
        parser = self._groups[group].add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser


def add_screenshot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--screenshot", type=Path, metavar="PATH", help="save a PNG of the main window and exit")
    parser.add_argument("--after", type=float, default=3.0, metavar="SECONDS", help="wait before the screenshot")


# Each module has ``register(Subcommands)``; handlers import Qt, media and the store lazily.
COMMAND_MODULES = ("c4desk.cli.core", "c4desk.cli.alert_commands", "c4desk.cli.lpr_commands",
                   "c4desk.cli.record_commands", "c4desk.cli.navigator_commands", "c4desk.cli.user_commands",
                   "c4desk.cli.case_commands", "c4desk.cli.report_commands", "c4desk.cli.camera_commands")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="c4desk", description="Open workstation for police Real-Time Crime Centers.")
    p.add_argument("--version", action="version", version=f"c4desk {__version__}")
    p.add_argument("--data-dir", type=Path, help="keep all data in DIR (an isolated run)")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite in the data dir)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    add_screenshot_options(p)
    subcommands = Subcommands(p.add_subparsers(dest="command", metavar="COMMAND"))
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subcommands)
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
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        from c4desk.cli.core import cmd_workstation

        handler = cmd_workstation
    try:
        return int(handler(args, paths, settings))
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
