"""Camera administration: give a camera its login.

    c4desk cameras login CAMERA_ID --camera-user NAME [--json] --user ADMIN

The camera's password comes from ``C4DESK_CAMERA_PASSWORD`` or is typed twice at a prompt (never an argument: a
command line is visible to every user of the machine and lands in shell histories). It goes to the keyring (or the
owner-only DATA_DIR/secrets fallback) under the camera's ``credential_ref``, which the wall's players and the PTZ
client use when they connect; an administrator (EDIT_CAMERAS) does it, audited without the password
(``hub.camera_logins``). ``--user`` is the administrator acting, as for every command that changes the site.
``--json`` prints ``{"camera_id", "credential_ref", "user", "credential_ref_created"}``.
"""

from __future__ import annotations

import argparse

from c4desk.cli import Subcommands, UserError, print_json
from c4desk.cli.auth import add_actor_options, cli_actor, read_new_password
from c4desk.cli.core import open_services
from c4desk.config import Paths, Settings

CAMERA_PASSWORD_ENV = "C4DESK_CAMERA_PASSWORD"


def register(cli: Subcommands) -> None:
    login = cli.sub("cameras", "login", "store a camera's login (user and password) in the keyring",
                    cmd_cameras_login)
    login.add_argument("camera_id")
    login.add_argument("--camera-user", required=True, metavar="NAME", help="the user the camera knows")
    login.add_argument("--json", action="store_true")
    add_actor_options(login)  # a camera edit: an administrator (EDIT_CAMERAS), audited


def cmd_cameras_login(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.domain.errors import ValidationError
    from c4desk.domain.permissions import PermissionDenied
    from c4desk.hub.camera_logins import set_camera_login

    services = open_services(args, paths, settings)
    try:
        actor = cli_actor(args, services)
        password = read_new_password(f"Password of {args.camera_user} on camera {args.camera_id}: ",
                                     CAMERA_PASSWORD_ENV)
        stored = set_camera_login(services.db, services.cameras, actor, paths.data_dir, args.camera_id,
                                  args.camera_user, password)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"the camera's login could not be stored: {exc}") from exc
    finally:
        services.close()
    if args.json:
        print_json(stored.as_dict())
    else:
        print(f"login for camera {stored.camera_id} stored as {stored.credential_ref!r} (user {stored.user})"
              + (f"; the camera's credential_ref is now {stored.credential_ref!r}" if stored.ref_created else ""))
    return 0
