"""Plate reads at scale: bulk load, search latency by kind, and live ingest against a 10k-entry hotlist.

    .venv/bin/python bench/plates_bench.py [--reads 10000000] [--engine sqlite|postgres|both] [--queries 60]
                                           [--hotlist 10000] [--live 2000] [--pg-url URL] [--seed 1]

Each engine gets a temporary database (a SQLite file in a temporary directory; a new PostgreSQL database from
--pg-url, default $C4DESK_BENCH_PG_URL or $C4DESK_TEST_PG_URL), migrated to head, removed afterwards.

Data: 200 cameras, reads spread over 90 days. Plates follow a realistic skew: a pool of regulars (commuters,
fleet vehicles) makes up 35% of reads with a heavy-tailed frequency, and the rest are plates seen about once.
Formats mix 7-character US styles, 6-character ones and short vanity plates.

Measured: bulk load rate (executemany on SQLite, COPY on PostgreSQL, with every index in place, and on SQLite
the distinct plates and their trigrams, counted as "distinct plates"); first-page
(100 rows, newest first) latency of exact, wildcard (prefix ``AB*12``-style, suffix ``*123``), partial (a
3-character fragment anywhere) and confusable-tolerant searches, and of a plate history; then live ingest of
Axis events through the real path (validation, camera by serial, passage merge, PlateRead, hotlist matching
against --hotlist entries, hit alerts) with the time from each hit's ingest call to its stored alert.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import string
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, make_url, select, text

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.events import AlertRaised
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plate_match import HotlistEntry
from c4desk.domain.plates import LprRead
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.integrations.axis_lpr import AxisLprIngest
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database, sqlite_url
from c4desk.store.hotlists import HotlistRepository
from c4desk.store.migrate import upgrade
from c4desk.store.models.plates import PlateRow
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.plate_search import PlateSearch

CAMERAS = 200
DAYS = 90
T0 = datetime(2026, 4, 1, tzinfo=UTC)
REGIONS = ("CT",) * 12 + ("NY", "NY", "MA", "RI", "NJ")
LETTERS, DIGITS = string.ascii_uppercase, string.digits


class Plates:
    """A seeded generator of plates with a realistic skew between regulars and one-off visitors."""

    def __init__(self, rnd: random.Random, reads: int) -> None:
        self.rnd = rnd
        self.regulars = [self.new() for _ in range(max(100, reads // 40))]

    def new(self) -> str:
        r, c = self.rnd.random(), self.rnd.choices
        if r < 0.45:
            return "".join(c(LETTERS, k=3) + c(DIGITS, k=4))
        if r < 0.70:
            return "".join(c(DIGITS, k=1) + c(LETTERS, k=3) + c(DIGITS, k=3))
        if r < 0.90:
            return "".join(c(LETTERS, k=3) + c(DIGITS, k=3))
        return "".join(c(LETTERS + DIGITS, k=self.rnd.randint(4, 7)))

    def next(self) -> str:
        if self.rnd.random() < 0.35:
            return self.regulars[int(len(self.regulars) * self.rnd.random() ** 3)]  # a few very frequent ones
        return self.new()


def generate(n: int, seed: int, sample: list[str]) -> Iterator[LprRead]:
    rnd = random.Random(seed)
    plates = Plates(rnd, n)
    span = DAYS * 86400
    every = max(1, n // 5000)
    for i in range(n):
        plate = plates.next()
        if i % every == 0:
            sample.append(plate)
        yield LprRead(camera_id=f"lpr-{int(CAMERAS * rnd.random() ** 1.5):03d}", plate_raw=plate,
                      read_at=T0 + timedelta(seconds=rnd.random() * span), region=rnd.choice(REGIONS),
                      confidence=round(0.6 + 0.39 * rnd.random(), 2), direction=rnd.choice(("in", "out", "")))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], Any], times: list[float]) -> Any:
    start = time.perf_counter()
    result = fn()
    times.append((time.perf_counter() - start) * 1000)
    return result


def query_kinds(rnd: random.Random, sample: list[str]) -> dict[str, list[dict[str, Any]]]:
    plates = [rnd.choice(sample) for _ in range(400)]
    long = [p for p in plates if len(p) >= 6]
    return {
        "exact": [{"pattern": p} for p in plates],
        "wildcard AB*12": [{"pattern": f"{p[:2]}*{p[-2:]}"} for p in long],
        "wildcard *123": [{"pattern": f"*{p[-3:]}"} for p in long],
        "partial (3 chars)": [{"pattern": p[i:i + 3], "partial": True}
                              for p in long for i in [rnd.randrange(len(p) - 2)]],
        "confusable exact": [{"pattern": p, "fuzzy": True} for p in plates],
        "confusable partial": [{"pattern": p[1:5], "partial": True, "fuzzy": True} for p in long],
    }


def bench_engine(url: str, args: argparse.Namespace, media: Path) -> dict[str, str]:
    row: dict[str, str] = {}
    upgrade(url)
    db = Database(url)
    try:
        cameras = CameraRepository(db)
        cameras.upsert_many([Camera(id=f"lpr-{i:03d}", name=f"LPR {i}", lat=41.7 + i / 1e4, lon=-72.7,
                                    kind=CameraKind.LPR, serial=f"SER{i:05d}") for i in range(CAMERAS)])
        reads = PlateReadRepository(db)
        sample: list[str] = []
        start = time.perf_counter()
        gen = generate(args.reads, args.seed, sample)
        loaded = 0
        while chunk := [r for _, r in zip(range(200_000), gen, strict=False)]:
            loaded += reads.bulk_add(chunk)
            print(f"\r  loaded {loaded:,}", end="", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - start
        print(file=sys.stderr)
        row["bulk reads/s"] = f"{loaded / elapsed:,.0f}"
        if db.is_sqlite:
            with db.session() as s:
                row["distinct plates"] = f"{s.scalar(select(func.count()).select_from(PlateRow)):,}"
        else:
            with db.session(write=True) as s:
                s.execute(text("ANALYZE plate_reads"))  # what autovacuum does on a live server
        search = PlateSearch(db)
        analyst = Actor("bench-analyst", Role.ANALYST, "bench")  # each query also writes its audit record, as live
        rnd = random.Random(args.seed + 1)
        for kind, queries in query_kinds(rnd, sample).items():
            times: list[float] = []
            for q in queries[:args.queries]:
                timed(lambda q=q: search.search(q["pattern"], actor=analyst, partial=q.get("partial", False),
                                                fuzzy=q.get("fuzzy", False), limit=100), times)
            row[f"{kind} p95 ms"] = f"{pct(times, 0.95):.1f} (p50 {pct(times, 0.5):.1f})"
        times = []
        for p in [rnd.choice(sample) for _ in range(args.queries)]:
            timed(lambda p=p: search.history(p, actor=analyst), times)
        row["history p95 ms"] = f"{pct(times, 0.95):.1f} (p50 {pct(times, 0.5):.1f})"
        row.update(live_ingest(db, cameras, args, sample, media))
    finally:
        db.dispose()
    return row


def live_ingest(db: Database, cameras: CameraRepository, args: argparse.Namespace, sample: list[str],
                media: Path) -> dict[str, str]:
    rnd = random.Random(args.seed + 2)
    maker = Plates(rnd, 1000)
    listed = {maker.new() for _ in range(args.hotlist)}
    entries = [HotlistEntry(plate_raw=p, priority=rnd.randint(1, 3), category="stolen") for p in listed]
    entries += [HotlistEntry(plate_raw=f"{maker.new()[:3]}*{rnd.choice(DIGITS)}", priority=1)
                for _ in range(args.hotlist // 100)]  # 1% partial-plate BOLOs
    hotlists = HotlistRepository(db)
    start = time.perf_counter()
    hotlists.import_list("NCIC", entries, actor=Actor("system:bench", Role.SUPERVISOR))
    import_s = time.perf_counter() - start
    bus = EventBus()
    matcher = HotlistMatcher(db, bus, hotlists, cameras).start()
    raised: dict[int, float] = {}
    bus.subscribe(AlertRaised, lambda e: raised.setdefault(int(e.alert.payload["read_id"]), time.perf_counter()))
    ingest = AxisLprIngest(cameras, PlateReadRepository(db, bus), media)
    hot = sorted(listed)
    started: dict[int, float] = {}
    times: list[float] = []
    begin = time.perf_counter()
    now = datetime.now(UTC)
    for i in range(args.live):
        plate = rnd.choice(hot) if rnd.random() < 0.02 else (rnd.choice(sample) if rnd.random() < 0.3 else maker.new())
        event = {"carID": i, "carState": "new", "plateText": plate, "plateRegion": "CT", "plateConfidence": 0.9,
                 "carMoveDirection": "in", "capture_timestamp": (now + timedelta(milliseconds=i)).isoformat(),
                 "camera_info": {"SerialNumber": f"SER{rnd.randrange(CAMERAS):05d}"}}
        t = time.perf_counter()
        read, _ = timed(lambda event=event: ingest.ingest(event), times)
        started[read.id] = t
    matcher.drain()
    total = time.perf_counter() - begin
    matcher.stop()
    hit_ms = [(raised[i] - started[i]) * 1000 for i in raised]
    return {
        "hotlist import s": f"{import_s:.2f} ({len(entries):,} entries)",
        "live reads/s": f"{args.live / total:,.0f}",
        "live ingest p95 ms": f"{pct(times, 0.95):.2f} (p50 {pct(times, 0.5):.2f})",
        "hit -> alert p95 ms": (f"{pct(hit_ms, 0.95):.1f} (max {max(hit_ms):.1f}, {len(hit_ms)} hits)"
                                if hit_ms else "no hits"),
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="c4bench-"))
    try:
        row = bench_engine(sqlite_url(tmp / "bench.db"), args, tmp / "media")
        size = sum(f.stat().st_size for f in tmp.glob("bench.db*"))
        row["db size MB"] = f"{size / 1e6:,.0f}"
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_postgres(args: argparse.Namespace) -> dict[str, str]:
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    name = f"c4bench_{uuid.uuid4().hex[:12]}"
    tmp = Path(tempfile.mkdtemp(prefix="c4bench-"))
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
        row = bench_engine(url, args, tmp / "media")
        with admin.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar_one()
        row["db size MB"] = f"{size / 1e6:,.0f}"
        return row
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reads", type=int, default=10_000_000)
    p.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--queries", type=int, default=60, help="queries per kind")
    p.add_argument("--hotlist", type=int, default=10_000)
    p.add_argument("--live", type=int, default=2000, help="reads ingested live")
    p.add_argument("--pg-url", default=os.environ.get("C4DESK_BENCH_PG_URL") or os.environ.get("C4DESK_TEST_PG_URL"))
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    if "postgres" in engines and not args.pg_url:
        p.error("PostgreSQL needs --pg-url (an account that may create databases)")
    results = {}
    for engine in engines:
        print(f"{engine}: {args.reads:,} reads", file=sys.stderr)
        results[engine] = run_sqlite(args) if engine == "sqlite" else run_postgres(args)
    keys = list(next(iter(results.values())))
    print(f"\nplates bench: {args.reads:,} reads, {CAMERAS} cameras, {DAYS} days, {args.queries} queries per kind")
    print(f"{'':<26}" + "".join(f"{e:>34}" for e in results))
    for key in keys:
        print(f"{key:<26}" + "".join(f"{results[e].get(key, ''):>34}" for e in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
