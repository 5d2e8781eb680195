"""Map figures: time to a ready page with many cameras and alert pins, one new pin's latency, renderer memory.

    .venv/bin/python bench/map_bench.py [--cameras 2000] [--alerts 5000] [--new-alerts 30]
                                        [--screenshot docs/map.png]

Headless like the tests (offscreen Qt, QtWebEngine without its sandbox). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from c4desk.ui.map import register_map_scheme

register_map_scheme()

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from c4desk.demo.city import CENTER_LAT, CENTER_LON, demo_cameras, offset_to_latlon, streets_geojson  # noqa: E402
from c4desk.domain.alerts import Alert, AlertStatus  # noqa: E402
from c4desk.domain.camera import Camera, CameraKind  # noqa: E402
from c4desk.domain.geo import destination  # noqa: E402
from c4desk.ui.map.map_view import MapView  # noqa: E402
from c4desk.ui.map.payload import js_call, js_value  # noqa: E402

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)
SOURCES = ("gunshot", "hotlist", "incident")


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def js(view: MapView, expression: str, timeout_ms: int = 10_000) -> Any:
    box: dict[str, Any] = {}
    loop = QEventLoop()

    def done(result: object) -> None:
        box["r"] = result
        loop.quit()

    view.page.runJavaScript(expression, 0, done)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    return box.get("r")


def city_cameras(n: int, rng: random.Random) -> list[Camera]:
    kinds = [CameraKind.FIXED] * 6 + [CameraKind.PTZ, CameraKind.LPR, CameraKind.LPR, CameraKind.PRIVATE]
    out = []
    for i in range(n):
        lat, lon = offset_to_latlon(rng.uniform(-6000, 6000), rng.uniform(-6000, 6000))
        kind = rng.choice(kinds)
        out.append(Camera(id=f"b{i:05d}", name=f"Bench camera {i}", lat=lat, lon=lon,
                          heading_deg=rng.uniform(0, 360), fov_deg=rng.choice((30, 60, 90)),
                          range_m=rng.choice((45, 120, 170, 260)), kind=kind))
    return out


def alert(i: int, lat: float, lon: float, rng: random.Random) -> Alert:
    t = T0 + timedelta(minutes=i)
    return Alert(id=f"a{i:05d}", source=rng.choice(SOURCES), type="Multiple gunshots", priority=1,
                 status=AlertStatus.NEW, detected_at=t, received_at=t, lat=lat, lon=lon, address=f"{i} Main St")


def city_alerts(n: int, rng: random.Random) -> list[Alert]:
    return [alert(i, *offset_to_latlon(rng.uniform(-6000, 6000), rng.uniform(-6000, 6000)), rng) for i in range(n)]


def open_map(cameras: list[Camera], alerts: list[Alert]) -> tuple[MapView, float, float]:
    """(the view, seconds to page_ready, seconds of that until the page's channel was up)."""
    t0 = time.perf_counter()
    view = MapView(streets_geojson=streets_geojson())
    marks: list[float] = []
    view.web_view.bridge.ready.connect(lambda: marks.append(time.perf_counter() - t0))
    view.resize(1280, 800)
    view.set_cameras(cameras)
    view.set_alerts(alerts)
    view.fit_to_cameras()
    loop = QEventLoop()
    view.page_ready.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    view.show()
    loop.exec()
    if not view.is_ready:
        raise SystemExit("the map page did not become ready within 60 s")
    return view, time.perf_counter() - t0, marks[0] if marks else float("nan")


def memory_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, key in (("status", "VmRSS"), ("smaps_rollup", "Pss")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key + ":"):
                    out[key] = int(line.split()[1])
        except OSError:
            pass
    return out


def webengine_processes() -> list[tuple[int, str]]:
    """QtWebEngine's helper processes (zygote, renderers, GPU/utility) started for this process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"QtWebEngineProcess"):
            kind = next((a.decode() for a in cmd if a.startswith(b"--type=")), "--type=?")
            found.append((int(entry.name), kind[len("--type="):]))
    return found


def new_pin_latency(view: MapView, count: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Call-to-confirmed times (Python round trip) and in-page add-to-next-frame times, in ms."""
    lat, lon = CENTER_LAT, CENTER_LON
    js(view, js_call("C4Map.map.setView", [lat, lon], 17, {"animate": False}) + " window.__frame = [];")
    wait(500)
    trips = []
    for i in range(count):
        a = alert(900_000 + i, *destination(lat, lon, rng.uniform(0, 360), rng.uniform(10, 250)), rng)
        t = time.perf_counter()
        view.add_alert(a)
        shown = js(view, "(function (id) { var t = performance.now(); requestAnimationFrame(function () {"
                         "window.__frame.push(performance.now() - t); });"
                         f"var e = C4Map.alerts[id]; return !!(e && e.marker._icon); }})({js_value(a.id)})")
        trips.append((time.perf_counter() - t) * 1000)
        if not shown:
            print(f"  warning: alert {a.id} not in the DOM right after the call")
        wait(30)
    wait(200)
    frames = json.loads(js(view, "JSON.stringify(window.__frame)") or "[]")
    return trips, [float(f) for f in frames]


def screenshot(path: Path) -> None:
    cams = demo_cameras()
    view = MapView(streets_geojson=streets_geojson())
    view.resize(1200, 900)
    view.set_cameras(cams)
    for cam in cams:
        view.set_camera_state(cam.id, "offline" if cam.id == "cam07" else "live")
    view.set_camera_heading("ptz02", 250.0)
    view.set_alerts([])
    view.fit_to_cameras()
    loop = QEventLoop()
    view.page_ready.connect(loop.quit)
    view.show()
    loop.exec()
    lat, lon = destination(CENTER_LAT, CENTER_LON, 60, 70)
    view.add_alert(Alert(id="SST-1042", source="gunshot", type="Multiple gunshots", priority=1,
                         status=AlertStatus.NEW, detected_at=T0, received_at=T0, lat=lat, lon=lon,
                         address="Pearl St & Main St", rounds=4))
    lprs = [c for c in cams if c.kind is CameraKind.LPR]
    view.show_trail("AB12345", [(c.lat, c.lon, f"22:{14 + i:02d}:{7 * i:02d}") for i, c in enumerate(lprs[:3])])
    view.select_camera("ptz01")
    wait(1500)
    view.grab_png(path)
    print(f"screenshot: {path}")
    view.close()
    view.deleteLater()
    wait(300)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=2000)
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--new-alerts", type=int, default=30)
    ap.add_argument("--screenshot", type=Path)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    rng = random.Random(7)
    cameras, alerts = city_cameras(args.cameras, rng), city_alerts(args.alerts, rng)

    base, cold_empty, _ = open_map([], [])
    base_mem = memory_kib(base.renderer_pid())
    print(f"cold start (QtWebEngine's first page) to ready, streets only: {cold_empty:.2f} s; its renderer: "
          f"RSS {base_mem.get('VmRSS', 0) / 1024:.0f} MiB, PSS {base_mem.get('Pss', 0) / 1024:.0f} MiB")
    base.close()
    base.deleteLater()
    wait(500)
    first, cold, cold_channel = open_map(cameras, alerts)
    counts = js(first, "JSON.stringify([Object.keys(C4Map.cams).length, Object.keys(C4Map.alerts).length])")
    print(f"new map to ready with {args.cameras} cameras, {args.alerts} pins: {cold:.2f} s "
          f"(page up {cold_channel:.2f} s, then the data; page holds {counts})")
    second, warm, warm_channel = open_map(cameras, alerts)
    print(f"second map to ready with the same data: {warm:.2f} s (page up {warm_channel:.2f} s)")
    first.close()
    first.deleteLater()
    wait(500)

    trips, frames = new_pin_latency(second, args.new_alerts, rng)
    p95 = sorted(trips)[max(0, round(0.95 * len(trips)) - 1)]
    print(f"new alert pin, call -> pin in the DOM (Python round trip): median {statistics.median(trips):.1f} ms, "
          f"p95 {p95:.1f} ms, max {max(trips):.1f} ms over {len(trips)}")
    if frames:
        print(f"  in page, added -> next frame painted: median {statistics.median(frames):.1f} ms, "
              f"max {max(frames):.1f} ms")
    pid = second.renderer_pid()
    mem = memory_kib(pid)
    print(f"renderer process {pid}: RSS {mem.get('VmRSS', 0) / 1024:.0f} MiB, PSS {mem.get('Pss', 0) / 1024:.0f} MiB")
    helpers = webengine_processes()
    total = sum(memory_kib(p).get("Pss", 0) for p, _ in helpers)
    print(f"all {len(helpers)} QtWebEngineProcess processes together: PSS {total / 1024:.0f} MiB")
    print(f"this Python process: RSS {memory_kib(os.getpid()).get('VmRSS', 0) / 1024:.0f} MiB")
    second.close()
    second.deleteLater()
    wait(300)
    if args.screenshot:
        screenshot(args.screenshot)
    app.processEvents()


if __name__ == "__main__":
    main()
