#!/usr/bin/python3
"""A real RTSP server for the demo city and the tests: gst-rtsp-server looping pre-rendered H.264 clips.

Run with Debian's /usr/bin/python3, which has gi (PyGObject) and GStreamer; the project's virtualenv does not.
That is why this file imports nothing but the standard library and gi: it is a standalone script, started and
stopped by ``c4desk.demo.servers.RtspServer``.

    /usr/bin/python3 gst_rtsp_server.py --port 0 [--http-port 0] [--control-port 0] --config cfg.json
    cfg.json: {"epoch": 1751600000.0, "period": 120.0, "mounts": {"cam01": "/abs/cam01.mp4", ...},
               "ptz": {"ptz01": {"path": "/abs/ptz01-panorama.mp4", "layout": {...}, "rect": [l, t, w, h]}},
               "auth": {"user": "root", "password": "...", "method": "digest"}}   (optional)

Serves rtsp://bind:port/<mount> and, with ``--http-port``, http://bind:httpport/<mount>.ts (MPEG-TS for libvlc,
whose Debian build has no RTSP client). Prints exactly one line once it listens: ``READY <port>``, then
`` http=<httpport>`` with HTTP on and `` control=<udpport>`` with PTZ mounts. Exits 0 on SIGTERM or SIGINT.

PTZ mounts (``ptz`` in the config) are the one place where the server encodes live. Their file is a wide
panorama (``c4desk/demo/ptz_scene.py`` makes it and describes its ``layout``); the stream is the rectangle of
it the camera looks at, scaled to the output size, with the camera's captions laid over it:

    ... h264parse ! avdec_h264 ! tee
        tee. ! videocrop name=view ! videoscale ! output size        -> compositor (bottom)
        tee. ! videocrop (header strip)                               -> compositor (top left)
        tee. ! videocrop (frame marker)                               -> compositor (bottom left)
    compositor ! x264enc tune=zerolatency speed-preset=ultrafast ! rtph264pay

The rectangle arrives over a loopback UDP socket (``--control-port``, one JSON datagram per change:
``{"mount": "ptz01", "rect": [left, top, width, height]}``) from whatever stands in for the camera's motors
(``c4desk/demo/ptz_video.py`` relays the VAPIX simulator's position, easing it like a real head moves). Each
datagram carries the whole position, so a lost one is healed by the next; the sender repeats it every second.
Only views (``videocrop name=view``) of running media change; a media started later begins at the last rect.

With ``auth`` in the config every mount needs that login, as a real camera does (Axis cameras ask for one by
default): RTSP through gst-rtsp-server's ``RTSPAuth`` (the challenge is ``method``: "digest", the default, or
"basic"; a client that sends either kind of credentials unasked is accepted), a client without the login or with a
wrong one gets ``401 Unauthorized``; HTTP MPEG-TS asks for HTTP Basic. The login is in the config file (a temporary
file only its owner reads), not on the command line, where every user of the machine could read it.

Why it is built this way (DESIGN.md, "Real components in tests and the demo"):

- Stream copy, no encoding: ``filesrc ! qtdemux ! h264parse ! rtph264pay``, one shared media per mount, so a
  camera costs about 1% of a core however many clients watch it.
- Gapless looping with continuous timestamps: when a media is prepared it gets one flushing SEGMENT seek; at the
  end of the clip the demuxer sends SEGMENT_DONE instead of EOS, a probe drops that event and schedules (on the
  GLib main loop, never inside the probe) a non-flushing SEGMENT seek back to 0. Running time, and with it the
  RTP timestamps, carries on across the seam. A flushing seek per loop would restart the RTP clock instead.
  qtdemux starts each new segment one frame early (at the last frame's timestamp); a pad offset of one frame per
  loop corrects that, else every loop would be a frame short and the cameras would drift off the wall clock.
- Phase lock to the wall clock: the first seek targets ``(now - epoch) % period``, not 0, so every camera shows
  the same loop time at the same moment whenever its media was started. It snaps to the next keyframe and delays
  the stream by the difference, so the stream opens on a keyframe with no burst of equal timestamps.
- Client seeks are refused: RTSP clients (FFmpeg, live555) send PLAY with ``Range: npt=0-``; honoured, that would
  rewind the shared media for every viewer and break the phase. The payloader answers SEEKING, DURATION and
  SEGMENT queries with "unknown", so gst-rtsp-server finds the media unseekable and advertises no end time.
- No orphans: the server polls its parent pid and exits when it changes (the parent died). PR_SET_PDEATHSIG is
  not used because it fires when the parent *thread* that forked exits, which kills a server started from a
  short-lived worker thread of a process that is still alive.
- HTTP MPEG-TS reuses the same looping on a plain pipeline per mount, ``... ! mpegtsmux ! multifdsink``, built
  on the first request and torn down after the last client leaves; a small threaded HTTP server sends the
  response headers and hands a duplicate of the socket to multifdsink.
- PTZ mounts decode, crop, scale and encode (ultrafast, zerolatency, single-threaded: x264's sliced threads
  gave FFmpeg's RTSP client corrupt pictures) only while someone watches: one shared media per mount.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PARENT_POLL_MS = 500


def log(msg: str) -> None:
    print(f"gst_rtsp_server[{os.getpid()}]: {msg}", file=sys.stderr, flush=True)


class Looper:
    """Gapless, phase-locked looping of one ``qtdemux ! h264parse`` chain (shared by the RTSP and HTTP paths).

    Seeks go straight to the demuxer's source pad: a seek sent to an RTSP media's pipeline while it is only
    prepared reaches no sink that forwards it, and would be silently lost.
    """

    def __init__(self, parse_sink: Gst.Pad, mount: str, epoch: float, period: float, *,
                 decoded: bool = False) -> None:
        self.parse_sink = parse_sink
        self.mount = mount
        # Decoded downstream (PTZ mounts): the decoder drops what precedes an accurate seek's position itself.
        self.decoded = decoded
        self.epoch = epoch
        self.period = period
        self.offset_ns = 0
        parse_sink.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_downstream_event)

    def _seek(self, flags: Gst.SeekFlags, position_s: float) -> bool:
        pad = self.parse_sink.get_peer()
        event = Gst.Event.new_seek(1.0, Gst.Format.TIME, flags | Gst.SeekFlags.SEGMENT, Gst.SeekType.SET,
                                   int(position_s * Gst.SECOND), Gst.SeekType.NONE, -1)
        return pad is not None and pad.send_event(event)

    def start(self) -> None:
        """Start the loop in phase with the wall clock: one flushing SEGMENT seek, to a keyframe.

        Seeking accurately to the phase position itself would send the frames between the keyframe before it and
        the position all stamped with running time 0 (a burst of identical timestamps). Instead the seek snaps to
        the next keyframe and the parser's input is delayed by the difference, so that keyframe goes out exactly
        when the wall clock reaches it. If no keyframe follows, the loop starts again at 0, after the rest of the
        period. The demuxer's output is blocked meanwhile so the delay is in place before any data moves on.
        """
        demux = self.parse_sink.get_peer()
        if demux is None:
            log(f"{self.mount}: demuxer not linked")
            return
        ok, duration = demux.query_duration(Gst.Format.TIME)
        span = duration / Gst.SECOND if ok and duration > 0 else self.period
        phase = (time.time() - self.epoch) % self.period % span
        if self.decoded:
            # Decoding from the keyframe before the phase and starting the output exactly at it: no delay to
            # wait out (with one, a compositor downstream fills the wait with black pictures).
            if not self._seek(Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE, phase):
                log(f"{self.mount}: initial seek to {phase:.3f}s failed")
            return
        block = demux.add_probe(Gst.PadProbeType.BLOCK_DOWNSTREAM, lambda *_: Gst.PadProbeReturn.OK)
        try:
            keyframe = self._seek_keyframe(demux, phase, Gst.SeekFlags.SNAP_AFTER)
            # qtdemux leaves the position unsnapped when no keyframe follows; unless the phase is exactly on a
            # keyframe (snapping backwards lands on it too), wrap around to the next loop's start.
            unsnapped = keyframe is not None and keyframe <= phase + 1e-6
            if unsnapped and self._seek_keyframe(demux, phase, Gst.SeekFlags.SNAP_BEFORE) != keyframe:
                keyframe = span if self._seek(Gst.SeekFlags.FLUSH, 0.0) else None
            if keyframe is None:
                log(f"{self.mount}: initial seek to {phase:.3f}s failed")
                return
            self.offset_ns = int((keyframe - phase) * Gst.SECOND)
            self.parse_sink.set_offset(self.offset_ns)
        finally:
            demux.remove_probe(block)

    def _seek_keyframe(self, demux: Gst.Pad, position_s: float, snap: Gst.SeekFlags) -> float | None:
        """Flushing seek to the keyframe on the ``snap`` side of a position; returns where the segment starts."""
        if not self._seek(Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT | snap, position_s):
            return None
        query = Gst.Query.new_segment(Gst.Format.TIME)
        if not demux.query(query):
            return None
        _rate, _fmt, start, _stop = query.parse_segment()
        return float(start / Gst.SECOND)

    def _on_downstream_event(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        event = info.get_event()
        if event is not None and event.type == Gst.EventType.SEGMENT_DONE:
            GLib.idle_add(self._loop)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def _frame_ns(self) -> int:
        caps = self.parse_sink.get_current_caps()
        ok, num, den = caps.get_structure(0).get_fraction("framerate") if caps else (False, 0, 1)
        return int(Gst.SECOND * den / num) if ok and num > 0 else 0

    def _loop(self) -> bool:
        # qtdemux starts the next segment's running time at the last frame's timestamp, not at its end, so the
        # first frame of a loop would share a timestamp with the last one and every loop would be one frame
        # short of the period (66 ms per loop at 15 fps: the cameras would drift off the wall clock). Shifting
        # the parser's input by one frame per loop restores continuous, exact timing.
        self.offset_ns += self._frame_ns()
        self.parse_sink.set_offset(self.offset_ns)
        if not self._seek(Gst.SeekFlags.NONE, 0.0):
            log(f"{self.mount}: loop seek failed")
        return False


def wait_for_segment(pad: Gst.Pad, mount: str, timeout_s: float = 5.0) -> bool:
    """Wait (blocking) until ``pad`` carries a SEGMENT event again, i.e. data flows after the Looper's seek.

    gst-rtsp-server emits "prepared" from ``gst_rtsp_media_prepare``, in the thread answering the client's
    DESCRIBE, and that client's PLAY asks the payloader's segment for its rates; the Looper's flushing seek has
    just removed it. Where the chain re-prerolls in a few microseconds (stream copy) PLAY nearly always comes
    later; where it decodes and encodes (PTZ mounts) it never did: ``gst_rtsp_media_get_rates: assertion
    failed``, and the server aborts. Holding the "prepared" handler until the segment is back closes the race.
    """
    deadline = time.monotonic() + timeout_s
    while pad.get_sticky_event(Gst.EventType.SEGMENT, 0) is None:
        if time.monotonic() > deadline:
            log(f"{mount}: no data {timeout_s:g}s after the loop's first seek")
            return False
        time.sleep(0.005)
    return True


# Queries answered "unknown" at the RTSP payloader so the media looks endless and unseekable to the server and
# its clients (SDP range "npt=0-", PLAY ranges ignored); the Looper's own seeks and queries bypass the payloader.
HIDDEN_QUERIES = (Gst.QueryType.SEEKING, Gst.QueryType.DURATION, Gst.QueryType.SEGMENT)


def _hide_query(pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
    # HANDLED without filling in the query leaves its defaults: not seekable, duration and segment unknown.
    # (Python's reference makes the query read-only, so it could not be filled in anyway.)
    query = info.get_query()
    if query is not None and query.type in HIDDEN_QUERIES:
        return Gst.PadProbeReturn.HANDLED
    return Gst.PadProbeReturn.OK


def looping_factory(mount: str, path: str, epoch: float, period: float) -> GstRtspServer.RTSPMediaFactory:
    """One shared media per mount; each new media gets a ``Looper``, started when the media is prepared."""
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{_quote(path)}" ! qtdemux ! h264parse name=parse'
        " ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.set_shared(True)
    alive: dict[int, Looper] = {}  # keeps each media's Looper (and its probes' callbacks) referenced

    def on_configure(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        element = media.get_element()
        looper = Looper(element.get_by_name("parse").get_static_pad("sink"), mount, epoch, period)
        element.get_by_name("pay0").get_static_pad("src").add_probe(Gst.PadProbeType.QUERY_UPSTREAM, _hide_query)
        key = id(media)
        alive[key] = looper
        media.connect("prepared", lambda *_: looper.start())
        media.connect("unprepared", lambda *_: alive.pop(key, None))

    factory.connect("media-configure", on_configure)
    return factory


def _quote(path: str) -> str:
    return path.replace("\\", "\\\\").replace('"', '\\"')


class TsMount:
    """HTTP MPEG-TS for one mount (libvlc on Debian cannot open rtsp://): one pipeline shared by its clients,
    built when the first client arrives and torn down when the last leaves, looped like the RTSP media."""

    def __init__(self, mount: str, path: str, epoch: float, period: float, ptz: PtzViews | None = None) -> None:
        self.mount, self.path, self.epoch, self.period = mount, path, epoch, period
        self.ptz = ptz  # a PTZ mount: cropped and encoded live like its RTSP media
        self.crop: Gst.Element | None = None
        self.pipeline: Gst.Pipeline | None = None
        self.sink: Gst.Element | None = None
        self.clients = 0

    def _build(self) -> None:
        source = (f'filesrc location="{_quote(self.path)}" ! qtdemux ! h264parse name=parse config-interval=-1'
                  if self.ptz is None else f"{ptz_chain(self.path, self.ptz.layouts[self.mount])}"
                  " ! h264parse config-interval=-1")
        self.pipeline = Gst.parse_launch(
            f"{source} ! mpegtsmux alignment=7 ! multifdsink name=sink sync=true buffers-max=3000"
            " recover-policy=keyframe"
        )
        if self.ptz is not None:
            self.crop = self.pipeline.get_by_name("view")
            self.ptz.attach(self.mount, self.crop)
        self.sink = self.pipeline.get_by_name("sink")
        self.sink.connect("client-fd-removed", self._on_removed)
        looper = Looper(self.pipeline.get_by_name("parse").get_static_pad("sink"), self.mount, self.epoch,
                        self.period, decoded=self.ptz is not None)
        self.pipeline.set_state(Gst.State.PAUSED)
        self.pipeline.get_state(5 * Gst.SECOND)
        looper.start()
        self.pipeline.get_state(5 * Gst.SECOND)
        self.pipeline.set_state(Gst.State.PLAYING)

    def add_client(self, fd: int) -> bool:
        """Main loop: hand a connected socket (HTTP headers already sent) to the pipeline's multifdsink."""
        if self.pipeline is None:
            self._build()
        self.clients += 1
        assert self.sink is not None
        self.sink.emit("add", fd)
        return False

    def _on_removed(self, sink: Gst.Element, fd: int) -> None:
        # Streaming thread: the sink no longer uses the fd and leaves closing it to us.
        os.close(fd)
        GLib.idle_add(self._client_gone)

    def _client_gone(self) -> bool:
        self.clients -= 1
        if self.clients <= 0 and self.pipeline is not None:
            if self.ptz is not None and self.crop is not None:
                self.ptz.detach(self.mount, self.crop)
            self.pipeline.set_state(Gst.State.NULL)
            self.pipeline = self.sink = self.crop = None
            self.clients = 0
        return False


class _TsRequestHandler(socketserver.StreamRequestHandler):
    """``GET /<mount>.ts``: answer the headers, then give a duplicate of the socket to the mount's pipeline."""

    server: _TsHttpServer

    def handle(self) -> None:
        self.request.settimeout(5)
        headers: dict[str, str] = {}
        try:
            request = self.rfile.readline(2048).decode("latin-1").split()
            while line := self.rfile.readline(2048).strip():
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
        except OSError:
            return
        mount = self.server.mounts.get(request[1].lstrip("/").removesuffix(".ts")) if len(request) > 1 else None
        if len(request) < 2 or request[0] not in ("GET", "HEAD") or mount is None:
            self.wfile.write(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if not self.server.authorized(headers):
            self.wfile.write(b"HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"" + REALM.encode()
                             + b"\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\nCache-Control: no-cache\r\n"
                         b"Connection: close\r\n\r\n")
        self.wfile.flush()
        if request[0] == "GET":
            self.request.settimeout(None)
            fd = os.dup(self.request.fileno())
            with self.server.lock:
                self.server.handed_off.add(self.request)
            GLib.idle_add(mount.add_client, fd)


class _TsHttpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], mounts: dict[str, TsMount],
                 login: tuple[str, str] | None = None) -> None:
        self.mounts = mounts
        # The Basic credentials a client must send (None: no login needed).
        self.expected = None if login is None else base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
        self.lock = threading.Lock()
        self.handed_off: set[socket.socket] = set()
        super().__init__(address, _TsRequestHandler)

    def authorized(self, headers: dict[str, str]) -> bool:
        if self.expected is None:
            return True
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "basic" and hmac.compare_digest(token.strip().encode(), self.expected.encode())

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        # The default shuts the connection down for writing, which would also cut off the pipeline's duplicate
        # of the socket; a handed-off connection is only closed here.
        with self.lock:
            handed = request in self.handed_off
            self.handed_off.discard(request)
        if handed:
            self.close_request(request)
        else:
            super().shutdown_request(request)


