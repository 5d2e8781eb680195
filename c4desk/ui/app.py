"""Starting the Qt side: the application object, theme, Ctrl+C handling, the main window, screenshots."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from c4desk.config import Paths, Settings
from c4desk.domain.permissions import Actor
from c4desk.hub.services import Services
from c4desk.ui.gc_guard import GuiThreadGarbageCollector
from c4desk.ui.login import login
from c4desk.ui.main_window import MainWindow
from c4desk.ui.map import register_map_scheme
from c4desk.ui.theme import apply_dark_theme
from c4desk.ui.wall.players import PlayerSource

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The process's QApplication, created once with the dark theme."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    register_map_scheme()  # custom URL schemes must be registered before the QApplication exists
    app = QApplication(sys.argv[:1])
    app.setApplicationName("c4desk")
    app.setOrganizationName("c4desk")
    apply_dark_theme(app)
    GuiThreadGarbageCollector(app)
    return app


def build_main_window(services: Services, settings: Settings, paths: Paths, user: Actor | str,
                      banner: str = "") -> MainWindow:
    """The main window for a logged-in ``user`` (a bare name, for tests and benches, acts as an analyst)."""
    ui_state = QSettings(str(paths.ui_state_file), QSettings.Format.IniFormat)
    return MainWindow(services, PlayerSource(settings.video, data_dir=paths.data_dir), ui_state, user, banner,
                      streets_geojson=load_streets(paths),
                      data_dir=paths.data_dir, alert_settings=settings.alerts,
                      owner_lookup_url=settings.lpr.owner_lookup_url, playback_settings=settings.playback,
                      evidence_settings=settings.evidence)


def load_streets(paths: Paths) -> dict[str, object] | None:
    """The site's street GeoJSON (the map's offline basemap), if the site has one; a broken file is the map's
    problem to report, so it is passed on as text-free ``None`` only when missing."""
    if not paths.streets_file.exists():
        return None
    try:
        data = json.loads(paths.streets_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("site streets %s unreadable: %s", paths.streets_file, exc)
        return None
    return data if isinstance(data, dict) else None


def save_screenshot(window: QWidget, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write screenshot {path}")


def run_workstation(services: Services, settings: Settings, paths: Paths, *, actor: Actor | None = None,
                    banner: str = "", login_banner: str = "", screenshot: Path | None = None, after_s: float = 0.0,
                    on_window: Callable[[MainWindow], None] | None = None) -> int:
    """Log someone in (unless ``actor`` already is), open the main window and run the event loop.

    File > Switch user closes the window, shows the login again and opens a fresh window for the next person,
    so nothing of the previous user's session (role, open views) carries over. With ``screenshot``, save a
    PNG after ``after_s`` and exit.
    """
    app = application()
    if actor is None:
        actor = login(services.users, login_banner)
        if actor is None:
            return 0
    while True:
        window = build_main_window(services, settings, paths, actor, banner)
        code = _run_window(app, window, screenshot=screenshot, after_s=after_s, on_window=on_window)
        switch = window_switch_requested.pop(id(window), False)
        services.users.logoff(actor)
        if not switch or screenshot is not None:
            return code
        next_actor = login(services.users, login_banner)
        if next_actor is None:
            return code
        actor = next_actor


# MainWindow deletes itself on close, so File > Switch user is noted here, keyed by the window's id.
window_switch_requested: dict[int, bool] = {}


def _run_window(app: QApplication, window: MainWindow, *, screenshot: Path | None, after_s: float,
                on_window: Callable[[MainWindow], None] | None) -> int:
    # Deleted on close, so its map page goes before QtWebEngine's shared profile does at exit.
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    key = id(window)
    if on_window is not None:
        on_window(window)
    window.show()
    # Ctrl+C in the terminal closes the window cleanly (Python only sees signals between Qt events).
    signal.signal(signal.SIGINT, lambda *_: window.close())
    signal.signal(signal.SIGTERM, lambda *_: window.close())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)
    status = {"code": 0}
    if screenshot is not None:
        def shoot() -> None:
            try:
                save_screenshot(window, screenshot)
                log.info("screenshot saved to %s", screenshot)
            except OSError as exc:
                log.error("%s", exc)
                status["code"] = 1
            window.close()
        QTimer.singleShot(int(after_s * 1000), shoot)

    window.switch_user_action.triggered.connect(lambda: window_switch_requested.__setitem__(key, True))
    window.destroyed.connect(app.quit)
    app.setQuitOnLastWindowClosed(False)  # the login between two windows must not end the application
    app.exec()
    heartbeat.stop()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return status["code"]
