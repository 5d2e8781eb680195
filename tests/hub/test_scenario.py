"""The scenario player delivers every item once per loop, in order, on the wall clock."""

from __future__ import annotations

import threading
import time

import pytest

from c4desk.hub.scenario import Occurrence, ScenarioPlayer


def test_items_delivered_in_order_across_loops() -> None:
    got: list[tuple[int, str]] = []
    done = threading.Event()

    def handler(occ: Occurrence[str]) -> None:
        got.append((occ.cycle, occ.item))
        if len(got) == 6:
            done.set()

    epoch = time.time()
    player = ScenarioPlayer([(0.25, "b"), (0.05, "a"), (0.40, "c")], handler, epoch=epoch, period=0.5)
    player.start()
    try:
        assert done.wait(3.0), got
    finally:
        player.stop()
    first = got[0][0]
    assert got[:6] == [(first, "a"), (first, "b"), (first, "c"), (first + 1, "a"), (first + 1, "b"),
                       (first + 1, "c")]


def test_occurrence_time_is_epoch_plus_loop_time() -> None:
    times: list[float] = []
    done = threading.Event()
    epoch = time.time() - 10.0  # started mid-way through loop 20 of a 0.5 s period

    def handler(occ: Occurrence[str]) -> None:
        times.append(occ.at.timestamp())
        done.set()

    player = ScenarioPlayer([(0.3, "x")], handler, epoch=epoch, period=0.5)
    player.start()
    try:
        assert done.wait(2.0)
    finally:
        player.stop()
    loop_time = (times[0] - epoch) % 0.5
    assert loop_time == pytest.approx(0.3, abs=1e-6)


def test_failing_handler_does_not_stop_the_loop() -> None:
    calls: list[str] = []
    done = threading.Event()

    def handler(occ: Occurrence[str]) -> None:
        calls.append(occ.item)
        if occ.item == "bad":
            raise RuntimeError("boom")
        if calls.count("good") >= 1 and "bad" in calls:
            done.set()

    player = ScenarioPlayer([(0.1, "bad"), (0.2, "good")], handler, epoch=time.time(), period=0.4)
    player.start()
    try:
        assert done.wait(2.0), calls
    finally:
        player.stop()


def test_stop_returns_promptly() -> None:
    player = ScenarioPlayer([(50.0, "late")], lambda occ: None, epoch=time.time(), period=100.0)
    player.start()
    t0 = time.monotonic()
    player.stop()
    assert time.monotonic() - t0 < 1.0


def test_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="period"):
        ScenarioPlayer([], lambda occ: None, epoch=0, period=0)