# --- PTZ mounts: a live crop of a panorama ---------------------------------------------------------------------
PTZ_KEYFRAME_FRAMES = 8  # about half a second at 15 fps: a viewer joining waits at most that for a picture
PTZ_BITRATE_KBPS = 900


class PtzViews:
    """The current rectangle of every PTZ mount, and the ``videocrop`` elements that show it."""

    def __init__(self, mounts: dict[str, dict[str, Any]]) -> None:
        self.layouts = {name: m["layout"] for name, m in mounts.items()}
        self.rects: dict[str, tuple[int, int, int, int]] = {
            name: self._clamp(name, m.get("rect") or [0, 0, m["layout"]["output"][0], m["layout"]["output"][1]])
            for name, m in mounts.items()}
        self.crops: dict[str, set[Gst.Element]] = {name: set() for name in mounts}

    def _clamp(self, mount: str, rect: list[int]) -> tuple[int, int, int, int]:
        layout = self.layouts[mount]
        left, top, width, height = (int(v) for v in rect)
        width = max(16, min(layout["width"], width))
        height = max(16, min(layout["scene_height"], height))
        left = max(0, min(layout["width"] - width, left))
        top = max(0, min(layout["scene_height"] - height, top))
        return left, top, width, height

    def _apply(self, mount: str, crop: Gst.Element) -> None:
        layout = self.layouts[mount]
        left, top, width, height = self.rects[mount]
        crop.set_property("left", left)
        crop.set_property("right", layout["width"] - left - width)
        crop.set_property("top", top)
        crop.set_property("bottom", layout["height"] - top - height)

    def attach(self, mount: str, crop: Gst.Element) -> None:
        self.crops[mount].add(crop)
        self._apply(mount, crop)

    def detach(self, mount: str, crop: Gst.Element) -> None:
        self.crops[mount].discard(crop)

    def move(self, mount: str, rect: list[int]) -> None:
        """Main loop: a new rectangle for a mount (clamped to its panorama), applied to every running view."""
        self.rects[mount] = self._clamp(mount, rect)
        for crop in list(self.crops[mount]):
            self._apply(mount, crop)

    def on_datagram(self, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
            mount, rect = message["mount"], message["rect"]
            if mount not in self.rects or not isinstance(rect, list) or len(rect) != 4:
                raise ValueError(f"unknown mount or bad rect in {message!r}")
            self.move(mount, [int(v) for v in rect])
        except (ValueError, KeyError, TypeError) as exc:
            log(f"control: ignored datagram ({exc})")


def ptz_chain(path: str, layout: dict[str, Any]) -> str:
    """The launch text from the file to H.264 for a PTZ mount (the payloader or muxer is appended)."""
    width, height = layout["width"], layout["height"]
    out_w, out_h = layout["output"]
    parts = [f'filesrc location="{_quote(path)}" ! qtdemux ! h264parse name=parse ! avdec_h264 ! tee name=t',
             "t. ! queue max-size-buffers=3 ! videocrop name=view ! videoscale"
             f" ! video/x-raw,width={out_w},height={out_h},pixel-aspect-ratio=1/1 ! comp.sink_0"]
    pads = ["sink_0::zorder=0"]
    for i, piece in enumerate(layout["overlays"], start=1):
        right = width - piece["sx"] - piece["w"]
        bottom = height - piece["sy"] - piece["h"]
        parts.append(f"t. ! queue max-size-buffers=3 ! videocrop left={piece['sx']} right={right}"
                     f" top={piece['sy']} bottom={bottom} ! comp.sink_{i}")
        pads.append(f"sink_{i}::zorder={i} sink_{i}::xpos={piece['dx']} sink_{i}::ypos={piece['dy']}")
    parts.append(f"compositor name=comp background=black {' '.join(pads)}"
                 f" ! video/x-raw,format=I420,width={out_w},height={out_h}"
                 f" ! x264enc tune=zerolatency speed-preset=ultrafast threads=1 bitrate={PTZ_BITRATE_KBPS}"
                 f" key-int-max={PTZ_KEYFRAME_FRAMES} ! video/x-h264,profile=constrained-baseline")
    return " ".join(parts)


def ptz_factory(mount: str, path: str, epoch: float, period: float,
                views: PtzViews) -> GstRtspServer.RTSPMediaFactory:
    """A shared, looping, live-cropped media for one PTZ mount."""
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {ptz_chain(path, views.layouts[mount])} ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
    factory.set_shared(True)
    alive: dict[int, tuple[Looper, Gst.Element]] = {}

    def on_configure(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        element = media.get_element()
        looper = Looper(element.get_by_name("parse").get_static_pad("sink"), mount, epoch, period, decoded=True)
        element.get_by_name("pay0").get_static_pad("src").add_probe(Gst.PadProbeType.QUERY_UPSTREAM, _hide_query)
        crop = element.get_by_name("view")
        views.attach(mount, crop)
        key = id(media)
        alive[key] = (looper, crop)

        def gone(*_: object) -> None:
            entry = alive.pop(key, None)
            if entry is not None:
                views.detach(mount, entry[1])

        pay_src = element.get_by_name("pay0").get_static_pad("src")

        def prepared(*_: object) -> None:
            looper.start()
            wait_for_segment(pay_src, mount)

        media.connect("prepared", prepared)
        media.connect("unprepared", gone)

    factory.connect("media-configure", on_configure)
    return factory


def open_control(bind: str, port: int, views: PtzViews) -> socket.socket:
    """The UDP socket PTZ positions arrive on, read on the GLib main loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, port))
    sock.setblocking(False)

    def readable(*_: object) -> bool:
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return True
            except OSError as exc:
                log(f"control socket: {exc}")
                return False
            views.on_datagram(data)

    GLib.io_add_watch(sock.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN, readable)
    return sock


REALM = "c4desk demo camera"
VIEWER_ROLE = "viewer"
AUTH_METHODS = {"digest": GstRtsp.RTSPAuthMethod.DIGEST, "basic": GstRtsp.RTSPAuthMethod.BASIC}


def parse_login(config: dict[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """The login every mount needs (None: none) and the RTSP challenge method, from the config's ``auth``."""
    auth = config.get("auth")
    if not auth:
        return None, "digest"
    user, password, method = str(auth.get("user", "")), str(auth.get("password", "")), auth.get("method", "digest")
    if not user or not password or ":" in user:
        raise ValueError("auth needs a user (without ':') and a password")
    if method not in AUTH_METHODS:
        raise ValueError(f"auth method {method!r} is not one of {', '.join(AUTH_METHODS)}")
    return (user, password), method


def rtsp_auth(login: tuple[str, str], method: str) -> GstRtspServer.RTSPAuth:
    """An ``RTSPAuth`` that knows one user, by Basic and by Digest, and gives them the viewer role; the challenge
    a client without credentials gets names ``method`` (gst's Python binding takes one method, not a mask)."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, VIEWER_ROLE)
    user, password = login
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    auth.add_digest(user, password, token)
    auth.set_supported_methods(AUTH_METHODS[method])
    auth.set_realm(REALM)
    return auth


def viewer_only(factory: GstRtspServer.RTSPMediaFactory) -> GstRtspServer.RTSPMediaFactory:
    """Let only the viewer role see and start the factory's media: anyone else (no token) is answered 401."""
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(VIEWER_ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role(VIEWER_ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)
    return factory


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0, help="TCP port for RTSP; 0 picks a free one")
    ap.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--config", required=True, help="JSON file: epoch, period, mounts {name: mp4 path}")
    ap.add_argument("--http-port", type=int, default=-1,
                    help="also serve http://bind:PORT/<mount>.ts (MPEG-TS); 0 picks a free port, -1 (default) off")
    ap.add_argument("--control-port", type=int, default=0,
                    help="UDP port (on --bind) for PTZ positions when there are PTZ mounts; 0 picks a free one")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.config, encoding="utf-8") as fh:
        config = json.load(fh)
    epoch = float(config.get("epoch", time.time()))
    period = float(config["period"])
    mounts: dict[str, str] = config["mounts"]
    ptz_mounts: dict[str, dict[str, Any]] = config.get("ptz", {})
    try:
        login, auth_method = parse_login(config)
    except ValueError as exc:
        log(f"config: {exc}")
        return 2
    for name, path in [*mounts.items(), *((n, m["path"]) for n, m in ptz_mounts.items())]:
        if not os.path.isfile(path):
            log(f"mount {name}: no such file {path}")
            return 2

    Gst.init(None)
    parent = os.getppid()
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address(args.bind)
    server.set_service(str(args.port))
    table = server.get_mount_points()
    factories = {name: looping_factory(name, path, epoch, period) for name, path in mounts.items()}
    views = PtzViews(ptz_mounts)
    factories.update({name: ptz_factory(name, m["path"], epoch, period, views) for name, m in ptz_mounts.items()})
    if login is not None:
        server.set_auth(rtsp_auth(login, auth_method))
    for name, factory in factories.items():
        table.add_factory(f"/{name}", factory if login is None else viewer_only(factory))
    control = open_control(args.bind, args.control_port, views) if ptz_mounts else None
    if server.attach(None) == 0:
        log(f"cannot listen on {args.bind}:{args.port}")
        return 1
    http: _TsHttpServer | None = None
    if args.http_port >= 0:
        ts_mounts = {name: TsMount(name, path, epoch, period) for name, path in mounts.items()}
        ts_mounts.update({name: TsMount(name, m["path"], epoch, period, views) for name, m in ptz_mounts.items()})
        http = _TsHttpServer((args.bind, args.http_port), ts_mounts, login)
        threading.Thread(target=http.serve_forever, name="http-ts", daemon=True).start()

    def quit_loop(*_: object) -> bool:
        loop.quit()
        return False

    def check_parent() -> bool:
        if os.getppid() != parent:
            log("parent process died; exiting")
            loop.quit()
            return False
        return True

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    GLib.timeout_add(PARENT_POLL_MS, check_parent)
    ready = f"READY {server.get_bound_port()}"
    ready += "" if http is None else f" http={http.server_address[1]}"
    ready += "" if control is None else f" control={control.getsockname()[1]}"
    print(ready, flush=True)
    loop.run()
    if control is not None:
        control.close()
    if http is not None:
        http.shutdown()
        http.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
