"""Plate patterns, hotlist entries and how a read matches them. Pure: search and live matching share it.

Three kinds of match, best first:
* exact: the normalised plate equals the entry (or pattern) character for character;
* wildcard: the entry is a pattern, ``*`` standing for any run of characters (also none) and ``?`` for one;
* possible: equal only after OCR-confusable characters are folded together (0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B,
  6/G), or the plate matches but the read's region contradicts the entry's. An analyst must look at the image.

Folding maps every character of a group to one representative, so "possibly the same plate" is plain string
equality of folded forms: a dictionary lookup when matching live and an indexed column when searching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.plates import normalise_plate

CONFUSABLE_GROUPS = ("0OQD", "1IL", "2Z", "5S", "8B", "6G")
_FOLD = str.maketrans({c: group[0] for group in CONFUSABLE_GROUPS for c in group})
WILDCARDS = frozenset("*?")
MAX_PLATE_LENGTH = 32  # the width of the plate columns
# A wildcard search needs this many real characters; a hotlist wildcard entry more, or it would alert on a
# large share of all traffic.
MIN_SEARCH_LITERALS = 2
MIN_ENTRY_LITERALS = 3
PRIORITIES = range(1, 6)  # 1 is the most urgent, as for every alert


def fold_plate(text: str) -> str:
    """The form two plates share when they differ only by OCR-confusable characters (wildcards are kept)."""
    return text.translate(_FOLD)


class PatternKind(StrEnum):
    EXACT = "exact"
    WILDCARD = "wildcard"
    PARTIAL = "partial"  # the pattern may stand anywhere in the plate


class MatchKind(StrEnum):
    EXACT = "exact"
    WILDCARD = "wildcard"
    POSSIBLE = "possible"


_RANK = {MatchKind.EXACT: 0, MatchKind.WILDCARD: 1, MatchKind.POSSIBLE: 2}


def glob_regex(glob: str) -> re.Pattern[str]:
    """A regex that ``fullmatch``es exactly what ``glob`` (``*`` any run, ``?`` one character) matches."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), re.DOTALL)


@dataclass(frozen=True)
class PlatePattern:
    """A validated, normalised pattern. ``glob`` is what a plate must match as a whole."""

    text: str
    kind: PatternKind

    @property
    def glob(self) -> str:
        return f"*{self.text}*".replace("**", "*") if self.kind is PatternKind.PARTIAL else self.text

    @property
    def has_wildcards(self) -> bool:
        return any(c in WILDCARDS for c in self.glob)

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return glob_regex(self.glob)

    @cached_property
    def _folded_regex(self) -> re.Pattern[str]:
        return glob_regex(fold_plate(self.glob))

    def match_kind(self, plate_norm: str) -> MatchKind | None:
        """How ``plate_norm`` matches: exact/wildcard, possible (only once folded), or None."""
        if not self.has_wildcards:
            if plate_norm == self.glob:
                return MatchKind.EXACT
            return MatchKind.POSSIBLE if fold_plate(plate_norm) == fold_plate(self.glob) else None
        if self._regex.fullmatch(plate_norm):
            return MatchKind.WILDCARD
        return MatchKind.POSSIBLE if self._folded_regex.fullmatch(fold_plate(plate_norm)) else None

    def matches(self, plate_norm: str, *, fuzzy: bool = False) -> bool:
        kind = self.match_kind(plate_norm)
        return kind is not None and (fuzzy or kind is not MatchKind.POSSIBLE)


def pattern_errors(text: str, name: str, *, partial: bool = False,
                   min_literals: int = MIN_SEARCH_LITERALS) -> tuple[str, list[FieldError]]:
    """Normalise a plate or pattern and list what is wrong with it (empty list: it is fine)."""
    norm = re.sub(r"\*+", "*", normalise_plate(text))
    errors: list[FieldError] = []
    bad = sorted({c for c in norm if not (c.isalnum() or c in WILDCARDS)})
    literals = sum(1 for c in norm if c not in WILDCARDS)
    if not literals:
        errors.append(FieldError(name, "no plate characters"))
    elif bad:
        errors.append(FieldError(name, f"{''.join(bad)!r}: only letters, digits, '*' and '?' are allowed"))
    elif (partial or any(c in WILDCARDS for c in norm)) and literals < min_literals:
        errors.append(FieldError(name, f"give at least {min_literals} plate characters with wildcards"))
    if len(norm) > MAX_PLATE_LENGTH:
        errors.append(FieldError(name, f"longer than {MAX_PLATE_LENGTH} characters"))
    return norm, errors


