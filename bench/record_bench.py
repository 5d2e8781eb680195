"""Recording CPU per camera against ffmpeg doing the same stream copy, in the same run.

    .venv/bin/python bench/record_bench.py [--configs 1x360p15,4x360p15,16x360p15,4x720p30]
                                           [--window 10] [--repeat 3] [--segment-seconds 10]
                                           [--baseline DIR] [--bare]

For each configuration (N streams of a size and rate):

1. renders N demo cameras' clips (cached under .cache/bench-media) and serves them from the real demo RTSP
   server (gst-rtsp-server, stream copy, phase-locked to an epoch), as bench/wall_bench.py does;
2. c4desk: a child process runs the real recorder (``RecorderSupervisor`` over a fresh SQLite index and
   recordings directory, ``--segment-seconds`` long files, the index updated every 2 s) for the N streams; after
   3 s of warm-up it measures its own CPU (utime+stime from /proc/self/stat, all threads) over ``--window``
   seconds and what it wrote;
3. ffmpeg: N ``ffmpeg -rtsp_transport tcp -i URL -c copy -f mpegts FILE`` processes record the same streams;
   after 3 s, their summed CPU over the same window, from /proc/<pid>/stat.

The phases alternate ``--repeat`` times and the median of each is reported ("other processes" says how busy
the rest of this shared machine was). Prints one line per configuration and a table; asserts nothing.

Two optional phases run in the same rounds (so they see the same machine load), just before the c4desk one:

* ``--baseline DIR``: the recorder of another c4desk source tree (DIR holds its ``c4desk`` package, e.g. made with
  ``git archive <commit> c4desk | tar -x -C DIR``): a before/after of a change measured side by side;
* ``--bare``: the floor a Python recorder starts from: the same PyAV demux + MPEG-TS mux in one Python thread per
  stream (same source options, interrupt callback and ``flush_packets``, a new file every ``--segment-seconds``),
  without any of the recorder's work (timeline repair, wall clock, index). c4desk is not imported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.servers import BenchStreams, alternate, median_run  # noqa: E402
from bench.wall_bench import WARMUP_S, proc_cpu_s, proc_rss_mb, system_busy_s  # noqa: E402


def child(args: argparse.Namespace) -> None:
    """The c4desk side: the real recorder supervisor on N cameras; prints one JSON line of figures."""
    if args.c4desk_path:
        sys.path.insert(0, str(args.c4desk_path))  # the --baseline tree's c4desk, before this one
    import c4desk
    from c4desk.config import RecordingSettings
    from c4desk.domain.camera import Camera
    from c4desk.hub.recording import RecorderSupervisor
    from c4desk.store.db import Database, sqlite_url
    from c4desk.store.migrate import upgrade
    from c4desk.store.recordings import RecordingRepository

    work = Path(tempfile.mkdtemp(prefix="c4desk-record-bench-"))
    try:
        url = sqlite_url(work / "c4desk.sqlite")
        upgrade(url)
        db = Database(url)
        repo = RecordingRepository(db, work / "recordings")
        cameras = [Camera(f"cam{i:02d}", f"bench {i}", 0.0, 0.0, stream_main=u) for i, u in enumerate(args.urls)]
        settings = RecordingSettings(segment_seconds=args.segment_seconds)
        supervisor = RecorderSupervisor(repo, cameras, settings, retention_interval_s=3600).start()
        try:
            time.sleep(WARMUP_S)
            before = {s.camera_id: (s.packets, s.bytes) for s in supervisor.statuses()}
            t0, c0, b0 = time.monotonic(), proc_cpu_s(), system_busy_s()
            time.sleep(args.window)
            t1, c1, b1 = time.monotonic(), proc_cpu_s(), system_busy_s()
            after = supervisor.statuses()
            rss = proc_rss_mb()
        finally:
            supervisor.stop()
        packets = [s.packets - before.get(s.camera_id, (0, 0))[0] for s in after]
        written = sum(s.bytes - before.get(s.camera_id, (0, 0))[1] for s in after)
        usage = repo.usage()
        db.dispose()
        print(json.dumps({
            "cpu_pct": 100 * (c1 - c0) / (t1 - t0), "others_pct": 100 * ((b1 - b0) - (c1 - c0)) / (t1 - t0),
            "packets_per_s_min": min(packets) / (t1 - t0), "mbit_s": 8 * written / (t1 - t0) / 1e6,
            "recording": sum(s.state == "recording" for s in after), "segments": usage.segments,
            "rss_mb": rss, "c4desk_from": str(Path(c4desk.__file__).parent),
        }), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bare_child(args: argparse.Namespace) -> None:
    """The ``--bare`` phase (see the module docstring); prints the same JSON figures as ``child``."""
    import threading

    import av

    work = Path(tempfile.mkdtemp(prefix="c4desk-record-bench-bare-"))
    stop = threading.Event()
    counts = [[0, 0] for _ in args.urls]  # packets, bytes per stream
    files = [0]
    options = {"probesize": "500000", "analyzeduration": "1000000", "fpsprobesize": "0", "timeout": "5000000",
               "rtsp_transport": "tcp", "allowed_media_types": "video"}  # as the recorder opens a camera

    def record(i: int, url: str) -> None:
        with av.open(url, options=options, timeout=(10.0, 5.0)) as source:
            stream = source.streams.video[0]
            time_base = stream.time_base or Fraction(1, 90000)
            out: Any = None
            out_stream: Any = None
            base = first = 0
            for packet in source.demux(stream):
                if stop.is_set():
                    break
                if packet.dts is None or packet.pts is None:
                    continue
                if out is None or (packet.is_keyframe and
                                   float((packet.pts - first) * time_base) >= args.segment_seconds):
                    if out is not None:
                        out.close()
                    elif not packet.is_keyframe:
                        continue
                    out = av.open(str(work / f"{i}-{files[0]}.ts"), "w", format="mpegts",
                                  options={"flush_packets": "1"})
                    out_stream = out.add_stream_from_template(stream)
                    files[0] += 1
                    base, first = packet.dts, packet.pts
                packet.pts, packet.dts = packet.pts - base, packet.dts - base
                packet.stream = out_stream
                try:
                    out.mux(packet)
                except av.error.FFmpegError:
                    continue  # a repeated timestamp (split access unit): the recorder joins those, this drops them
                counts[i][0] += 1
                counts[i][1] += packet.size
            if out is not None:
                out.close()

    threads = [threading.Thread(target=record, args=(i, u), daemon=True) for i, u in enumerate(args.urls)]
    try:
        for t in threads:
            t.start()
        time.sleep(WARMUP_S)
        before = [list(c) for c in counts]
        t0, c0, b0 = time.monotonic(), proc_cpu_s(), system_busy_s()
        time.sleep(args.window)
        t1, c1, b1 = time.monotonic(), proc_cpu_s(), system_busy_s()
        after = [list(c) for c in counts]
        rss = proc_rss_mb()
        alive = sum(t.is_alive() for t in threads)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    packets = [a[0] - b[0] for a, b in zip(after, before, strict=True)]
    written = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
    print(json.dumps({
        "cpu_pct": 100 * (c1 - c0) / (t1 - t0), "others_pct": 100 * ((b1 - b0) - (c1 - c0)) / (t1 - t0),
        "packets_per_s_min": min(packets) / (t1 - t0), "mbit_s": 8 * written / (t1 - t0) / 1e6,
        "recording": sum(p > 0 for p in packets) if alive == len(threads) else 0, "segments": files[0],
        "rss_mb": rss,
    }), flush=True)


def run_ffmpeg(urls: list[str], window: float) -> dict[str, float]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return {"cpu_pct": math.nan, "others_pct": math.nan, "alive": 0}
    with tempfile.TemporaryDirectory(prefix="c4desk-record-bench-ffmpeg-") as out:
        procs = [subprocess.Popen([ffmpeg, "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", u,
                                   "-c", "copy", "-f", "mpegts", os.path.join(out, f"{i}.ts")],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i, u in enumerate(urls)]
        try:
            time.sleep(WARMUP_S)
            t0, c0, b0 = time.monotonic(), sum(proc_cpu_s(p.pid) for p in procs), system_busy_s()
            time.sleep(window)
            t1, c1, b1 = time.monotonic(), sum(proc_cpu_s(p.pid) for p in procs), system_busy_s()
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
            "alive": alive}


def bench_config(text: str, args: argparse.Namespace) -> dict[str, Any]:
    extra_runs: dict[str, list[dict[str, Any]]] = {}
    with BenchStreams(text, args.cache, args.clip_seconds) as streams:
        urls = streams.urls

        def one_child(*mode: str) -> dict[str, Any] | None:
            cmd = [sys.executable, __file__, "--child", *mode, "--window", str(args.window), "--segment-seconds",
                   str(args.segment_seconds), "--urls", *urls]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise RuntimeError(f"child {mode} failed ({done.returncode}):\n{done.stderr[-3000:]}")
            result: dict[str, Any] = json.loads(lines[-1])
            return result if streams.running and result["recording"] == len(urls) else None

        def ours_once() -> dict[str, Any] | None:
            # The optional phases go first in each round; a run that does not count is simply not kept.
            if args.baseline is not None:
                base = one_child("--c4desk-path", str(args.baseline))
                if base is not None:
                    extra_runs.setdefault("baseline", []).append(base)
            if args.bare:
                bare = one_child("--bare-loop")
                if bare is not None:
                    extra_runs.setdefault("bare", []).append(bare)
            return one_child()

        def theirs_once() -> dict[str, float] | None:
            theirs = run_ffmpeg(urls, args.window)
            return theirs if streams.running and theirs.get("alive") == len(urls) else None

        ours_runs, theirs_runs = alternate(streams, args.repeat, ours_once, theirs_once)
    ours, theirs = median_run(ours_runs), median_run(theirs_runs)
    ours["cpu_runs"] = [round(r["cpu_pct"], 2) for r in ours_runs]
    theirs["cpu_runs"] = [round(r["cpu_pct"], 2) for r in theirs_runs]  # type: ignore[assignment]
    ratio = ours["cpu_pct"] / theirs["cpu_pct"] if theirs["cpu_pct"] else math.nan
    extras: dict[str, dict[str, Any]] = {}
    for name, runs in extra_runs.items():
        extras[name] = dict(median_run(runs))
        extras[name]["cpu_runs"] = [round(r["cpu_pct"], 2) for r in runs]
        extras[name]["cpu_ratio"] = extras[name]["cpu_pct"] / theirs["cpu_pct"] if theirs["cpu_pct"] else math.nan
    return {"config": text, "count": streams.count, "fps": streams.fps, "c4desk": ours, "ffmpeg": theirs,
            "cpu_ratio": ratio, "server_crashes": streams.crashes, **extras}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="1x360p15,4x360p15,16x360p15,4x720p30")
    parser.add_argument("--window", type=float, default=10.0, help="measuring window, seconds")
    parser.add_argument("--repeat", type=int, default=3, help="c4desk/ffmpeg phase pairs per configuration")
    parser.add_argument("--segment-seconds", type=int, default=10, help="c4desk segment length")
    parser.add_argument("--clip-seconds", type=float, default=6.0)
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "bench-media")
    parser.add_argument("--baseline", type=Path, help="also measure the recorder of this c4desk source tree")
    parser.add_argument("--bare", action="store_true", help="also measure a bare PyAV demux+mux loop (the floor)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--c4desk-path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare-loop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "c4desk" / "__init__.py").exists():
        parser.error(f"--baseline {args.baseline}: no c4desk package there")
    if args.child:
        bare_child(args) if args.bare_loop else child(args)
        return
    results = []
    for text in args.configs.split(","):
        r = bench_config(text.strip(), args)
        results.append(r)
        o, f, n = r["c4desk"], r["ffmpeg"], r["count"]
        print(f"{r['config']:>10}: c4desk {o['cpu_pct']:5.2f}% {o['cpu_runs']} = {o['cpu_pct'] / n:.2f}%/camera vs "
              f"ffmpeg {f['cpu_pct']:5.2f}% {f['cpu_runs']} = {f['cpu_pct'] / n:.2f}%/camera (ratio "
              f"{r['cpu_ratio']:.2f}); {o['packets_per_s_min']:.1f} packets/s per camera (min, source {r['fps']}), "
              f"{o['mbit_s']:.2f} Mbit/s written, {o['segments']} segments, RSS {o['rss_mb']:.0f} MB; other "
              f"processes {o['others_pct']:.0f}% / {f['others_pct']:.0f}% of a core; demo server crashes "
              f"{r['server_crashes']}", flush=True)
        for name in ("baseline", "bare"):
            if name in r:
                e = r[name]
                print(f"{'':>12}{name}: {e['cpu_pct']:5.2f}% {e['cpu_runs']} = {e['cpu_pct'] / n:.2f}%/camera "
                      f"(ratio to ffmpeg {e['cpu_ratio']:.2f}); {e['packets_per_s_min']:.1f} packets/s per camera "
                      "(min)", flush=True)
    extras = [name for name in ("baseline", "bare") if all(name in r for r in results)]
    titles = {"baseline": "baseline CPU % (ratio)", "bare": "bare PyAV loop CPU % (ratio)"}
    print("\n| config | c4desk CPU % (per camera) | ffmpeg CPU % (per camera) | ratio | "
          + "".join(f"{titles[name]} | " for name in extras) + "packets/s per camera (min) |")
    print("|---|---|---|---|" + "---|" * len(extras) + "---|")
    for r in results:
        o, f, n = r["c4desk"], r["ffmpeg"], r["count"]
        cells = "".join(f"{r[name]['cpu_pct']:.2f} ({r[name]['cpu_ratio']:.2f}) | " for name in extras)
        print(f"| {r['config']} | {o['cpu_pct']:.2f} ({o['cpu_pct'] / n:.2f}) | {f['cpu_pct']:.2f} "
              f"({f['cpu_pct'] / n:.2f}) | {r['cpu_ratio']:.2f} | {cells}{o['packets_per_s_min']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
