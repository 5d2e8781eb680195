"""Live wall figures against ffmpeg: CPU, frames shown vs source rate, RSS per tile, first frame, latency.

    .venv/bin/python bench/wall_bench.py [--configs 1x360p15,4x360p15,9x360p15,16x360p15,4x720p30]
                                         [--window 10] [--repeat 3] [--backend auto] [--view 1280x720]

For each configuration (N streams of a size and rate) in one run:

1. renders N demo cameras' clips (cached under .cache/bench-media) and serves them from the real demo RTSP
   server (gst-rtsp-server, stream copy, phase-locked to an epoch);
2. c4desk: a child process opens a real view (offscreen Qt, a LiveGrid of the smallest square layout that
   holds N tiles, in a ``--view`` window) showing the N streams through the configured backend, waits for all
   tiles to be live and 3 s more, then measures over ``--window`` seconds: its own CPU (utime+stime from
   /proc/self/stat, all threads), frames shown per tile per second, frames the players replaced before the
   tile took them (drops), RSS; then, in a separate short window (so the sampling costs no measured CPU),
   glass-to-glass latency: for sampled shown frames, (now - epoch) % period minus the frame marker's time;
3. ffmpeg: N ``ffmpeg -rtsp_transport tcp -i URL -f null -`` processes decode the same streams; after 3 s,
   their summed CPU over the same window, from /proc/<pid>/stat.

The two phases alternate ``--repeat`` times and the median run of each is reported (CPU figures on a shared
2-core machine move by several points between runs; "other processes" says how busy the rest of the machine
was during each window). Prints one line per configuration and a table; asserts nothing. ``--json`` writes
the raw figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.servers import BenchStreams, alternate, median_run  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
WARMUP_S = 3.0


def proc_cpu_s(pid: int | str = "self") -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def system_busy_s() -> float:
    """CPU seconds all processes used so far (every core; /proc/stat without idle and iowait)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def proc_rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


# ------------------------------------------------------------------------------------------- the child


