"""The solvability statistics against values checked independently of the code under test.

References:
* Wilson intervals: Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison
  of seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (score interval without continuity
  correction), examples 81/263, 15/148, 0/20 and 1/29, given to four decimals.
* Fisher's exact test: Fisher's "lady tasting tea" table [[3, 1], [1, 3]] (The Design of Experiments, 1935), two-
  sided p = 34/70; and every 2x2 below is also recomputed here from the hypergeometric distribution with
  math.comb (``hand_fisher``), without scipy.
"""

from __future__ import annotations

import math

import pytest

from c4desk.domain.statistics import (
    Z_95,
    CaseRecord,
    fisher_exact_p,
    has_video_component,
    relative_increase,
    solvability,
    wilson_interval,
)


def hand_fisher(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p by definition: the sum of the probabilities of all tables with the same margins that
    are no more likely than the observed one (with a relative tolerance, as R and scipy use)."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(k: int) -> float:
        return math.comb(row1, k) * math.comb(n - row1, col1 - k) / math.comb(n, col1)

    observed = prob(a)
    ks = range(max(0, col1 - (n - row1)), min(row1, col1) + 1)
    return min(1.0, sum(p for p in (prob(k) for k in ks) if p <= observed * (1 + 1e-7)))


def hand_wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927): (2x + z^2 -+ z sqrt(z^2 + 4x(n-x)/n)) / (2(n + z^2)), written out differently from the code."""
    root = z * math.sqrt(z * z + 4 * x * (n - x) / n)
    return (2 * x + z * z - root) / (2 * (n + z * z)), (2 * x + z * z + root) / (2 * (n + z * z))


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_newcombe_table(x: int, n: int, low: float, high: float) -> None:
    ci = wilson_interval(x, n)
    assert ci is not None
    assert ci[0] == pytest.approx(low, abs=5e-5)
    assert ci[1] == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("x", "n"), [(1, 1), (3, 7), (47, 110), (25, 79), (99, 100), (500, 1000)])
def test_wilson_matches_the_closed_form(x: int, n: int) -> None:
    ci = wilson_interval(x, n)
    assert ci == pytest.approx(hand_wilson(x, n), abs=1e-12)


def test_wilson_edges() -> None:
    assert wilson_interval(0, 0) is None  # no cases: no interval, not [0, 1]
    # All successes: the upper bound is exactly 1 and the lower one is n / (n + z^2) (the formula at p = 1).
    low, high = wilson_interval(12, 12) or (-1.0, -1.0)
    assert low == pytest.approx(12 / (12 + Z_95**2), rel=1e-14) and high == 1.0
    low, high = wilson_interval(0, 12) or (-1.0, -1.0)
    assert low == 0.0 and high == pytest.approx(1 - 12 / (12 + Z_95**2), rel=1e-14)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(-1, 4)


def test_fisher_tea_tasting_and_known_tables() -> None:
    assert fisher_exact_p(3, 1, 1, 3) == pytest.approx(34 / 70, rel=1e-12)
    # Wikipedia's worked example (men/women dieting): two-sided p = 0.002759...
    assert fisher_exact_p(1, 9, 11, 3) == pytest.approx(0.0027594561852200836, rel=1e-9)


@pytest.mark.parametrize("table", [(47, 63, 25, 54), (10, 0, 0, 10), (5, 5, 5, 5), (0, 7, 3, 2), (60, 40, 30, 35),
                                   (1, 0, 0, 0), (3, 0, 5, 0)])
def test_fisher_matches_the_hypergeometric_sum(table: tuple[int, int, int, int]) -> None:
    assert fisher_exact_p(*table) == pytest.approx(hand_fisher(*table), rel=1e-9)


def test_relative_increase() -> None:
    assert relative_increase(0.6, 0.4) == pytest.approx(0.5)
    assert relative_increase(0.3, 0.3) == 0.0
    assert relative_increase(0.3, 0.0) is None  # unbounded: JSON has no infinity
    assert relative_increase(0.0, 0.0) is None
    assert relative_increase(None, 0.4) is None
    assert relative_increase(0.4, None) is None


def test_video_rule() -> None:
    assert has_video_component(True, False, False) is True
    assert has_video_component(False, True, True) is False  # a stated "no" wins over what c4desk found
    assert has_video_component(None, True, False) is True
    assert has_video_component(None, False, True) is True
    assert has_video_component(None, False, False) is False


def records(prefix: str, n: int, *, cleared: int, video: bool) -> list[CaseRecord]:
    return [CaseRecord(number=f"{prefix}{i:03d}", case_type="shooting", cleared=i < cleared, has_video=video)
            for i in range(n)]


def test_solvability_on_a_constructed_study() -> None:
    cases = [*records("V", 20, cleared=12, video=True), *records("N", 30, cleared=9, video=False),
             CaseRecord(number="X002", case_type="homicide", cleared=True, has_video=True,
                        excluded_reason="suspect deceased"),
             CaseRecord(number="X001", case_type="robbery", cleared=False, has_video=False,
                        excluded_reason="  victim declined to cooperate ")]
    result = solvability(cases)
    assert result.with_video.ci95 == pytest.approx(hand_wilson(12, 20), abs=1e-12)
    assert (result.with_video.cases, result.with_video.cleared, result.with_video.rate) == (20, 12, 0.6)
    assert (result.without_video.cases, result.without_video.cleared, result.without_video.rate) == (30, 9, 0.3)
    assert result.relative_increase == pytest.approx(1.0)
    assert result.fisher_p == pytest.approx(hand_fisher(12, 8, 9, 21), rel=1e-9)
    assert [(e.number, e.reason) for e in result.excluded] == [("X001", "victim declined to cooperate"),
                                                                ("X002", "suspect deceased")]
    out = result.as_json()
    assert list(out) == ["with_video", "without_video", "relative_increase", "fisher_p", "excluded"]
    assert out["with_video"]["ci95"] == pytest.approx(list(hand_wilson(12, 20)))
    assert out["excluded"][0] == {"number": "X001", "type": "robbery", "reason": "victim declined to cooperate"}


def test_solvability_with_no_cases() -> None:
    out = solvability([]).as_json()
    empty = {"cases": 0, "cleared": 0, "rate": None, "ci95": None}
    assert out == {"with_video": empty, "without_video": empty, "relative_increase": None, "fisher_p": None,
                   "excluded": []}


def test_solvability_with_one_group_empty() -> None:
    result = solvability(records("V", 5, cleared=2, video=True))
    assert result.without_video.rate is None and result.without_video.ci95 is None
    assert result.with_video.rate == 0.4
    assert result.relative_increase is None and result.fisher_p is None  # nothing to compare against


def test_solvability_all_cleared() -> None:
    result = solvability([*records("V", 8, cleared=8, video=True), *records("N", 4, cleared=4, video=False)])
    assert result.with_video.ci95 == pytest.approx((8 / (8 + Z_95**2), 1.0), rel=1e-14)
    assert result.without_video.ci95 == pytest.approx((4 / (4 + Z_95**2), 1.0), rel=1e-14)
    assert result.with_video.ci95 is not None and result.with_video.ci95[1] == 1.0  # exactly
    assert result.relative_increase == 0.0
    assert result.fisher_p == 1.0


def test_solvability_none_cleared_without_video() -> None:
    result = solvability([*records("V", 6, cleared=3, video=True), *records("N", 6, cleared=0, video=False)])
    assert result.without_video.rate == 0.0
    assert result.relative_increase is None
    assert result.fisher_p == pytest.approx(hand_fisher(3, 3, 0, 6), rel=1e-9)
