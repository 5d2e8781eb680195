"""Mark in / mark out and the default span a one-click tag takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from c4desk.ui.wall.clip_marks import LIVE_LOOKBACK, PLAYBACK_CONTEXT, ClipMarks

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_without_marks_live_takes_the_last_half_minute_and_playback_the_moment_with_context() -> None:
    marks = ClipMarks()
    assert marks.span("cam01", NOW, live=True, now=NOW) == (NOW - LIVE_LOOKBACK, NOW)
    at = NOW - 5 * 60 * S
    assert marks.span("cam01", at, live=False, now=NOW) == (at - PLAYBACK_CONTEXT, at + PLAYBACK_CONTEXT)


def test_marks_in_either_order_and_per_camera() -> None:
    marks = ClipMarks()
    marks.mark_out("cam01", NOW - 10 * S)
    marks.mark_in("cam01", NOW - 40 * S)
    marks.mark_in("cam02", NOW - 3 * S)
    assert marks.span("cam01", NOW, live=True, now=NOW) == (NOW - 40 * S, NOW - 10 * S)
    # Only an in-point: up to what the tile shows now.
    assert marks.span("cam02", NOW, live=True, now=NOW) == (NOW - 3 * S, NOW)
    marks.mark_in("cam01", NOW - 5 * S)  # after the out-point: the two are swapped, not refused
    assert marks.span("cam01", NOW, live=True, now=NOW) == (NOW - 10 * S, NOW - 5 * S)
    marks.clear("cam01")
    assert marks.marks("cam01") == (None, None)


def test_spans_never_reach_past_now_and_are_never_empty() -> None:
    marks = ClipMarks()
    at = NOW - 2 * S  # playing back two seconds ago: the context after it is not recorded yet
    start, end = marks.span("cam01", at, live=False, now=NOW)
    assert end == NOW and start == at - PLAYBACK_CONTEXT
    marks.mark_in("cam03", NOW)
    start, end = marks.span("cam03", NOW, live=True, now=NOW)
    assert end == NOW and end - start == S
