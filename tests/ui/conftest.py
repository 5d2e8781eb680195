"""Fixtures for GUI tests: a real demo RTSP server with short rendered clips, and services on a temp DB."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from c4desk.demo import city, render
from c4desk.demo.servers import SupervisedRtspServer
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.ui.map import register_map_scheme

# Custom URL schemes must be registered before pytest-qt creates the QApplication (collection comes first).
register_map_scheme()

GUI_CAMERAS = ("cam01", "cam02", "cam03", "lpr01")
CLIP_SECONDS = 6.0


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Free each test's widgets here, on the GUI thread: top-level windows are deleted (not just closed), so no
    QtWebEngine page outlives the shared profile at exit (which crashes the interpreter), and widget cycles are
    collected now rather than later on some worker thread (see c4desk/ui/gc_guard.py)."""
    gc.disable()
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        for widget in app.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    gc.collect()
    gc.enable()


@pytest.fixture(scope="session")
def demo_clips(media_cache: Path) -> dict[str, Path]:
    placements = [p for p in city.PLACEMENTS if p.id in GUI_CAMERAS]
    return render.render_all(media_cache, placements=placements, seconds=CLIP_SECONDS)


@pytest.fixture(scope="session")
def demo_server(demo_clips: dict[str, Path]) -> Iterator[SupervisedRtspServer]:
    # Supervised: one gst-rtsp-server abort (see SupervisedRtspServer) must not fail every later test sharing it.
    server = SupervisedRtspServer(demo_clips, port=0, epoch=float(int(time.time())), period=CLIP_SECONDS).start()
    yield server
    server.stop()


@pytest.fixture
def services(data_dir: Path) -> Iterator[Services]:
    s = Services.open(sqlite_url(data_dir / "c4desk.sqlite"))
    yield s
    s.close()


@pytest.fixture
def demo_site(services: Services, demo_server: SupervisedRtspServer) -> list[str]:
    """The GUI cameras imported with URLs on the running demo server."""
    base = f"rtsp://{demo_server.bind}:{demo_server.port}"
    cameras = [c for c in city.demo_cameras(rtsp_base=base) if c.id in GUI_CAMERAS]
    services.cameras.upsert_many(cameras)
    return [c.id for c in cameras]