def parse_pattern(text: str, *, partial: bool = False, name: str = "pattern") -> PlatePattern:
    """A search pattern: exact unless it holds ``*``/``?``; ``partial`` looks for it anywhere in the plate."""
    norm, errors = pattern_errors(text, name, partial=partial)
    if errors:
        raise ValidationError(errors)
    if partial:
        return PlatePattern(norm, PatternKind.PARTIAL)
    return PlatePattern(norm, PatternKind.WILDCARD if any(c in WILDCARDS for c in norm) else PatternKind.EXACT)


@dataclass(frozen=True, kw_only=True)
class HotlistEntry:
    """One plate (or wildcard pattern, e.g. a BOLO for a partial plate) on a hotlist. ``id`` is set once stored."""

    plate_raw: str
    hotlist: str = ""
    region: str = ""
    category: str = ""
    priority: int = 2
    reason: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict, compare=False)
    expires_at: datetime | None = None
    entered_by: str = ""
    added_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        _, errors = pattern_errors(self.plate_raw, "plate", min_literals=MIN_ENTRY_LITERALS)
        if self.priority not in PRIORITIES:
            errors.append(FieldError("priority", f"{self.priority!r} is not one of 1-5 (1 most urgent)"))
        if self.expires_at is not None and self.expires_at.utcoffset() is None:
            errors.append(FieldError("expiry", "must carry a time zone (UTC)"))
        if len(self.region) > 16:
            errors.append(FieldError("state", "longer than 16 characters"))
        if errors:
            raise ValidationError(errors)

    @cached_property
    def plate(self) -> str:
        """The normalised plate or pattern."""
        return re.sub(r"\*+", "*", normalise_plate(self.plate_raw))

    @property
    def is_wildcard(self) -> bool:
        return any(c in WILDCARDS for c in self.plate)

    def active(self, at: datetime) -> bool:
        return self.expires_at is None or self.expires_at > at


@dataclass(frozen=True)
class Hit:
    entry: HotlistEntry
    kind: MatchKind


def regions_conflict(entry_region: str, read_region: str) -> bool:
    """Both known and different. Codes of different lengths (state "CT", country "USA") do not contradict."""
    a, b = entry_region.strip().upper(), read_region.strip().upper()
    return bool(a and b) and len(a) == len(b) and a != b


def rank_hits(hits: Iterable[Hit]) -> list[Hit]:
    """Best first: exact, wildcard, possible; then the most urgent priority; then the oldest entry."""
    return sorted(hits, key=lambda h: (_RANK[h.kind], h.entry.priority, h.entry.id or 0, h.entry.plate))


class EntryIndex:
    """Hotlist entries indexed for matching one read in microseconds.

    Exact entries sit in a dict by plate, every non-wildcard entry also in a dict by folded plate; wildcard
    entries are a list of compiled patterns (there are few: BOLOs for partial plates).
    """

    def __init__(self, entries: Iterable[HotlistEntry]) -> None:
        self._exact: dict[str, list[HotlistEntry]] = {}
        self._folded: dict[str, list[HotlistEntry]] = {}
        self._wild: list[tuple[HotlistEntry, re.Pattern[str], re.Pattern[str]]] = []
        self.size = 0
        for e in entries:
            self.size += 1
            if e.is_wildcard:
                self._wild.append((e, glob_regex(e.plate), glob_regex(fold_plate(e.plate))))
            else:
                self._exact.setdefault(e.plate, []).append(e)
                self._folded.setdefault(fold_plate(e.plate), []).append(e)

    def match(self, plate_norm: str, region: str = "", at: datetime | None = None) -> list[Hit]:
        """Every entry the plate hits (each once, with its best kind), best first; expired ones skipped."""
        found: dict[int, Hit] = {}

        def add(entry: HotlistEntry, kind: MatchKind) -> None:
            if at is not None and not entry.active(at):
                return
            if kind is not MatchKind.POSSIBLE and regions_conflict(entry.region, region):
                kind = MatchKind.POSSIBLE
            old = found.get(id(entry))
            if old is None or _RANK[kind] < _RANK[old.kind]:
                found[id(entry)] = Hit(entry, kind)

        for e in self._exact.get(plate_norm, ()):
            add(e, MatchKind.EXACT)
        folded = fold_plate(plate_norm)
        for e in self._folded.get(folded, ()):
            add(e, MatchKind.POSSIBLE)
        for e, rx, folded_rx in self._wild:
            if rx.fullmatch(plate_norm):
                add(e, MatchKind.WILDCARD)
            elif folded_rx.fullmatch(folded):
                add(e, MatchKind.POSSIBLE)
        return rank_hits(found.values())
