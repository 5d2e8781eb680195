"""The solvability figures: clearance rates with and without video, their Wilson intervals, and Fisher's test.

The question (Hartford's C4 needed a university study for it): are cases with a video component cleared more
often than cases without? The answer here is computed from plain records, so it can be checked by hand:

* **rate** = cleared / cases, per group. A group with no cases has no rate: ``rate`` and ``ci95`` are None
  (JSON ``null``), not 0 and not ``[0, 1]``. "No data" must never read as "never cleared".
* **ci95** is the Wilson score interval (Wilson 1927; Newcombe 1998 recommends it over the Wald interval, which
  collapses to a point at 0% and 100% and misbehaves for small groups). At 0 or 100% its bounds are exactly 0
  and 1 on that side.
* **relative_increase** = rate_with / rate_without - 1 (0.46 means "46% more solvable"). None when either rate
  is missing or the rate without video is 0 (the increase is then unbounded, and JSON has no infinity).
* **fisher_p** is the two-sided p-value of Fisher's exact test on the 2x2 table (rows: with/without video;
  columns: cleared/not cleared), from scipy. It is exact, so it holds for small counts where a chi-squared
  test does not. None when either group is empty (nothing to compare).
* Cases with an ``excluded_reason`` (unsolvable for reasons outside video, as the Hartford study left them
  out) are not counted, and are listed so a reader can see what was left out and why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import fisher_exact

# The standard normal quantile for a two-sided 95% interval: Phi^-1(0.975).
Z_95 = 1.959963984540054


def has_video_component(stated: bool | None, useful_search: bool, live_clip: bool) -> bool:
    """The shared rule: the case's stated value when it has one (an RMS import says so), otherwise True iff a
    video search for it found useful video or a clip tagged to it was not rejected."""
    if stated is not None:
        return stated
    return useful_search or live_clip


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` out of ``n`` (None when n is 0)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # The formula gives exactly 0 (or 1) at p = 0 (or 1); rounding must not put the bound a hair inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def fisher_exact_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test for the table [[a, b], [c, d]]."""
    if min(a, b, c, d) < 0:
        raise ValueError("table counts must not be negative")
    result = fisher_exact([[a, b], [c, d]], alternative="two-sided")
    return float(min(1.0, result.pvalue))


def relative_increase(rate_with: float | None, rate_without: float | None) -> float | None:
    """How much higher ``rate_with`` is than ``rate_without``, as a fraction (None when undefined)."""
    if rate_with is None or rate_without is None or rate_without == 0:
        return None
    return rate_with / rate_without - 1


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation between order statistics (Hyndman & Fan type 7, numpy's
    default), so it can be checked by hand. None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be in [0, 1]")
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, kw_only=True)
class CaseRecord:
    """One case as the study sees it."""

    number: str
    case_type: str = ""
    cleared: bool
    has_video: bool
    excluded_reason: str = ""


@dataclass(frozen=True)
class GroupRate:
    """Clearance of one group: counts, rate (None if empty) and its Wilson 95% interval (None if empty)."""

    cases: int
    cleared: int
    rate: float | None
    ci95: tuple[float, float] | None

    @classmethod
    def of(cls, cleared: int, cases: int) -> GroupRate:
        return cls(cases=cases, cleared=cleared, rate=cleared / cases if cases else None,
                   ci95=wilson_interval(cleared, cases))

    def as_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "cleared": self.cleared, "rate": self.rate,
                "ci95": list(self.ci95) if self.ci95 is not None else None}


@dataclass(frozen=True)
class Exclusion:
    number: str
    case_type: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"number": self.number, "type": self.case_type, "reason": self.reason}


@dataclass(frozen=True)
class SolvabilityResult:
    with_video: GroupRate
    without_video: GroupRate
    relative_increase: float | None
    fisher_p: float | None
    excluded: tuple[Exclusion, ...]

    def as_json(self) -> dict[str, Any]:
        """The shape ``c4desk report solvability --json`` prints (a stable interface)."""
        return {"with_video": self.with_video.as_json(), "without_video": self.without_video.as_json(),
                "relative_increase": self.relative_increase, "fisher_p": self.fisher_p,
                "excluded": [e.as_json() for e in self.excluded]}


def solvability(cases: Iterable[CaseRecord]) -> SolvabilityResult:
    """Clearance with and without video over ``cases``, leaving out (and listing) the excluded ones."""
    counts = {True: [0, 0], False: [0, 0]}  # has_video -> [cleared, not cleared]
    excluded: list[Exclusion] = []
    for case in cases:
        reason = case.excluded_reason.strip()
        if reason:
            excluded.append(Exclusion(case.number, case.case_type, reason))
            continue
        counts[case.has_video][0 if case.cleared else 1] += 1
    (a, b), (c, d) = counts[True], counts[False]
    with_video, without_video = GroupRate.of(a, a + b), GroupRate.of(c, c + d)
    fisher = fisher_exact_p(a, b, c, d) if with_video.cases and without_video.cases else None
    return SolvabilityResult(
        with_video=with_video, without_video=without_video,
        relative_increase=relative_increase(with_video.rate, without_video.rate), fisher_p=fisher,
        excluded=tuple(sorted(excluded, key=lambda e: e.number)),
    )
