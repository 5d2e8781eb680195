"""What each subcommand does. Kept apart from argument parsing so ``c4desk --help`` never loads Qt."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import logging
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from c4desk.cli import Subcommands, UserError, add_screenshot_options, print_json
from c4desk.cli.auth import add_actor_options, cli_actor
from c4desk.config import Paths, Settings
from c4desk.hub.services import Services

if TYPE_CHECKING:
    from c4desk.demo.run import DemoCity
    from c4desk.hub.recording import RecorderSupervisor
    from c4desk.hub.runtime import Hub
from c4desk.store.db import sqlite_url
from c4desk.store.users import DEMO_PASSWORD, DEMO_USERS, seed_demo_users

DEMO_FIRST_USER = "analyst"
DEMO_BANNER = (f"Demo city only: users {', '.join(name for name, _ in DEMO_USERS)}, all with password "
               f"'{DEMO_PASSWORD}'. The demo starts logged in as analyst; a real site never has these accounts.")

log = logging.getLogger("c4desk")


def database_url(args: argparse.Namespace, paths: Paths) -> str:
    return str(args.db) if args.db else sqlite_url(paths.database)


def recordings_root(paths: Paths, settings: Settings | None = None) -> Path:
    """Where recorded segments live: settings ``recording.directory``, else DATA_DIR/recordings."""
    directory = settings.recording.directory.strip() if settings is not None else ""
    return Path(directory).expanduser() if directory else paths.recordings_dir


def open_services(args: argparse.Namespace, paths: Paths, settings: Settings | None = None) -> Services:
    services = Services.open(database_url(args, paths), recordings_root=recordings_root(paths, settings))
    if services.backup is not None:
        print(f"c4desk: database copied to {services.backup} before upgrading", file=sys.stderr)
    return services


def register(cli: Subcommands) -> None:
    demo = cli.command("demo", "build (first run) and run the demo city, then open the workstation", cmd_demo)
    add_screenshot_options(demo)
    demo.add_argument("--no-window", action="store_true", help="run the demo's servers and scenario headless")
    demo.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                      help="with --no-window: stop after SECONDS (default: until Ctrl+C)")
    demo.add_argument("--clip-seconds", type=float, default=None, help=argparse.SUPPRESS)
    demo.add_argument("--cameras", default=None, help=argparse.SUPPRESS)  # tests: render only these ids

    hub = cli.command("hub", "run the hub headless: the ingest endpoint over this database", cmd_hub)
    hub.add_argument("--listen", metavar="HOST:PORT", help="address to listen on (default: settings hub.listen)")
    hub.add_argument("--duration", type=float, default=None, help=argparse.SUPPRESS)

    imp = cli.sub("site", "import", "import cameras from CSV or GeoJSON (updates by id)", cmd_site_import,
                  "site administration")
    imp.add_argument("file", type=Path)
    imp.add_argument("--skip-bad", action="store_true", help="import the good rows of a file with bad rows")
    imp.add_argument("--json", action="store_true")
    add_actor_options(imp)  # a camera edit: an administrator (EDIT_CAMERAS), audited
    cli.sub("cameras", "list", "list cameras", cmd_cameras_list, "camera queries").add_argument(
        "--json", action="store_true")
    cli.sub("db", "upgrade", "apply migrations (a SQLite file is copied aside first)", cmd_db_upgrade,
            "database maintenance")
    recent = cli.sub("alerts", "list", "recent alerts, newest first", cmd_alerts_list)
    recent.add_argument("--limit", type=int, default=50)
    recent.add_argument("--json", action="store_true")


def start_embedded_hub(services: Services, settings: Settings, paths: Paths) -> Hub | None:
    """One-seat mode: the hub's ingest endpoint runs inside the workstation. A busy port (another seat or a
    headless hub on this machine) is not fatal: the workstation still shows what the store receives."""
    from c4desk.hub.runtime import Hub

    try:
        hub = Hub(services, settings, paths)
        hub.start()
    except (OSError, ValueError) as exc:
        print(f"c4desk: hub ingest not started on {settings.hub.listen}: {exc}", file=sys.stderr)
        return None
    return hub


def start_recorder(services: Services, settings: Settings,
                   data_dir: Path | None = None) -> RecorderSupervisor | None:
    """The recorder for the cameras marked for recording, when ``recording.enabled`` (see hub/recording.py)."""
    if not settings.recording.enabled:
        return None
    from c4desk.hub.recording import RecorderSupervisor

    return RecorderSupervisor(services.recordings, services.cameras, settings.recording, bus=services.bus,
                              data_dir=data_dir).start()


def cmd_workstation(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.ui.app import run_workstation

    services = open_services(args, paths, settings)
    hub = start_embedded_hub(services, settings, paths)
    # One seat records in-process; seats sharing PostgreSQL leave recording to the one `c4desk hub`.
    recorder = (start_recorder(services, settings, paths.data_dir) if hub is not None and services.db.is_sqlite
                else None)
    try:
        return run_workstation(services, settings, paths, screenshot=args.screenshot, after_s=args.after)
    finally:
        if recorder is not None:
            recorder.stop()
        if hub is not None:
            hub.stop()
        services.close()


def cmd_demo(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.demo.run import DemoCity, DemoOptions

    options = DemoOptions(rtsp_port=settings.demo.rtsp_port)
    if args.clip_seconds:
        options.clip_seconds = args.clip_seconds
    if args.cameras:
        options.camera_ids = tuple(c.strip() for c in args.cameras.split(",") if c.strip())
    if settings.recording.enabled:
        options.recording = settings.recording  # the demo records every camera from the start
    services = open_services(args, paths, settings)
    if seed_demo_users(services.db):
        print(f"c4desk: demo users {', '.join(name for name, _ in DEMO_USERS)} created (password "
              f"{DEMO_PASSWORD!r}, demo only)", file=sys.stderr)
    hub = start_embedded_hub(services, settings, paths)
    demo = DemoCity(services, paths, options, hub=hub)
    # Without a window the demo is a server: Ctrl+C and SIGTERM stop it cleanly (the window handles its own closing).
    with stop_on_signals() if args.no_window else contextlib.nullcontext():
        try:
            return _run_demo(args, services, settings, paths, demo)
        except StopRequested as stop:
            return stop.exit_code
        finally:
            with stacks_if_stuck("the demo city"):
                demo.stop()
                if hub is not None:
                    hub.stop()
                services.close()


def _run_demo(args: argparse.Namespace, services: Services, settings: Settings, paths: Paths,
              demo: DemoCity) -> int:
    demo.start(progress=_print_progress)
    if demo.owner_service is not None and not settings.lpr.owner_lookup_url:
        settings.lpr.owner_lookup_url = demo.owner_service.url  # this run only; not saved
    print(f"c4desk: demo city running ({len(demo.placements())} cameras); Ctrl+C stops it", file=sys.stderr)
    if args.no_window:
        deadline = time.monotonic() + args.duration if args.duration else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
        return 0
    from c4desk.ui.app import run_workstation

    # The story starts logged in as the demo analyst; File > Switch user brings the login (supervisor...).
    actor = services.users.authenticate(DEMO_FIRST_USER, DEMO_PASSWORD)
    return run_workstation(services, settings, paths, actor=actor, banner="demo city", login_banner=DEMO_BANNER,
                           screenshot=args.screenshot, after_s=args.after,
                           on_window=lambda w: _prepare_demo_window(w, services))


def cmd_hub(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.hub.runtime import Hub

    services = open_services(args, paths, settings)
    try:
        hub = Hub(services, settings, paths, listen=args.listen)
    except ValueError as exc:
        services.close()
        raise UserError(str(exc)) from exc
    hub.start()
    recorder = start_recorder(services, settings, paths.data_dir)
    print(f"c4desk hub listening on {hub.base_url} (bearer token from the keyring entry "
          f"'c4desk/hub-token', or {paths.data_dir / 'secrets' / 'hub-token'}); Ctrl+C stops it", file=sys.stderr)
    try:
        with stop_on_signals():
            deadline = time.monotonic() + args.duration if args.duration else None
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
    except StopRequested as stop:
        return stop.exit_code
    finally:
        with stacks_if_stuck("the hub"):
            if recorder is not None:
                recorder.stop()
            hub.stop()
            services.close()
    return 0


class StopRequested(Exception):
    """SIGINT (Ctrl+C) or SIGTERM (``kill``, systemd) asked a server command to stop (see ``stop_on_signals``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # as a shell reports a process ended by that signal (130, 143)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within this block SIGINT and SIGTERM raise StopRequested, so a server command's ``finally`` stops its
    servers, recorders and threads (the demo's RTSP server runs in its own process group and would outlive a
    killed parent). Installed whatever the disposition inherited: a shell starts background jobs with SIGINT
    ignored, and a service manager stops with SIGTERM, which Python would otherwise not turn into a clean stop.
    A second signal while stopping gets the default action (Ctrl+C again: KeyboardInterrupt; SIGTERM: killed)."""

    def request_stop(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise StopRequested(signum)

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# Stopping waits on bounded joins (recorders 10 s each, the retention sweep 30 s): well past that, something hangs.
STUCK_AFTER_S = 45.0


@contextlib.contextmanager
def stacks_if_stuck(what: str, after_s: float = STUCK_AFTER_S) -> Iterator[None]:
    """Stop ``what`` with a watchdog: should stopping take longer than ``after_s`` (a thread that will not end), every
    thread's stack is printed to stderr once, so the person who pressed Ctrl+C (or a test) sees where it hangs."""
    try:
        print(f"c4desk: stopping {what}", file=sys.stderr, flush=True)
        faulthandler.dump_traceback_later(after_s, exit=False, file=sys.stderr)
        armed = True
    except (ValueError, OSError, AttributeError):  # stderr is not a real file (captured): no watchdog then
        armed = False
    try:
        yield
    finally:
        if armed:
            faulthandler.cancel_dump_traceback_later()


def _prepare_demo_window(window: object, services: Services) -> None:
    """The demo opens on moving video (its saved, shared start view: four cameras along the getaway route), and
    the radar report is set to the date the demo's strobes went up."""
    from datetime import UTC, datetime

    from c4desk.demo.history import radar_change_at
    from c4desk.demo.run import DEMO_VIEW_OWNER, START_VIEW
    from c4desk.store.views import ViewRepository
    from c4desk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.analytics.radar.set_change_date(radar_change_at(datetime.now(UTC)).date())
    view = ViewRepository(services.db).find(DEMO_VIEW_OWNER, START_VIEW)
    if view is not None:
        window.wall.load_view(view)
        return
    for camera in [c for c in services.cameras.list() if c.kind.value == "fixed"][:4]:
        window.open_camera(camera)


def _print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done in (0, total):
        print(f"\rc4desk: rendering demo clips {done}/{total}", end="\n" if done == total else "", file=sys.stderr,
              flush=True)


def cmd_site_import(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.domain.errors import ValidationError
    from c4desk.domain.permissions import PermissionDenied
    from c4desk.integrations.site_files import read_site_file

    try:
        site = read_site_file(args.file)
    except OSError as exc:
        raise UserError(f"{args.file}: {exc.strerror or exc}") from exc
    for error in site.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if site.errors and not args.skip_bad:
        print(f"c4desk: nothing imported: {len(site.errors)} error(s); fix them or use --skip-bad", file=sys.stderr)
        return 2
    services = open_services(args, paths)
    try:
        actor = cli_actor(args, services)
        created, updated = services.cameras.import_cameras(site.cameras, actor=actor, source=args.file.name)
    except (ValidationError, PermissionDenied) as exc:
        raise UserError(str(exc)) from exc
    finally:
        services.close()
    bad_rows = len({e.line for e in site.errors})
    summary = {"created": created, "updated": updated, "skipped_rows": bad_rows}
    if args.json:
        print_json(summary)
    else:
        print(f"imported {created + updated} camera(s): {created} new, {updated} updated"
              + (f", {bad_rows} bad row(s) skipped" if bad_rows else ""))
    return 0


def cmd_cameras_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    services = open_services(args, paths)
    try:
        cameras = services.cameras.list()
    finally:
        services.close()
    if args.json:
        print_json([c.as_dict() for c in cameras])
    else:
        for c in cameras:
            print(f"{c.id:<10} {c.kind.value:<8} {c.lat:>10.6f} {c.lon:>11.6f}  {c.name}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.store.migrate import current_revision, upgrade

    url = database_url(args, paths)
    before = current_revision(url)
    backup = upgrade(url)
    after = current_revision(url)
    if backup is not None:
        print(f"backup: {backup}")
    print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    return 0


def cmd_alerts_list(args: argparse.Namespace, paths: Paths, settings: Settings) -> int:
    from c4desk.integrations.gunshot import alert_as_json

    services = open_services(args, paths)
    try:
        alerts = services.alerts.recent(args.limit)
    finally:
        services.close()
    rows = [alert_as_json(a) for a in alerts]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['detected_at']}  P{r['priority']}  {r['type']:<18} {r['address']}  [{r['status']}]")
    return 0
