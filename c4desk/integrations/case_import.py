"""Historical cases from an RMS export (CSV), for the solvability figures: parse and check every row.

Header row required. Columns (order free, names case-insensitive)::

    number, type, opened_at, status, cleared_at, video_component, excluded_reason[, title]

* ``number``, ``type``, ``opened_at`` and ``status`` are required on every row; ``type`` is stored lower case.
* ``status``: ``open``, ``cleared`` or ``closed``. A case counts as cleared when ``cleared_at`` is given or its
  status is ``cleared`` (a cleared case later closed keeps its ``cleared_at``).
* Times: ``YYYY-MM-DD`` (that day's start in the import's zone, UTC unless told) or ISO 8601 with a zone
  (``2025-03-04T21:15:00-05:00``, ``...Z``). A time without a zone is refused: it would mean different instants
  on different seats.
* ``video_component``: ``yes``/``no`` (also y/n, true/false, 1/0); empty means "derive it from c4desk's own
  records" (useful video found by a search, or a clip tagged to the case that was not rejected).
* ``excluded_reason``: empty, or why the case is unsolvable for reasons outside video; such cases are left out
  of the figures and listed.
* An unknown column is an error (a misspelt ``video_componet`` would otherwise drop the column silently).

Every bad row is reported as ``line N: field: reason`` (header = line 1); a number repeated in the file is an
error on its second line. Nothing is stored here; the CLI stores nothing when any row is bad.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.integrations.csv_records import csv_records
from c4desk.store.case_history import HistoricCase

REQUIRED = ("number", "type", "opened_at", "status")
OPTIONAL = ("cleared_at", "video_component", "excluded_reason", "title")
COLUMNS = REQUIRED + OPTIONAL
_ALIASES = {"case_number": "number", "case_no": "number", "case_type": "type", "opened": "opened_at",
            "cleared": "cleared_at", "video": "video_component", "excluded": "excluded_reason",
            "exclusion": "excluded_reason"}
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


@dataclass
class CaseFile:
    cases: list[HistoricCase] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def _column(header: str) -> str:
    key = "_".join(header.strip().lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def parse_when(text: str, tz: tzinfo = UTC) -> datetime:
    """A date (its start in ``tz``) or an ISO 8601 time with a zone, as aware UTC."""
    text = text.strip()
    try:
        if len(text) == 10 and "T" not in text:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=tz).astimezone(UTC)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise ValueError(f"{text!r} has no time zone: add Z or an offset, or give a date")
    return at.astimezone(UTC)


def parse_yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"{text!r} is not yes or no (or empty: derive from c4desk's records)")


def _case(raw: dict[str, str], tz: tzinfo) -> HistoricCase:
    errors: list[FieldError] = []
    times: dict[str, datetime | None] = {}
    for name in ("opened_at", "cleared_at"):
        text = raw.get(name, "").strip()
        times[name] = None
        if not text:
            if name == "opened_at":
                errors.append(FieldError(name, "required"))
            continue
        try:
            times[name] = parse_when(text, tz)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    try:
        video = parse_yes_no(raw.get("video_component", ""))
    except ValueError as exc:
        errors.append(FieldError("video_component", str(exc)))
        video = None
    try:
        case = HistoricCase(number=raw.get("number", "").strip(), case_type=raw.get("type", "").strip().lower(),
                            opened_at=times["opened_at"] or datetime(2000, 1, 1, tzinfo=UTC),
                            status=raw.get("status", "").strip().lower(), cleared_at=times["cleared_at"],
                            video_component=video, excluded_reason=raw.get("excluded_reason", "").strip(),
                            title=raw.get("title", "").strip())
    except ValidationError as exc:
        # A missing or bad opened_at is already reported; don't also blame cleared_at's order against a stand-in.
        reported = {e.field for e in errors}
        extra = [e for e in exc.errors if not (e.field == "cleared_at" and "opened_at" in reported)]
        raise ValidationError(errors + extra) from None
    if errors:
        raise ValidationError(errors)
    return case


def parse_case_csv(text: str, *, tz: tzinfo = UTC) -> CaseFile:
    """Parse a whole file's text; problems are returned in ``errors``, never raised."""
    out = CaseFile()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        out.errors.append(FieldError("header", f"empty file; expected columns {', '.join(COLUMNS)}", 1))
        return out
    names = [_column(h) for h in header]
    unknown = [h.strip() for h, n in zip(header, names, strict=True) if n and n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if unknown:
        out.errors.append(FieldError("header", f"unknown column(s) {', '.join(unknown)}; known: "
                                               f"{', '.join(COLUMNS)}", 1))
    if missing:
        out.errors.append(FieldError("header", f"missing column(s) {', '.join(missing)}", 1))
    if repeated:
        out.errors.append(FieldError("header", f"column(s) named twice: {', '.join(repeated)}", 1))
    if out.errors:
        return out
    first_line: dict[str, int] = {}
    for line, raw in csv_records(reader, names, out.errors):
        if raw is None:
            continue
        try:
            case = _case(raw, tz)
        except ValidationError as exc:
            out.errors.extend(replace(e, line=line) for e in exc.errors)
            continue
        if case.number in first_line:
            out.errors.append(FieldError("number", f"{case.number} repeats line {first_line[case.number]}", line))
            continue
        first_line[case.number] = line
        out.cases.append(case)
    return out


def read_case_csv(path: Path | str, *, tz: tzinfo = UTC) -> CaseFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return CaseFile(errors=[FieldError("file", f"cannot read: {exc.strerror or exc}")])
    try:
        text = data.decode("utf-8-sig")  # spreadsheet programs put a byte-order mark before the header
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return CaseFile(errors=[FieldError("file", "not UTF-8 text; save the file as UTF-8", line)])
    return parse_case_csv(text, tz=tz)
