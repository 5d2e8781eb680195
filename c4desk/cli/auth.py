"""Who a command acts as: ``--user NAME`` (or ``C4DESK_USER``), logged in with ``C4DESK_PASSWORD`` or a prompt.

Commands that change data or read protected data call ``cli_actor`` and pass the Actor to services, which check
the role and audit; the login itself is audited like the workstation's (workstation = this host's name).

    def register(cli):
        parser = cli.sub("case", "create", "...", cmd_case_create)
        add_actor_options(parser)

    def cmd_case_create(args, paths, settings):
        services = open_services(args, paths)
        try:
            actor = cli_actor(args, services)
            ...
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys

from c4desk.cli import UserError
from c4desk.domain.permissions import Actor
from c4desk.hub.services import Services
from c4desk.store.users import AuthenticationError

USER_ENV = "C4DESK_USER"
PASSWORD_ENV = "C4DESK_PASSWORD"
NEW_PASSWORD_ENV = "C4DESK_NEW_PASSWORD"


def add_actor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", default=None,
                        help=f"act as this user (default: ${USER_ENV}); password from ${PASSWORD_ENV} or a prompt")


def acting_username(args: argparse.Namespace) -> str:
    name = (getattr(args, "user", None) or os.environ.get(USER_ENV, "")).strip()
    if not name:
        raise UserError(f"this command needs a login: give --user NAME or set {USER_ENV}")
    return name


def read_password(prompt: str, env: str = PASSWORD_ENV) -> str:
    """The password from ``env``, else typed at the terminal (never echoed); a clear error when neither works."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UserError(f"no password: set {env} or run the command in a terminal")
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise UserError("no password given") from None


def read_new_password(prompt: str, env: str = NEW_PASSWORD_ENV) -> str:
    """A new password from ``env``, else typed twice at the terminal (the two must match)."""
    value = os.environ.get(env)
    if value is not None:
        return value
    first = read_password(prompt, env)
    if read_password("Repeat it: ", env) != first:
        raise UserError("the two passwords differ")
    return first


def cli_actor(args: argparse.Namespace, services: Services) -> Actor:
    """Log in as ``--user``/``C4DESK_USER``; UserError (exit 2) with the reason when that fails."""
    return cli_login(args, services)[0]


def cli_login(args: argparse.Namespace, services: Services) -> tuple[Actor, str]:
    """``cli_actor`` and the password it logged in with (for ``user passwd``, where it is the old password)."""
    name = acting_username(args)
    password = read_password(f"Password for {name}: ")
    try:
        return services.users.authenticate(name, password, workstation=socket.gethostname()), password
    except AuthenticationError as exc:
        raise UserError(f"login as {name} failed: {exc}") from None