def child(args: argparse.Namespace) -> None:
    """The c4desk side: a real view showing the streams; prints one JSON line of figures."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from c4desk.config import VideoSettings
    from c4desk.demo import render
    from c4desk.domain.camera import Camera
    from c4desk.domain.layouts import fitting_layout
    from c4desk.ui.wall.live_grid import LiveGrid
    from c4desk.ui.wall.players import PlayerSource

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    app = QApplication(sys.argv[:1])
    urls: list[str] = args.urls
    width, height = (int(v) for v in args.view.split("x"))
    grid = LiveGrid(PlayerSource(VideoSettings(backend=args.backend)), layout=fitting_layout(len(urls)))
    grid.resize(width, height)
    grid.show()
    wait(300)
    rss_empty = proc_rss_mb()
    cameras = [Camera(id=f"b{i:02d}", name=f"bench {i}", lat=0.0, lon=0.0, stream_main=u) for i, u in enumerate(urls)]
    started = time.monotonic()
    grid.show_cameras(cameras)
    tiles = grid.tiles[: len(urls)]
    while not all(t.frames_shown > 0 for t in tiles) and time.monotonic() - started < 20:
        wait(20)
    all_live_s = time.monotonic() - started
    wait(int(WARMUP_S * 1000))

    def counters() -> tuple[float, float, list[int], list[int], float]:
        dropped = [t.player.stats.frames_dropped if t.player else 0 for t in tiles]
        return time.monotonic(), proc_cpu_s(), [t.frames_shown for t in tiles], dropped, system_busy_s()

    t0, cpu0, shown0, drop0, busy0 = counters()
    wait(int(args.window * 1000))
    t1, cpu1, shown1, drop1, busy1 = counters()
    span = t1 - t0
    rss = proc_rss_mb()
    frame_sizes = sorted({(t.current_frame.width, t.current_frame.height) for t in tiles if t.current_frame})
    tile_sizes = sorted({(t.width(), t.height()) for t in tiles})

    # Latency, in its own short window: shown frames' marker time against the server's loop clock.
    latencies: list[float] = []
    paints = dict.fromkeys(range(len(tiles)), 0)
    fps, period, epoch = args.fps, args.period, args.epoch
    clip_w, clip_h = (int(v) for v in args.clip_size.split("x"))
    clip_size = (clip_w, clip_h)

    def sample(index: int, frame: Any) -> None:
        paints[index] += 1
        if paints[index] % 3:
            return
        now = time.time()
        raw = np.frombuffer(frame.data, np.uint8)[: frame.stride * frame.height]
        rgb = raw.reshape(frame.height, frame.stride // 4, 4)[:, : frame.width, [2, 1, 0]]
        marker = render.decode_frame_marker(rgb, clip_size)
        if marker is None:
            return
        lag = ((now - epoch) % period) - (marker / fps) % period
        lag = (lag + period / 2) % period - period / 2
        latencies.append(lag)

    for i, tile in enumerate(tiles):
        tile.frame_shown.connect(lambda f, i=i: sample(i, f))
    wait(3000)
    backend = tiles[0].player.backend_name if tiles[0].player else "?"
    grid.close_players()
    first = [t.first_frame_s for t in tiles if t.first_frame_s is not None]
    shown_rate = [(b - a) / span for a, b in zip(shown0, shown1, strict=True)]
    print(json.dumps({
        "cpu_pct": 100 * (cpu1 - cpu0) / span,
        "others_pct": 100 * ((busy1 - busy0) - (cpu1 - cpu0)) / span,
        "shown_fps_mean": statistics.fmean(shown_rate), "shown_fps_min": min(shown_rate),
        "dropped": sum(b - a for a, b in zip(drop0, drop1, strict=True)),
        "rss_mb": rss, "rss_empty_mb": rss_empty, "rss_per_tile_mb": (rss - rss_empty) / len(tiles),
        "first_frame_median_s": statistics.median(first) if first else None,
        "first_frame_max_s": max(first) if first else None, "all_live_s": all_live_s,
        "latency_median_ms": 1000 * statistics.median(latencies) if latencies else None,
        "latency_p95_ms": 1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "latency_samples": len(latencies), "frame_sizes": frame_sizes, "tile_sizes": tile_sizes,
        "backend": backend,
    }), flush=True)
    app.quit()


# ------------------------------------------------------------------------------------------ the parent


def run_ffmpeg(urls: list[str], window: float) -> dict[str, float]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return {"cpu_pct": math.nan}
    procs = [subprocess.Popen([ffmpeg, "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", u,
                               "-f", "null", "-"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for u in urls]
    try:
        time.sleep(WARMUP_S)
        t0, c0, b0 = time.monotonic(), sum(proc_cpu_s(p.pid) for p in procs), system_busy_s()
        time.sleep(window)
        t1, c1, b1 = time.monotonic(), sum(proc_cpu_s(p.pid) for p in procs), system_busy_s()
        rss = sum(proc_rss_mb(p.pid) for p in procs) / len(procs)
        alive = sum(p.poll() is None for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return {"cpu_pct": 100 * (c1 - c0) / (t1 - t0), "others_pct": 100 * ((b1 - b0) - (c1 - c0)) / (t1 - t0),
            "rss_mb_each": rss, "alive": alive}


def bench_config(text: str, args: argparse.Namespace) -> dict[str, Any]:
    """Alternates the c4desk and ffmpeg phases ``--repeat`` times on one server; medians of each."""
    with BenchStreams(text, args.cache, args.clip_seconds) as streams:
        urls, fps, size = streams.urls, streams.fps, streams.size

        def ours_once() -> dict[str, Any] | None:
            cmd = [sys.executable, __file__, "--child", "--window", str(args.window), "--backend", args.backend,
                   "--view", args.view, "--fps", str(fps), "--period", str(args.clip_seconds), "--epoch",
                   str(streams.epoch), "--clip-size", f"{size[0]}x{size[1]}", "--urls", *urls]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise RuntimeError(f"c4desk child failed ({done.returncode}):\n{done.stderr[-3000:]}")
            return json.loads(lines[-1]) if streams.running else None

        def theirs_once() -> dict[str, float] | None:
            theirs = run_ffmpeg(urls, args.window)
            return theirs if streams.running and theirs.get("alive") == len(urls) else None

        ours_runs, theirs_runs = alternate(streams, args.repeat, ours_once, theirs_once)
    ours, theirs = median_run(ours_runs), median_run(theirs_runs)
    ours["source_fps"] = fps
    ours["cpu_runs"] = [round(r["cpu_pct"], 1) for r in ours_runs]
    theirs["cpu_runs"] = [round(r["cpu_pct"], 1) for r in theirs_runs]  # type: ignore[assignment]
    ratio = ours["cpu_pct"] / theirs["cpu_pct"] if theirs["cpu_pct"] else math.nan
    return {"config": text, "c4desk": ours, "ffmpeg": theirs, "cpu_ratio": ratio, "server_crashes": streams.crashes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="1x360p15,4x360p15,9x360p15,16x360p15,4x720p30")
    parser.add_argument("--window", type=float, default=10.0, help="measuring window, seconds")
    parser.add_argument("--repeat", type=int, default=3, help="c4desk/ffmpeg phase pairs per configuration")
    parser.add_argument("--backend", default="auto", choices=("auto", "vlc", "av"))
    parser.add_argument("--view", default="1280x720", help="size of the view showing the tiles")
    parser.add_argument("--clip-seconds", type=float, default=6.0)
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "bench-media")
    parser.add_argument("--json", type=Path)
    # child mode
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--fps", type=int, default=15, help=argparse.SUPPRESS)
    parser.add_argument("--period", type=float, default=6.0, help=argparse.SUPPRESS)
    parser.add_argument("--epoch", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--clip-size", default="640x360", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results = []
    for text in args.configs.split(","):
        r = bench_config(text.strip(), args)
        results.append(r)
        o, f = r["c4desk"], r["ffmpeg"]
        print(f"{r['config']:>10}: c4desk {o['cpu_pct']:5.1f}% {o['cpu_runs']} vs ffmpeg {f['cpu_pct']:5.1f}% "
              f"{f['cpu_runs']} (ratio "
              f"{r['cpu_ratio']:.2f}); shown {o['shown_fps_mean']:.1f} fps/tile (min {o['shown_fps_min']:.1f}, "
              f"source {o['source_fps']}), dropped {o['dropped']}; RSS {o['rss_per_tile_mb']:.1f} MB/tile; "
              f"first frame {o['first_frame_median_s']:.2f} s (max {o['first_frame_max_s']:.2f}); latency "
              f"{o['latency_median_ms']:.0f} ms (p95 {o['latency_p95_ms']:.0f}); decoded {o['frame_sizes']} "
              f"for tiles {o['tile_sizes']} [{o['backend']}]; other processes {o['others_pct']:.0f}% / "
              f"{f['others_pct']:.0f}% of a core; demo server crashes {r['server_crashes']}", flush=True)
    print("\n| config | c4desk CPU % | ffmpeg CPU % | ratio | shown fps/tile (min) | dropped | RSS MB/tile "
          "| first frame s (max) | latency ms (p95) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        o, f = r["c4desk"], r["ffmpeg"]
        print(f"| {r['config']} | {o['cpu_pct']:.1f} | {f['cpu_pct']:.1f} | {r['cpu_ratio']:.2f} | "
              f"{o['shown_fps_mean']:.1f} ({o['shown_fps_min']:.1f}) | {o['dropped']} | {o['rss_per_tile_mb']:.1f} | "
              f"{o['first_frame_median_s']:.2f} ({o['first_frame_max_s']:.2f}) | {o['latency_median_ms']:.0f} "
              f"({o['latency_p95_ms']:.0f}) |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
