"""The Chicago ShotSpotter CSV import: columns, type mapping, Chicago local time to UTC, line-numbered errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from c4desk.integrations.gunshot_csv import parse_shotspotter_csv, read_shotspotter_csv, shotspotter_type

# The data portal's export header (upper case, extra columns, the LOCATION point) and its date format.
HEADER = ("DATE,BLOCK,ZIP_CODE,WARD,COMMUNITY_AREA,AREA,DISTRICT,BEAT,STREET_OUTREACH_ORGANIZATION,UNIQUE_ID,"
          "MONTH,DAY_OF_WEEK,HOUR,INCIDENT_TYPE_DESCRIPTION,ROUNDS,LATITUDE,LONGITUDE,LOCATION\n")
ROWS = (
    '07/04/2023 09:14:05 PM,001XX W MADISON ST,60602,42,LOOP,3,001,0111,,SST-1001,7,3,21,SINGLE GUNSHOT,1,'
    '41.88187,-87.63101,POINT (-87.63101 41.88187)\n'
    '01/15/2023 01:02:03 AM,049XX S STATE ST,60609,3,FULLER PARK,1,002,0231,SOME ORG,SST-1002,1,1,1,'
    'MULTIPLE GUNSHOTS,5,41.80460,-87.62670,\n'
    '11/05/2023 01:30:00 AM,0,60609,3,,1,002,0231,,SST-1003,11,1,1,Gunshot or Firecracker,2,41.8,-87.6,\n'
)


def test_good_file() -> None:
    out = parse_shotspotter_csv(HEADER + ROWS)
    assert out.ok and out.rows == 3
    a, b, c = out.reports
    # July: CDT (UTC-5)
    assert a.detected_at == datetime(2023, 7, 5, 2, 14, 5, tzinfo=UTC)
    assert (a.id, a.type, a.rounds, a.address, a.beat, a.district) == (
        "SST-1001", "single_gunshot", 1, "001XX W MADISON ST", "0111", "001")
    assert (a.lat, a.lon) == (41.88187, -87.63101)
    assert a.payload["row"]["zip_code"] == "60602" and a.payload["row"]["location"].startswith("POINT")
    # January: CST (UTC-6)
    assert b.detected_at == datetime(2023, 1, 15, 7, 2, 3, tzinfo=UTC)
    assert (b.type, b.rounds) == ("multiple_gunshots", 5)
    # 5 Nov 2023 01:30 happened twice in Chicago; the first (CDT, UTC-5) reading is taken.
    assert c.detected_at == datetime(2023, 11, 5, 6, 30, tzinfo=UTC)
    assert c.type == "probable_gunfire"


def test_api_style_dates_and_explicit_offsets() -> None:
    header = "unique_id,date,incident_type_description,rounds,latitude,longitude\n"
    out = parse_shotspotter_csv(header + "a,2023-07-04T21:14:05.000,PROBABLE GUNFIRE,3,41.8,-87.6\n"
                                "b,2023-07-04T21:14:05+00:00,single_gunshot,1,41.8,-87.6\n")
    assert out.ok
    assert out.reports[0].detected_at == datetime(2023, 7, 5, 2, 14, 5, tzinfo=UTC)
    assert out.reports[1].detected_at == datetime(2023, 7, 4, 21, 14, 5, tzinfo=UTC)


def test_other_zone() -> None:
    header = "unique_id,date,incident_type_description,rounds,latitude,longitude\n"
    out = parse_shotspotter_csv(header + "a,07/04/2023 09:14:05 PM,SINGLE GUNSHOT,1,41.8,-87.6\n",
                                zone="America/New_York")
    assert out.reports[0].detected_at == datetime(2023, 7, 5, 1, 14, 5, tzinfo=UTC)
    assert [str(e) for e in parse_shotspotter_csv(header, zone="Mars/Olympus").errors] == [
        "zone: unknown time zone 'Mars/Olympus'"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [("SINGLE GUNSHOT", "single_gunshot"), ("Single_Gunshot", "single_gunshot"),
     ("MULTIPLE GUNSHOTS", "multiple_gunshots"), ("Multiple Gunshot", "multiple_gunshots"),
     ("GUNSHOT OR FIRECRACKER", "probable_gunfire"), ("PROBABLE GUNFIRE", "probable_gunfire"),
     ("  probable   gunfire ", "probable_gunfire"), ("POSSIBLE GUNSHOT", "probable_gunfire"),
     ("FIREWORKS", "other")],
)
def test_type_mapping(text: str, kind: str) -> None:
    assert shotspotter_type(text).value == kind


def test_errors_name_line_and_column_and_keep_going() -> None:
    bad = (HEADER + ROWS
           + "13/45/2023 09:14:05 PM,X,,,,,,,,SST-2001,,,,SINGLE GUNSHOT,1,41.8,-87.6,\n"     # line 5
           + "07/04/2023 09:14:05 PM,X,,,,,,,,SST-2002,,,,SINGLE GUNSHOT,,95.5,abc,\n"        # line 6
           + "\n"                                                                              # blank: skipped
           + "07/04/2023 09:14:05 PM,X,,,,,,,,SST-1001,,,,SINGLE GUNSHOT,1,41.8,-87.6,\n"     # line 8
           + "07/04/2023 09:14:05 PM,X,,,,,,,,,,,,,-2,41.8,-87.6,\n"                          # line 9
           + "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s\n")                                       # line 10
    out = parse_shotspotter_csv(bad)
    assert [str(e) for e in out.errors] == [
        "line 5: date: '13/45/2023 09:14:05 PM' is not a date like 07/04/2023 09:14:05 PM or 2023-07-04T21:14:05",
        "line 6: rounds: required",
        "line 6: latitude: 95.5 is outside [-90, 90]",
        "line 6: longitude: must be a number, got a string",
        "line 8: unique_id: duplicate 'SST-1001' (first on line 2)",
        "line 9: unique_id: required",
        "line 9: incident_type_description: required",
        "line 9: rounds: -2 is outside [0, 10000]",
        "line 10: row: 19 values but the header has 18 columns",
    ]
    assert [r.id for r in out.reports] == ["SST-1001", "SST-1002", "SST-1003"]
    assert out.bad_lines == 5 and out.rows == 8


def test_header_problems() -> None:
    assert [str(e) for e in parse_shotspotter_csv("date,block\n").errors] == [
        "line 1: header: missing required column(s): unique_id, rounds, incident_type_description, latitude, "
        "longitude"]
    assert [str(e) for e in parse_shotspotter_csv("").errors] == [
        "line 1: file: empty file: expected a header line"]
    dup = "unique_id,date,rounds,incident_type_description,latitude,longitude,Date\n"
    assert "duplicate column(s): date" in str(parse_shotspotter_csv(dup).errors[0])


def test_read_file_with_bom_and_bad_encoding(tmp_path: Path) -> None:
    good = tmp_path / "shots.csv"
    good.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS).encode())
    assert len(read_shotspotter_csv(good).reports) == 3
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "Caf\xe9".encode("latin-1"))
    assert "not UTF-8" in str(read_shotspotter_csv(latin).errors[0])
    assert "cannot read" in str(read_shotspotter_csv(tmp_path / "missing.csv").errors[0])
