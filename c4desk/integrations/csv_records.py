"""Walking a CSV file's records with the line each starts on, the one way every importer reports `line N`."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Any

from c4desk.domain.errors import FieldError


def csv_records(reader: Any, names: Sequence[str], errors: list[FieldError]
                ) -> Iterator[tuple[int, dict[str, str] | None]]:
    """``(line, record)`` for every non-blank record after the header; ``line`` is where the record starts (a
    quoted field may span lines). A record with more values than the header has columns is reported in
    ``errors`` and yielded as None; short records are fine (spreadsheets drop trailing empty cells). An unreadable
    record is reported and ends the file. Columns with an empty header name are dropped."""
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(FieldError("row", f"unreadable CSV: {exc}", line))
            return
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank lines (and trailing ones) are not records
        if len(row) > len(names):
            errors.append(FieldError("row", f"{len(row)} values but the header has {len(names)} columns", start))
            yield start, None
            continue
        yield start, {name: value for name, value in zip(names, row, strict=False) if name}
