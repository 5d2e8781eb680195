"""Gunshot alert latency through the real ingest path: HTTP POST -> validate -> SQLite commit -> bus event.

    .venv/bin/python bench/alert_latency.py [--alerts 500] [--concurrency 1] [--db PATH] [--tcp-nodelay]

A real IngestServer (loopback, bearer token) with the gunshot route, over a migrated SQLite file (WAL, the
one-seat default) in a temporary directory unless --db is given. Each alert is POSTed; measured per alert:

* POST -> AlertRaised: from just before the request is sent to the moment a bus subscriber receives the event
  (published after the commit, so the alert is durable by then);
* POST -> response: until the client has the 201 and the stored alert JSON (the route answers after commit).

Then every alert is POSTed again as an update (type and rounds change) and measured to AlertChanged.
Prints figures; asserts nothing.

``--tcp-nodelay`` turns Nagle's algorithm off for the server's connections (``disable_nagle_algorithm`` on the
IngestServer's handler class, for this run only). http.server writes the headers and the body of a response in
two small segments; with Nagle on, the second waits for the client's delayed ACK, about 40 ms on Linux. The
flag shows what setting it in ``hub/http_server.py`` would gain.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from c4desk.domain.events import AlertChanged, AlertRaised, Event
from c4desk.hub.gunshot_routes import GUNSHOT_PATH, gunshot_routes
from c4desk.hub.http_server import IngestServer
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade

TOKEN = "bench-token"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"  {name:<26} p50 {pct(ms, 0.5):7.2f} ms   p95 {pct(ms, 0.95):7.2f} ms   max {max(ms):7.2f} ms   "
            f"mean {statistics.fmean(ms):7.2f} ms")


def payload(i: int, update: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": f"BENCH-{i:06d}", "type": "multiple_gunshots" if update else "single_gunshot",
        "rounds": 5 if update else 1, "lat": 41.76 + (i % 100) * 1e-4, "lon": -72.68 + (i // 100) * 1e-4,
        "detected_at": (now - timedelta(seconds=30)).isoformat(), "address": f"{i} Main St", "beat": "B-07",
        "district": "Downtown", "status": "update" if update else "new",
    }


def run_phase(server: IngestServer, seen: dict[str, float], update: bool, n: int, concurrency: int,
              ) -> tuple[list[float], list[float], float]:
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    local = threading.local()
    now = datetime.now(UTC)

    def post(i: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        body = payload(i, update, now)
        t0 = time.perf_counter()
        sent[body["id"]] = t0
        r = local.session.post(server.base_url + GUNSHOT_PATH, json=body,
                               headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        answered[body["id"]] = time.perf_counter()
        expected = 200 if update else 201
        if r.status_code != expected:
            raise RuntimeError(f"{body['id']}: {r.status_code} {r.text}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(post, range(n)))
    elapsed = time.perf_counter() - start
    to_event = [seen[k] - sent[k] for k in sent]
    to_answer = [answered[k] - sent[k] for k in sent]
    return to_event, to_answer, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--db", type=Path, help="SQLite file to use (default: a temporary one)")
    ap.add_argument("--tcp-nodelay", action="store_true", help="disable Nagle on the server side (see above)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="c4desk-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.sqlite"
        url = sqlite_url(path)
        upgrade(url)
        db = Database(url)
        bus = EventBus()
        raised: dict[str, float] = {}
        changed: dict[str, float] = {}

        def on_event(event: Event) -> None:
            t = time.perf_counter()
            if isinstance(event, AlertRaised):
                raised[event.alert.id] = t
            elif isinstance(event, AlertChanged):
                changed[event.alert.id] = t

        bus.subscribe(Event, on_event)
        server = IngestServer(gunshot_routes(AlertRepository(db, bus)), token=TOKEN)
        if args.tcp_nodelay:
            server._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        server.start()
        try:
            print(f"c4desk alert latency: {args.alerts} alerts, concurrency {args.concurrency}, SQLite {path}"
                  + (", server TCP_NODELAY" if args.tcp_nodelay else ""))
            print(f"  machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
            for update, seen, label in ((False, raised, "new"), (True, changed, "update")):
                to_event, to_answer, elapsed = run_phase(server, seen, update, args.alerts, args.concurrency)
                event_name = "AlertChanged" if update else "AlertRaised"
                print(f"{label} alerts: {args.alerts / elapsed:.0f} alerts/s")
                print(summary(f"POST -> {event_name}", to_event))
                print(summary("POST -> response (stored)", to_answer))
        finally:
            server.stop()
            db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
