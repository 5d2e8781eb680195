"""Import of the City of Chicago's public ShotSpotter alerts (data portal "Violence Reduction - ShotSpotter
Alerts", CSV export) as GunshotReports.

Columns read (names matched case-insensitively; spaces count as underscores)::

    unique_id, date, block, zip_code, ward, community_area, area, district, beat, rounds,
    incident_type_description, latitude, longitude

``unique_id``, ``date``, ``rounds``, ``incident_type_description``, ``latitude`` and ``longitude`` are required;
every column of the row (the ones above and any other, e.g. ``location``) is kept in the alert's payload.

**Times.** The dataset's ``date`` is the local time in Chicago with no zone ("07/04/2023 09:14:05 PM" in the
portal's CSV export, "2023-07-04T21:14:05.000" from its API). It is read as America/Chicago local time (another
zone can be given) and stored in UTC. A time already carrying an offset is taken as it is. During the autumn
change the repeated hour is ambiguous: the first (daylight-saving) reading is taken. A time in the spring gap,
which did not exist, is read with the offset in force before the change (02:30 becomes 03:30 CDT).

**Types.** ``incident_type_description`` maps to the feed's types: SINGLE GUNSHOT -> single_gunshot;
MULTIPLE GUNSHOTS -> multiple_gunshots; PROBABLE GUNFIRE, GUNSHOT OR FIRECRACKER (the pre-2021 name of the
uncertain class) and POSSIBLE GUNSHOT -> probable_gunfire; any other text -> other (the text stays in the
payload). Case, underscores and a missing plural S do not matter.

Errors are ``FieldError`` with the CSV line (header = 1) and the CSV column name; nothing is raised. Whether
bad rows stop the import is the caller's choice (the CLI: all or nothing unless ``--skip-bad``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from c4desk.domain.alerts import GunshotReport
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.integrations.csv_records import csv_records
from c4desk.integrations.gunshot import GunshotType, parse_gunshot

CHICAGO = "America/Chicago"
COLUMNS = ("unique_id", "date", "block", "zip_code", "ward", "community_area", "area", "district", "beat",
           "rounds", "incident_type_description", "latitude", "longitude")
REQUIRED_COLUMNS = ("unique_id", "date", "rounds", "incident_type_description", "latitude", "longitude")
# The report field -> the column it came from (so errors name what the user sees in the file).
_COLUMN_OF = {"id": "unique_id", "type": "incident_type_description", "rounds": "rounds", "lat": "latitude",
              "lon": "longitude", "detected_at": "date", "address": "block", "beat": "beat",
              "district": "district"}
_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
_TYPES = {
    "SINGLE GUNSHOT": GunshotType.SINGLE_GUNSHOT,
    "MULTIPLE GUNSHOT": GunshotType.MULTIPLE_GUNSHOTS,
    "PROBABLE GUNFIRE": GunshotType.PROBABLE_GUNFIRE,
    "GUNSHOT OR FIRECRACKER": GunshotType.PROBABLE_GUNFIRE,
    "POSSIBLE GUNSHOT": GunshotType.PROBABLE_GUNFIRE,
    "GUNSHOT OR POSSIBLE GUNSHOT": GunshotType.PROBABLE_GUNFIRE,
}


@dataclass
class GunshotCsv:
    reports: list[GunshotReport] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    rows: int = 0  # records read (blank lines not counted)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def shotspotter_type(description: str) -> GunshotType:
    """The feed type for an ``incident_type_description`` (see the module docstring)."""
    key = re.sub(r"[\s_]+", " ", description).strip().upper()
    key = re.sub(r"GUNSHOTS\b", "GUNSHOT", key)
    return _TYPES.get(key, GunshotType.OTHER)


def local_time(text: str, zone: ZoneInfo) -> datetime:
    """A dataset time as an aware datetime (naive ones are ``zone`` local time). Raises ValueError."""
    value = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date like 07/04/2023 09:14:05 PM or 2023-07-04T21:14:05") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)  # fold=0: the first reading of an ambiguous time
    return parsed


def _number(text: str) -> Any:
    """A CSV cell as a JSON-like number when it is one (so the payload rules apply), else the text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_shotspotter_csv(content: str, *, zone: str = CHICAGO) -> GunshotCsv:
    out = GunshotCsv()
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        out.errors.append(FieldError("zone", f"unknown time zone {zone!r}"))
        return out
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        out.errors.append(FieldError("header", f"unreadable CSV: {exc}", 1))
        return out
    if header is None or not any(h.strip() for h in header):
        out.errors.append(FieldError("file", "empty file: expected a header line", 1))
        return out
    names = [re.sub(r"\s+", "_", h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        out.errors.append(FieldError("header", f"missing required column(s): {', '.join(missing)}", 1))
        return out
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        out.errors.append(FieldError("header", f"duplicate column(s): {', '.join(duplicated)}", 1))
        return out
    seen: dict[str, int] = {}
    for start, raw in csv_records(reader, names, out.errors):
        out.rows += 1
        if raw is None:
            continue
        record = {name: value.strip() for name, value in raw.items()}
        report = _report(record, start, tz, out.errors)
        if report is None:
            continue
        if report.id in seen:
            out.errors.append(FieldError("unique_id", f"duplicate {report.id!r} (first on line {seen[report.id]})",
                                         start))
            continue
        seen[report.id] = start
        out.reports.append(report)
    return out


def read_shotspotter_csv(path: Path | str, *, zone: str = CHICAGO) -> GunshotCsv:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return GunshotCsv(errors=[FieldError("file", f"cannot read: {exc.strerror or exc}")])
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return GunshotCsv(errors=[FieldError("file", f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line)])
    return parse_shotspotter_csv(content, zone=zone)


def _report(record: dict[str, str], line: int, zone: ZoneInfo, errors: list[FieldError]) -> GunshotReport | None:
    problems: list[FieldError] = []
    obj: dict[str, Any] = {"id": record.get("unique_id") or None}
    description = record.get("incident_type_description", "")
    obj["type"] = shotspotter_type(description).value if description else None
    for key, column in (("rounds", "rounds"), ("lat", "latitude"), ("lon", "longitude")):
        text = record.get(column, "")
        obj[key] = _number(text) if text else None
    when = record.get("date", "")
    obj["detected_at"] = None
    if when:
        try:
            obj["detected_at"] = local_time(when, zone).isoformat()
        except ValueError as exc:
            problems.append(FieldError("date", str(exc), line))
            obj.pop("detected_at")
    for key, column in (("address", "block"), ("beat", "beat"), ("district", "district")):
        if record.get(column):
            obj[key] = record[column]
    try:
        report = parse_gunshot(obj)
    except ValidationError as exc:
        for err in exc.errors:
            if err.field == "detected_at" and "detected_at" not in obj:
                continue  # already reported as a date problem
            problems.append(FieldError(_COLUMN_OF.get(err.field, err.field), err.reason, line))
        errors.extend(problems)
        return None
    if problems:
        errors.extend(problems)
        return None
    return replace(report, payload={"source": "chicago-shotspotter-csv", "row": record})
