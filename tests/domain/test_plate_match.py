"""Plate matching semantics: one table of plates x patterns (also run against both databases by the search
tests), hotlist entry indexing, and both checked against a brute-force reference on random data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4desk.domain.errors import ValidationError
from c4desk.domain.plate_match import (
    EntryIndex,
    HotlistEntry,
    MatchKind,
    PatternKind,
    fold_plate,
    parse_pattern,
    regions_conflict,
)

# The plates every semantics case is asked about; the search tests store exactly these.
PLATES = ("ABC1234", "ABC1284", "A8C1234", "XYZ9876", "7ABC123", "AB12", "0O1IL", "DOG123", "B0B", "ÄBC123")

# (pattern, partial, fuzzy, plates that match)
SEMANTICS: list[tuple[str, bool, bool, set[str]]] = [
    ("ABC1234", False, False, {"ABC1234"}),
    ("abc-1234", False, False, {"ABC1234"}),
    ("ABC1234", False, True, {"ABC1234", "A8C1234"}),
    ("ABC12?4", False, False, {"ABC1234", "ABC1284"}),
    ("ABC12?4", False, True, {"ABC1234", "ABC1284", "A8C1234"}),
    ("AB*", False, False, {"ABC1234", "ABC1284", "AB12"}),
    ("AB*12", False, False, {"AB12"}),
    ("*123", False, False, {"7ABC123", "DOG123", "ÄBC123"}),
    ("*123*", False, False, {"ABC1234", "A8C1234", "7ABC123", "DOG123", "ÄBC123"}),
    ("123", True, False, {"ABC1234", "A8C1234", "7ABC123", "DOG123", "ÄBC123"}),
    ("ABC", True, False, {"ABC1234", "ABC1284", "7ABC123"}),
    ("ABC", True, True, {"ABC1234", "ABC1284", "A8C1234", "7ABC123"}),
    ("C1?3", True, False, {"ABC1234", "A8C1234", "7ABC123", "ÄBC123"}),
    ("OOIIL", False, False, set()),
    ("OOIIL", False, True, {"0O1IL"}),
    ("D0G*", False, False, set()),
    ("D0G*", False, True, {"DOG123"}),
    ("8?8", False, False, set()),
    ("8?8", False, True, {"B0B"}),
    ("ÄBC*", False, False, {"ÄBC123"}),
    ("XYZ9876", True, False, {"XYZ9876"}),
    ("NOPE", False, True, set()),
]


@pytest.mark.parametrize(("pattern", "partial", "fuzzy", "expected"), SEMANTICS)
def test_semantics_table(pattern: str, partial: bool, fuzzy: bool, expected: set[str]) -> None:
    p = parse_pattern(pattern, partial=partial)
    assert {plate for plate in PLATES if p.matches(plate, fuzzy=fuzzy)} == expected


def test_fold_groups_and_keeps_wildcards() -> None:
    assert fold_plate("0OQD 1IL 2Z 5S 8B 6G") == "0000 111 22 55 88 66"
    assert fold_plate("A*B?") == "A*8?"


def test_pattern_kinds_and_normalisation() -> None:
    assert parse_pattern("6pz-193").kind is PatternKind.EXACT
    assert parse_pattern("6PZ**1?3").text == "6PZ*1?3"
    assert parse_pattern("PZ1", partial=True).glob == "*PZ1*"
    assert parse_pattern("*PZ1", partial=True).glob == "*PZ1*"


@pytest.mark.parametrize(("text", "partial", "reason"), [
    ("", False, "no plate characters"),
    ("*?", False, "no plate characters"),
    ("A*", False, "at least 2 plate characters"),
    ("A", True, "at least 2 plate characters"),
    ("AB#1", False, "'#': only letters, digits"),
    ("A" * 33, False, "longer than 32"),
])
def test_bad_patterns_say_why(text: str, partial: bool, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_pattern(text, partial=partial)
    assert reason in str(exc.value)


def test_exact_pattern_of_one_character_is_fine() -> None:
    assert parse_pattern("7").matches("7")


T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


def entry(plate: str, n: int, **kw: object) -> HotlistEntry:
    return HotlistEntry(plate_raw=plate, hotlist="L", id=n, **kw)  # type: ignore[arg-type]


def test_index_kinds_best_first_and_expiry() -> None:
    stolen = entry("ABC1234", 1, priority=2)
    bolo = entry("ABC12*", 2, priority=1)
    lookalike = entry("A8C1234", 3, priority=1)
    expired = entry("ABC1234", 4, region="NY", expires_at=T0 - timedelta(seconds=1))
    index = EntryIndex([lookalike, bolo, stolen, expired])
    hits = index.match("ABC1234", at=T0)
    assert [(h.entry.id, h.kind) for h in hits] == [
        (1, MatchKind.EXACT), (2, MatchKind.WILDCARD), (3, MatchKind.POSSIBLE)]
    assert [h.entry.id for h in index.match("ABC1234", at=T0 - timedelta(hours=1))] == [1, 4, 2, 3]
    assert index.match("ZZZ999", at=T0) == []
    assert index.size == 4


def test_region_conflict_makes_a_hit_possible() -> None:
    index = EntryIndex([entry("ABC1234", 1, region="CT")])
    assert index.match("ABC1234", "CT")[0].kind is MatchKind.EXACT
    assert index.match("ABC1234", "")[0].kind is MatchKind.EXACT
    assert index.match("ABC1234", "USA")[0].kind is MatchKind.EXACT  # a country says nothing about the state
    assert index.match("ABC1234", "NY")[0].kind is MatchKind.POSSIBLE
    assert regions_conflict("ct", "NY") and not regions_conflict("CT", "ct")


@pytest.mark.parametrize(("kw", "reason"), [
    ({"plate_raw": "A*"}, "at least 3 plate characters"),
    ({"plate_raw": "AB*"}, "at least 3 plate characters"),
    ({"priority": 0}, "priority: 0 is not one of 1-5"),
    ({"expires_at": datetime(2026, 7, 4)}, "expiry: must carry a time zone"),
])
def test_entry_validation(kw: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {"plate_raw": "ABC123", **kw}
    with pytest.raises(ValidationError) as exc:
        HotlistEntry(**args)  # type: ignore[arg-type]
    assert reason in str(exc.value)


# --- brute-force reference: an independent glob matcher and fold table --------------------------------------

REF_FOLD = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}


def ref_fold(s: str) -> str:
    return "".join(REF_FOLD.get(c, c) for c in s)


def ref_glob(pattern: str, s: str) -> bool:
    """Dynamic programming over (pattern position, string position): no regex involved."""
    reach = {0}
    for p in pattern:
        if p == "*":
            reach = set(range(min(reach), len(s) + 1)) if reach else set()
        else:
            reach = {i + 1 for i in reach if i < len(s) and (p == "?" or s[i] == p)}
    return len(s) in reach


def ref_matches(pattern: str, partial: bool, fuzzy: bool, plate: str) -> bool:
    glob = f"*{pattern}*" if partial else pattern
    return ref_glob(glob, plate) or (fuzzy and ref_glob(ref_fold(glob), ref_fold(plate)))


# A small alphabet full of confusables, so random plates and patterns collide often.
ALPHABET = "AB08OQDI1LZ2S5G6"
plates_st = st.text(ALPHABET, min_size=1, max_size=7)
patterns_st = st.text(ALPHABET + "**?", min_size=1, max_size=6).filter(
    lambda p: sum(c not in "*?" for c in p) >= 2)
LOOKALIKES = {c: [d for d in ALPHABET if ref_fold(d) == ref_fold(c)] for c in ALPHABET}


@st.composite
def near_plates(draw: st.DrawFn, pattern: str) -> str:
    """A plate built from the pattern, so that matches and near misses are common: each '*' becomes 0-3
    characters, each '?' 0-2 (one is a match), letters may turn into look-alikes, and a prefix or suffix may
    be added (a match only for partial patterns)."""
    some = st.text(ALPHABET, max_size=3)
    parts = [draw(some) if draw(st.booleans()) else ""]
    for c in pattern:
        if c == "*":
            parts.append(draw(some))
        elif c == "?":
            parts.append(draw(st.text(ALPHABET, max_size=2)))
        else:
            parts.append(draw(st.sampled_from(LOOKALIKES[c])) if draw(st.booleans()) else c)
    parts.append(draw(some) if draw(st.booleans()) else "")
    return "".join(parts) or "A"


def plates_for(data: st.DataObject, pattern: str) -> list[str]:
    return data.draw(st.lists(st.one_of(plates_st, near_plates(pattern)), min_size=1, max_size=25))


@settings(max_examples=400, deadline=None)
@given(data=st.data(), pattern=patterns_st, partial=st.booleans(), fuzzy=st.booleans())
def test_pattern_matches_reference(data: st.DataObject, pattern: str, partial: bool, fuzzy: bool) -> None:
    p = parse_pattern(pattern, partial=partial)
    for plate in plates_for(data, pattern):
        assert p.matches(plate, fuzzy=fuzzy) == ref_matches(p.text, partial, fuzzy, plate), plate


entries_st = st.lists(st.one_of(plates_st.filter(lambda s: len(s) >= 1), patterns_st.filter(
    lambda p: sum(c not in "*?" for c in p) >= 3)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), entry_plates=entries_st)
def test_index_matches_reference(data: st.DataObject, entry_plates: list[str]) -> None:
    entries = [entry(p, n) for n, p in enumerate(entry_plates, 1)]
    index = EntryIndex(entries)
    for plate in plates_for(data, data.draw(st.sampled_from(entry_plates)) if entry_plates else "AB"):
        got = {(h.entry.id, h.kind) for h in index.match(plate)}
        want = set()
        for e in entries:
            if ref_glob(e.plate, plate):
                want.add((e.id, MatchKind.WILDCARD if e.is_wildcard else MatchKind.EXACT))
            elif ref_glob(ref_fold(e.plate), ref_fold(plate)):
                want.add((e.id, MatchKind.POSSIBLE))
        assert got == want, plate
