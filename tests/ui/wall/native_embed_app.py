"""A tiny xcb app for the Xvfb test: one wall tile whose libvlc player draws into a native window.

    DISPLAY=:N python -m tests.ui.wall.native_embed_app URL

Shows a VideoView with native windows switched on (libvlc backend), waits for it to be live, grabs the
screen where the video surface is (from the root window, i.e. what is really on the X screen) and prints one
JSON line: the tile's status and reason, whether libvlc drew into a native window, the grab's mean luma,
its share of near-black pixels and the demo camera its identity band matches.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication

from c4desk.config import VideoSettings
from c4desk.demo import render
from c4desk.domain.camera import Camera
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.video_view import HEADER_H, VideoView

WIDTH, VIDEO_H = 480, 270  # a 16:9 surface, so libvlc's picture fills it exactly


def main(url: str, timeout_s: float = 15.0) -> int:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QApplication(sys.argv[:1])
    tile = VideoView(PlayerSource(VideoSettings(backend="vlc", native_windows=True)))
    tile.setWindowTitle("native embed")
    tile.setGeometry(40, 40, WIDTH, VIDEO_H + HEADER_H)
    tile.show()
    tile.set_camera(Camera(id="cam02", name="High & Elm EB", lat=41.76, lon=-72.67, stream_main=url))
    result: dict[str, object] = {}
    start = time.monotonic()
    live_since: list[float] = []

    def check() -> None:
        now = time.monotonic()
        if tile.status == "live" and not live_since:
            live_since.append(now)
        if live_since and now - live_since[0] > 1.5:  # a few pictures drawn by libvlc
            surface = tile._surface
            origin = surface.mapToGlobal(QPoint(0, 0)) if surface is not None else tile.mapToGlobal(QPoint(0, 0))
            shot = app.primaryScreen().grabWindow(0, origin.x(), origin.y(), WIDTH, VIDEO_H).toImage()
            from tests.ui.wall.conftest import image_rgb, mean_luma

            rgb = image_rgb(shot)
            luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
            result.update(native=bool(tile._feed and tile._feed.native), luma=mean_luma(rgb),
                          black=float((luma < 16).mean()), camera=render.identify_camera(rgb),
                          size=[shot.width(), shot.height()])
            app.quit()
        elif now - start > timeout_s:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(50)
    app.exec()
    result.update(status=tile.status, reason=tile.reason)
    tile.close_player()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
