"""Bulk read CSV: good rows become reads; every bad row is named by line and field."""

from __future__ import annotations

from datetime import UTC, datetime

from c4desk.integrations.lpr_csv import check_cameras, iter_lpr_csv

HEADER = "plate,region,read_at,camera_id,confidence,direction,note\n"


def rows(text: str) -> list[tuple[int, str | None, list[str]]]:
    return [(r.line, r.read.plate_norm if r.read else None, [str(e) for e in r.errors])
            for r in iter_lpr_csv(text.splitlines())]


def test_good_rows() -> None:
    text = HEADER + "6pz-193,ct,2026-07-04T21:15:03Z,lpr-1,0.91,IN,anything\n\nXYZ 9,,2026-07-04T23:00+02:00,lpr-2,,,\n"
    parsed = list(iter_lpr_csv(text.splitlines()))
    assert [r.line for r in parsed] == [2, 4]
    first, second = (r.read for r in parsed)
    assert first is not None and second is not None
    assert (first.plate_raw, first.plate_norm, first.region, first.camera_id, first.confidence, first.direction) == (
        "6pz-193", "6PZ193", "CT", "lpr-1", 0.91, "in")
    assert first.read_at == datetime(2026, 7, 4, 21, 15, 3, tzinfo=UTC)
    assert (second.plate_norm, second.confidence, second.direction) == ("XYZ9", None, "")
    assert second.read_at == datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


def test_bad_rows_name_line_and_field() -> None:
    text = HEADER + (
        "ABC123,CT,2026-07-04T21:15:03,lpr-1,0.9,in,\n"   # 2: no zone
        ",CT,,,2,sideways,\n"                              # 3: four problems
        "AB#1,CT,2026-07-04T21:15:03Z,lpr-1,x,,\n"        # 4: two problems
        "ABC123,CT,2026-07-04T21:15:03Z,lpr-1,0.5,in,,extra\n")  # 5: too many fields
    assert rows(text) == [
        (2, None, ["line 2: read_at: must carry a time zone (UTC)"]),
        (3, None, ["line 3: read_at: required", "line 3: camera_id: required", "line 3: plate: no plate characters",
                   "line 3: confidence: 2.0 is outside [0, 1]",
                   "line 3: direction: 'sideways' not one of in, out or empty"]),
        (4, None, ["line 4: plate: 'AB#1': only letters and digits (and spaces, dashes, dots)",
                   "line 4: confidence: 'x' is not a number"]),
        (5, None, ["line 5: row: 8 fields, the header has 7"]),
    ]


def test_missing_columns() -> None:
    assert rows("plate,region\nABC,CT\n") == [
        (1, None, ["line 1: header: missing column(s) read_at, camera_id; expected plate, read_at, camera_id, "
                   "region, confidence, direction, car_id"])]


def test_unknown_camera() -> None:
    text = HEADER + "ABC123,CT,2026-07-04T21:15:03Z,lpr-9,,,\nABC124,CT,2026-07-04T21:15:03Z,lpr-1,,,\n"
    checked = list(check_cameras(iter_lpr_csv(text.splitlines()), {"lpr-1"}))
    assert [str(e) for r in checked for e in r.errors] == ["line 2: camera_id: unknown camera 'lpr-9'"]
    assert [r.read.plate_norm for r in checked if r.read] == ["ABC124"]
