"""Bulk plate reads from CSV (an older reader's export, a mobile unit's upload): parse and validate by line.

Header row required; columns ``plate, region, read_at, camera_id, confidence, direction`` (``plate``,
``read_at`` and ``camera_id`` required; ``car_id`` optional; other columns are ignored). ``read_at`` must carry a
time zone. Rows are yielded one at a time so a million-line file never sits in memory as reads; errors carry
the CSV line (header = line 1). Nothing is stored here.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.plate_match import MAX_PLATE_LENGTH
from c4desk.domain.plates import LprRead, normalise_plate

REQUIRED = ("plate", "read_at", "camera_id")
KNOWN = (*REQUIRED, "region", "confidence", "direction", "car_id")
_PLACEHOLDER = datetime(2000, 1, 1, tzinfo=UTC)  # stands in for a missing time, already reported


@dataclass(frozen=True)
class CsvRow:
    line: int
    read: LprRead | None
    errors: list[FieldError]


def _read(raw: dict[str, str], errors: list[FieldError]) -> LprRead | None:
    plate = raw.get("plate", "")
    if len(plate) > MAX_PLATE_LENGTH:
        errors.append(FieldError("plate", f"longer than {MAX_PLATE_LENGTH} characters"))
    elif not all(c.isalnum() for c in normalise_plate(plate)):
        errors.append(FieldError("plate", f"{plate!r}: only letters and digits (and spaces, dashes, dots)"))
    read_at: datetime | None = None
    if raw.get("read_at"):
        try:
            read_at = datetime.fromisoformat(raw["read_at"])
        except ValueError:
            errors.append(FieldError("read_at", f"{raw['read_at']!r} is not an ISO 8601 time"))
    else:
        errors.append(FieldError("read_at", "required"))
    confidence: float | None = None
    if raw.get("confidence"):
        try:
            confidence = float(raw["confidence"])
        except ValueError:
            errors.append(FieldError("confidence", f"{raw['confidence']!r} is not a number"))
        else:
            if not math.isfinite(confidence):
                errors.append(FieldError("confidence", "must be finite"))
    region = raw.get("region", "").upper()
    if len(region) > 16:
        errors.append(FieldError("region", "longer than 16 characters"))
    if len(raw.get("car_id", "")) > 64:
        errors.append(FieldError("car_id", "longer than 64 characters"))
    try:
        # LprRead checks the rest: camera id present, plate characters, zone on read_at, ranges, direction.
        read = LprRead(camera_id=raw.get("camera_id", ""), plate_raw=plate, read_at=read_at or _PLACEHOLDER,
                       region=region, confidence=confidence, direction=raw.get("direction", "").lower(),
                       car_id=raw.get("car_id", ""))
    except ValidationError as exc:
        errors.extend(exc.errors)
        return None
    return None if errors else read


def iter_lpr_csv(lines: Iterable[str]) -> Iterator[CsvRow]:
    """One CsvRow per data row (blank lines skipped); a header problem is one row with line 1 and no read."""
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield CsvRow(1, None, [FieldError("header", f"missing column(s) {', '.join(missing)}; expected "
                                                    f"{', '.join(KNOWN)}", 1)])
        return
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield CsvRow(line, None, [FieldError("row", f"{len(cells)} fields, the header has {len(header)}", line)])
            continue
        raw = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name in KNOWN}
        errors: list[FieldError] = []
        read = _read(raw, errors)
        yield CsvRow(line, read, [replace(e, line=line) for e in errors])


def check_cameras(rows: Iterable[CsvRow], known: set[str]) -> Iterator[CsvRow]:
    """Add an error to rows whose camera does not exist (reads must name a known camera)."""
    for row in rows:
        if row.read is not None and row.read.camera_id not in known:
            reason = f"unknown camera {row.read.camera_id!r}"
            row = CsvRow(row.line, None, [FieldError("camera_id", reason, row.line)])
        yield row
