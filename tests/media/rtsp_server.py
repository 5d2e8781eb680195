"""A real RTSP server for the tests: gst-rtsp-server from Debian, serving an MP4's H.264 without re-encoding.

Run with Debian's /usr/bin/python3 (python3-gi is not in the venv): `rtsp_server.py CLIP.mp4`. It listens on
127.0.0.1 at a free port, prints `READY <port>` when it accepts clients, and serves rtsp://127.0.0.1:<port>/cam
until killed. Each client gets the clip from its start (the clip is short; no looping needed here).
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    Gst.init(None)
    clip = sys.argv[1]
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")  # any free port
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )')
    factory.set_shared(False)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
