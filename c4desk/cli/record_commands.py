"""Commands for records (being written this session; registers nothing yet)."""

from __future__ import annotations

from c4desk.cli import Subcommands


def register(cli: Subcommands) -> None:
    del cli
