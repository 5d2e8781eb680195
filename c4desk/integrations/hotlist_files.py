"""Hotlist files (agency lists, NCIC extracts): header row, delimiter detected, every bad row reported.

A header row names the columns. ``plate`` is required; state, category, reason, priority and expiry are
optional; any other column is kept as an annotation shown with a hit. NCIC vehicle field codes are accepted as
headers: LIC is the plate and LIS the state; LIT, LIY, VIN, VMA, VMO, VST, VYR, VCO, NIC, ORI and OCA become
annotations under their code. The delimiter is whichever of ``,`` ``;`` ``:`` or tab the header uses most. In a
``:``-separated file give expiry as a date (a time's colons would split it). Expiry: a date means "through that
day (UTC)"; a time must carry a zone. Errors read ``line N: field: reason`` (header = line 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.plate_match import HotlistEntry

DELIMITERS = (",", ";", ":", "\t")
NCIC_ANNOTATIONS = {
    "LIT": "plate type", "LIY": "plate year", "VIN": "VIN", "VMA": "make", "VMO": "model", "VST": "style",
    "VYR": "vehicle year", "VCO": "colour", "NIC": "NCIC number", "ORI": "originating agency", "OCA": "case number",
}
_ALIASES = {
    "plate": ("plate", "lic", "license", "licence", "license_plate", "licence_plate", "plate_number", "tag"),
    "state": ("state", "lis", "region", "plate_state", "country"),
    "category": ("category",),
    "reason": ("reason", "description", "remarks"),
    "priority": ("priority",),
    "expiry": ("expiry", "expires", "expires_at", "expiration", "expiration_date", "expiry_date"),
}
_FIELD_OF = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


@dataclass
class HotlistFile:
    entries: list[HotlistEntry] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    delimiter: str = ","

    @property
    def ok(self) -> bool:
        return not self.errors


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def parse_expiry(text: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` (through that day, UTC) or an ISO time with a zone."""
    text = text.strip()
    try:
        if len(text) in (8, 10) and "T" not in text:
            day = date.fromisoformat(text if len(text) == 10 else f"{text[:4]}-{text[4:6]}-{text[6:]}")
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a date (YYYY-MM-DD or YYYYMMDD) or an ISO time with a zone") from None
    if at.utcoffset() is None:
        raise ValueError("a time needs a zone ('Z' or an offset), or give a date")
    return at


def _entry(raw: dict[str, str], annotations: dict[str, str], hotlist: str, entered_by: str) -> HotlistEntry:
    errors: list[FieldError] = []
    priority = 2
    if raw.get("priority"):
        try:
            priority = int(raw["priority"])
        except ValueError:
            errors.append(FieldError("priority", f"{raw['priority']!r} is not a whole number 1-5"))
    expires_at = None
    if raw.get("expiry"):
        try:
            expires_at = parse_expiry(raw["expiry"])
        except ValueError as exc:
            errors.append(FieldError("expiry", f"{raw['expiry']!r}: {exc}"))
    if len(raw.get("category", "")) > 64:
        errors.append(FieldError("category", "longer than 64 characters"))
    try:
        entry = HotlistEntry(plate_raw=raw.get("plate", ""), hotlist=hotlist, region=raw.get("state", "").upper(),
                             category=raw.get("category", ""), priority=priority, reason=raw.get("reason", ""),
                             annotations=annotations, expires_at=expires_at, entered_by=entered_by)
    except ValidationError as exc:
        raise ValidationError(errors + exc.errors) from exc
    if errors:
        raise ValidationError(errors)
    return entry


def parse_hotlist_text(text: str, *, hotlist: str = "", entered_by: str = "") -> HotlistFile:
    """Parse a whole file's text. Problems are returned in ``errors``, never raised."""
    out = HotlistFile()
    first = text.split("\n", 1)[0]
    out.delimiter = detect_delimiter(first)
    reader = csv.reader(io.StringIO(text), delimiter=out.delimiter)
    header = next(reader, [])
    fields = [_FIELD_OF.get(_key(h), "") for h in header]
    if "plate" not in fields:
        out.errors.append(FieldError("header", "no plate column (plate, LIC, tag, ...)", 1))
        return out
    names = [h.strip() for h in header]
    seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            out.errors.append(FieldError("row", f"{len(cells)} fields, the header has {len(header)}", line))
            continue
        raw: dict[str, str] = {}
        annotations: dict[str, str] = {}
        for name, fld, cell in zip(names, fields, cells, strict=False):
            value = cell.strip()
            if fld:
                raw[fld] = value
            elif value:
                annotations[name.upper() if name.upper() in NCIC_ANNOTATIONS else name] = value
        try:
            entry = _entry(raw, annotations, hotlist, entered_by)
        except ValidationError as exc:
            out.errors.extend(replace(e, line=line) for e in exc.errors)
            continue
        key = (entry.plate, entry.region)
        if key in seen:
            out.errors.append(FieldError("plate", f"{entry.plate} {entry.region} repeats line {seen[key]}".rstrip(),
                                         line))
            continue
        seen[key] = line
        out.entries.append(entry)
    return out


def read_hotlist_file(path: Path | str, *, hotlist: str = "", entered_by: str = "") -> HotlistFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return HotlistFile(errors=[FieldError("file", f"cannot read: {exc.strerror or exc}")])
    try:
        text = data.decode("utf-8-sig")  # spreadsheet programs put a byte-order mark before the header
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return HotlistFile(errors=[FieldError("file", "not UTF-8 text; save the file as UTF-8", line)])
    return parse_hotlist_text(text, hotlist=hotlist, entered_by=entered_by)
