"""Make the README's screenshots from a real run of the demo city (offscreen; nothing is mocked).

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox \
        .venv/bin/python docs/screenshots.py --data-dir /tmp/c4desk-shots --out docs

It starts the demo like ``c4desk demo``, waits for the scripted shot, then does what an analyst would: plays the
alert back from 30 s before it with its response cameras and the hop arrows on the first tile, tags a clip (T),
opens a new case from the session (Ctrl+N: the alert and the clip already in it) and files it (Enter), and shows the
analytics. Each step is saved as a PNG of the main window (the new-case dialog: of the dialog).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from c4desk.cli.core import _prepare_demo_window, open_services, start_embedded_hub
from c4desk.config import Paths, load_settings
from c4desk.demo.run import DemoCity, DemoOptions
from c4desk.domain.alerts import Alert
from c4desk.store.users import DEMO_PASSWORD, seed_demo_users
from c4desk.ui.app import run_workstation, save_screenshot
from c4desk.ui.cases.new_case_dialog import NewCaseDialog
from c4desk.ui.main_window import MainWindow

SHOT_AFTER_S = 52.0  # the scripted gunshot alert arrives about 40 s after the demo starts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    paths = Paths(args.data_dir.resolve()).ensure()
    settings = load_settings(paths)
    args.db = None
    services = open_services(args, paths, settings)
    seed_demo_users(services.db)
    hub = start_embedded_hub(services, settings, paths)
    options = DemoOptions(rtsp_port=0)
    options.recording = settings.recording
    demo = DemoCity(services, paths, options, hub=hub)
    try:
        demo.start()
        if demo.owner_service is not None:
            settings.lpr.owner_lookup_url = demo.owner_service.url
        actor = services.users.authenticate("analyst", DEMO_PASSWORD)

        def on_window(window: MainWindow) -> None:
            _prepare_demo_window(window, services)
            steps: list[tuple[float, Callable[[], object]]] = [
                (SHOT_AFTER_S, lambda: play_back_the_shot(window)),
                (SHOT_AFTER_S + 6, lambda: shoot(window, args.out / "screenshot-playback.png")),
                (SHOT_AFTER_S + 7, lambda: window.on_clip_request(window.grid.selected_tile, "tag")),
                (SHOT_AFTER_S + 9, lambda: new_case_from_the_session(window)),
                (SHOT_AFTER_S + 11, lambda: shoot(case_dialog(window), args.out / "screenshot-intake.png")),
                (SHOT_AFTER_S + 12, lambda: case_dialog(window).on_save()),
                (SHOT_AFTER_S + 15, lambda: shoot(window, args.out / "screenshot-case.png")),
                (SHOT_AFTER_S + 16, lambda: show_analytics(window)),
                (SHOT_AFTER_S + 22, lambda: shoot(window, args.out / "screenshot-analytics.png")),
                (SHOT_AFTER_S + 23, window.close),
            ]
            for at_s, step in steps:
                QTimer.singleShot(int(at_s * 1000), window, step)

        return run_workstation(services, settings, paths, actor=actor, banner="demo city", on_window=on_window)
    finally:
        demo.stop()
        if hub is not None:
            hub.stop()
        services.close()


def gunshot(window: MainWindow) -> Alert:
    alerts = [a for a in window.services.alerts.recent(20) if not a.id.startswith("DEMOH-") and "gun" in a.type]
    if not alerts:
        sys.exit("no gunshot alert arrived: is the demo's scenario running?")
    return alerts[0]


def play_back_the_shot(window: MainWindow) -> None:
    window.alert_queue.select_alert(gunshot(window).id)
    window.response.play_back_selected()
    window.timeline_dock.show()
    QTest.mouseClick(window.grid.tiles[0], Qt.MouseButton.LeftButton)  # select it as the analyst would


def new_case_from_the_session(window: MainWindow) -> None:
    """Ctrl+N as the analyst presses it: the dialog gathers the alert played back and the clip just tagged."""
    window.timeline_dock.hide()
    window.new_case_action.trigger()


def case_dialog(window: MainWindow) -> NewCaseDialog:
    dialog = window.case_panel.dialog
    if dialog is None:
        sys.exit("the new case dialog did not open")
    return dialog


def show_analytics(window: MainWindow) -> None:
    window.cases_dock.hide()
    window.analytics_dock.show()
    window.analytics_dock.raise_()
    window.analytics.setCurrentWidget(window.analytics.dashboard)


def shoot(window: QWidget, path: Path) -> None:
    save_screenshot(window, path)
    print(f"saved {path}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
