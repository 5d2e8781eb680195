"""Hotlist files: every delimiter, NCIC headers, annotations, expiry forms, and bad rows named by line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from c4desk.integrations.hotlist_files import parse_hotlist_text, read_hotlist_file

ROWS = [["plate", "state", "category", "reason", "priority", "expiry", "colour"],
        ["ABC-123", "ct", "STOLEN", "stolen 7/1", "1", "2026-08-01", "red"],
        ["XYZ 789", "", "", "", "", "", ""]]


@pytest.mark.parametrize("delimiter", [",", ";", ":", "\t"])
def test_each_delimiter(delimiter: str) -> None:
    parsed = parse_hotlist_text("\n".join(delimiter.join(r) for r in ROWS) + "\n", hotlist="L", entered_by="ana")
    assert parsed.ok and parsed.delimiter == delimiter
    first, second = parsed.entries
    assert (first.plate, first.region, first.category, first.reason, first.priority) == (
        "ABC123", "CT", "STOLEN", "stolen 7/1", 1)
    # A date means "through that day": the entry expires at the next midnight, UTC.
    assert first.expires_at == datetime(2026, 8, 2, tzinfo=UTC)
    assert first.annotations == {"colour": "red"} and (first.hotlist, first.entered_by) == ("L", "ana")
    assert (second.plate, second.region, second.priority, second.expires_at, second.annotations) == (
        "XYZ789", "", 2, None, {})


def test_ncic_headers() -> None:
    text = ("LIC,LIS,LIT,LIY,VIN,VMA,VMO,VST,VYR,VCO,NIC,ORI,OCA\n"
            "6PZ193,CT,PC,2026,1HGCM82633A004352,HOND,ACC,4D,2019,BLK,V123456789,CT0000000,24-1234\n")
    parsed = parse_hotlist_text(text)
    assert parsed.ok
    [entry] = parsed.entries
    assert (entry.plate, entry.region) == ("6PZ193", "CT")
    assert entry.annotations == {"LIT": "PC", "LIY": "2026", "VIN": "1HGCM82633A004352", "VMA": "HOND",
                                 "VMO": "ACC", "VST": "4D", "VYR": "2019", "VCO": "BLK", "NIC": "V123456789",
                                 "ORI": "CT0000000", "OCA": "24-1234"}


def test_header_aliases_and_case() -> None:
    parsed = parse_hotlist_text("License Plate;Plate-State;Expires At\nAB1234;ny;2026-08-01T06:00:00+02:00\n")
    assert parsed.ok
    [entry] = parsed.entries
    assert (entry.plate, entry.region, entry.expires_at) == ("AB1234", "NY", datetime(2026, 8, 1, 4, tzinfo=UTC))


def test_wildcard_entries_and_compact_dates() -> None:
    parsed = parse_hotlist_text("plate\texpiry\n7K*3?\t20260801\n")
    assert parsed.ok and parsed.entries[0].plate == "7K*3?"
    assert parsed.entries[0].expires_at == datetime(2026, 8, 2, tzinfo=UTC)


def test_bad_rows_are_named_by_line_and_field() -> None:
    text = ("plate,state,priority,expiry\n"
            "ABC123,CT,1,\n"
            ",CT,1,\n"              # line 3: no plate
            "AB#12,CT,9,\n"         # line 4: two problems
            "ABC124,CT,x,soon\n"    # line 5: two problems
            "\n"
            "A*,,,\n"               # line 7: wildcard too broad
            "abc-123,ct,2,\n"       # line 8: repeats line 2
            "ABC125,CT,1,2026-08-01T06:00\n"  # line 9: time without zone
            "ABC126,CT,1,,extra\n")  # line 10: too many fields
    parsed = parse_hotlist_text(text)
    assert [str(err) for err in parsed.errors] == [
        "line 3: plate: no plate characters",
        "line 4: plate: '#': only letters, digits, '*' and '?' are allowed",
        "line 4: priority: 9 is not one of 1-5 (1 most urgent)",
        "line 5: priority: 'x' is not a whole number 1-5",
        "line 5: expiry: 'soon': not a date (YYYY-MM-DD or YYYYMMDD) or an ISO time with a zone",
        "line 7: plate: give at least 3 plate characters with wildcards",
        "line 8: plate: ABC123 CT repeats line 2",
        "line 9: expiry: '2026-08-01T06:00': a time needs a zone ('Z' or an offset), or give a date",
        "line 10: row: 5 fields, the header has 4",
    ]
    assert [x.plate for x in parsed.entries] == ["ABC123"]


def test_no_plate_column() -> None:
    parsed = parse_hotlist_text("state,reason\nCT,x\n")
    assert [str(err) for err in parsed.errors] == ["line 1: header: no plate column (plate, LIC, tag, ...)"]


def test_file_with_bom_and_not_utf8(tmp_path: Path) -> None:
    good = tmp_path / "list.csv"
    good.write_bytes("\ufeffplate,reason\nÄBC123,Zulassung gestohlen\n".encode())
    parsed = read_hotlist_file(good)
    assert parsed.ok and parsed.entries[0].plate == "ÄBC123"
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("plate\nABC1\n\xc4BC123\n".encode("latin-1"))
    assert [str(err) for err in read_hotlist_file(bad).errors] == [
        "line 3: file: not UTF-8 text; save the file as UTF-8"]
    assert "cannot read" in str(read_hotlist_file(tmp_path / "missing.csv").errors[0])
