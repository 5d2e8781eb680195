"""RMS case export parsing: the columns, dates and zones, yes/no, and every bad row reported as line N: field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from c4desk.integrations.case_import import parse_case_csv, read_case_csv

GOOD = """number,type,opened_at,status,cleared_at,video_component,excluded_reason
HPD-25-0001,Shooting,2025-03-04,cleared,2025-03-20,yes,
HPD-25-0002,robbery,2025-03-05T21:15:00-05:00,open,,no,
HPD-25-0003,homicide,2025-03-06T02:00:00Z,closed,2025-04-01T10:00:00Z,,
HPD-25-0004,carjacking,2025-03-07,closed,,N,"victim declined to cooperate, left the state"
"""


def test_a_good_export() -> None:
    parsed = parse_case_csv(GOOD)
    assert parsed.errors == []
    one, two, three, four = parsed.cases
    assert (one.number, one.case_type, one.status, one.video_component) == ("HPD-25-0001", "shooting", "cleared", True)
    assert one.opened_at == datetime(2025, 3, 4, tzinfo=UTC) and one.cleared_at == datetime(2025, 3, 20, tzinfo=UTC)
    assert two.opened_at == datetime(2025, 3, 6, 2, 15, tzinfo=UTC) and two.video_component is False
    assert three.video_component is None and three.cleared_at == datetime(2025, 4, 1, 10, tzinfo=UTC)
    assert four.excluded_reason == "victim declined to cooperate, left the state" and four.cleared_at is None
    assert all(c.origin == "rms" for c in parsed.cases)


def test_dates_in_a_local_zone_and_header_aliases() -> None:
    text = "Case Number,Case Type,Opened,Status,Title\nX-1,Shooting,2025-07-04,open,July 4th\n"
    parsed = parse_case_csv(text, tz=ZoneInfo("America/New_York"))
    assert parsed.errors == []
    assert parsed.cases[0].opened_at == datetime(2025, 7, 4, 4, tzinfo=UTC) and parsed.cases[0].title == "July 4th"


def test_every_bad_row_is_reported_by_line_and_field() -> None:
    text = ("number,type,opened_at,status,cleared_at,video_component,excluded_reason\n"
            "A-1,shooting,2025-03-04,solved,,yes,\n"  # line 2: status
            "A-2,,2025-03-04T10:00:00,open,,maybe,\n"  # line 3: type, opened_at without zone, video
            "A-3,robbery,2025-03-04,open,2025-03-10,,\n"  # line 4: cleared but open
            "\n"
            "A-4,robbery,2025-03-10,cleared,2025-03-01,,\n"  # line 6: cleared before opened
            '"A-5","homicide","yesterday","cleared","",,\n'  # line 7: opened_at unreadable
            "A-1,shooting,2025-03-04,open,,,\n"  # line 8: repeats line 2? (line 2 was bad, so no)
            "A-6,shooting,2025-03-04,open,,,\n"
            "A-6,shooting,2025-03-05,open,,,\n"  # line 10: repeats line 9
            "A-7,shooting,2025-03-04,open,,,,extra\n")  # line 11: too many values
    parsed = parse_case_csv(text)
    assert [str(e) for e in parsed.errors] == [
        "line 2: status: 'solved' is not one of open, cleared, closed",
        "line 3: opened_at: '2025-03-04T10:00:00' has no time zone: add Z or an offset, or give a date",
        "line 3: video_component: 'maybe' is not yes or no (or empty: derive from c4desk's records)",
        "line 3: type: required",
        "line 4: cleared_at: is set but status is open",
        "line 6: cleared_at: is before opened_at",
        "line 7: opened_at: 'yesterday' is not a date (YYYY-MM-DD) or an ISO 8601 time",
        "line 10: number: A-6 repeats line 9",
        "line 11: row: 8 values but the header has 7 columns",
    ]
    assert [c.number for c in parsed.cases] == ["A-1", "A-6"]
    assert parsed.bad_lines == 7


def test_header_problems() -> None:
    parsed = parse_case_csv("number,type,opened,video_componet,type\n1,x,2025-01-01,yes,x\n")
    assert [str(e) for e in parsed.errors] == [
        "line 1: header: unknown column(s) video_componet; known: number, type, opened_at, status, cleared_at, "
        "video_component, excluded_reason, title",
        "line 1: header: missing column(s) status",
        "line 1: header: column(s) named twice: type",
    ]
    assert parse_case_csv("").errors[0].field == "header"


def test_files_bom_and_encoding(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("\ufeff".encode() + GOOD.encode())
    assert len(read_case_csv(tmp_path / "bom.csv").cases) == 4
    (tmp_path / "latin.csv").write_bytes(b"number,type,opened_at,status\nA,vol\xe9,2025-01-01,open\n")
    assert [str(e) for e in read_case_csv(tmp_path / "latin.csv").errors] == [
        "line 2: file: not UTF-8 text; save the file as UTF-8"]
    assert read_case_csv(tmp_path / "missing.csv").errors[0].field == "file"
