"""Camera site files in CSV: the happy path and every kind of row, header and file error, exact text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from c4desk.domain.camera import CAMERA_FIELDS, CameraKind, PtzProtocol
from c4desk.integrations.site_files import SiteFile, read_site_file

GOOD = {"id": "cam-1", "name": "Main & Pearl", "lat": "41.7661", "lon": "-72.6734"}


def csv_text(rows: list[dict[str, str]], fields: tuple[str, ...] = CAMERA_FIELDS) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def read_csv(tmp_path: Path, text: str, name: str = "site.csv") -> SiteFile:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_site_file(path)


def messages(site: SiteFile) -> list[str]:
    return [str(e) for e in site.errors]


def test_csv_happy_path_with_bom_extra_columns_and_loose_header(tmp_path: Path) -> None:
    text = (
        "\ufeffID, Name ,LAT,lon,heading_deg,kind,serial,stream_main,ptz_protocol,ptz_url,enabled,"
        "Zone,Mount\n"
        "ptz-1,Main & Pearl,41.7661,-72.6734,-45,ptz,ACCC8E01,rtsp://10.0.0.5/media,VAPIX,http://10.0.0.5,no,"
        "downtown,\n"
        "\n"
        'lpr-1,"Capitol Ave, eastbound",41.764,-72.68,,LPR,,,,,,west\n'
        "fixed-1,Elm St,41.765,-72.675\n"  # short row: spreadsheets drop trailing empty cells
    )
    site = read_csv(tmp_path, text)
    assert site.ok and site.errors == []
    ptz, lpr, fixed = site.cameras
    assert (ptz.id, ptz.kind, ptz.ptz_protocol, ptz.heading_deg, ptz.enabled) == (
        "ptz-1",
        CameraKind.PTZ,
        PtzProtocol.VAPIX,
        315.0,
        False,
    )
    assert ptz.extra == {"Zone": "downtown"}  # empty extra cells are not kept
    assert (lpr.name, lpr.kind, lpr.extra) == ("Capitol Ave, eastbound", CameraKind.LPR, {"Zone": "west"})
    assert (fixed.lat, fixed.lon, fixed.kind, fixed.fov_deg) == (41.765, -72.675, CameraKind.FIXED, 90.0)


def test_csv_good_rows_survive_bad_ones(tmp_path: Path) -> None:
    site = read_csv(
        tmp_path, csv_text([GOOD, {**GOOD, "id": "cam-2", "lat": "abc"}, {**GOOD, "id": "cam-3"}])
    )
    assert not site.ok
    assert [c.id for c in site.cameras] == ["cam-1", "cam-3"]
    assert messages(site) == ["line 3: lat: not a number: 'abc'"]


CSV_ROW_ERRORS = [
    ({"name": ""}, "line 3: name: required"),
    ({"id": "", "lat": ""}, "line 3: id: required"),
    (
        {"id": "-bad"},
        "line 3: id: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    ({"lat": "abc"}, "line 3: lat: not a number: 'abc'"),
    ({"lon": "east"}, "line 3: lon: not a number: 'east'"),
    ({"lat": "nan"}, "line 3: lat: must be finite"),
    ({"lat": "91"}, "line 3: lat: 91 is outside [-90, 90]"),
    ({"lon": "-180.5"}, "line 3: lon: -180.5 is outside [-180, 180]"),
    ({"heading_deg": "400"}, "line 3: heading_deg: 400 is outside [-360, 360]"),
    ({"fov_deg": "0"}, "line 3: fov_deg: 0 is outside [1, 360]"),
    ({"range_m": "6000"}, "line 3: range_m: 6000 is outside [1, 5000]"),
    ({"kind": "dome"}, "line 3: kind: 'dome' not one of fixed, ptz, lpr, private"),
    ({"ptz_protocol": "visca"}, "line 3: ptz_protocol: 'visca' not one of vapix, onvif, none"),
    ({"ptz_protocol": "onvif"}, "line 3: ptz_url: required when ptz_protocol is onvif"),
    ({"kind": "private"}, "line 3: owner: a private camera needs an owner or contact"),
    ({"enabled": "maybe"}, "line 3: enabled: 'maybe' is not true/false"),
    ({"name": "x" * 201}, "line 3: name: longer than 200 characters"),
    (
        {"stream_main": "ftp://10.0.0.5/live"},
        "line 3: stream_main: scheme 'ftp' not one of file, http, https, rtp, rtsp, rtsps, udp",
    ),
    ({"ptz_url": "rtsp://10.0.0.5"}, "line 3: ptz_url: scheme 'rtsp' not one of http, https"),
    (
        {"stream_sub": "rtsp://admin:secret@10.0.0.5/live"},
        "line 3: stream_sub: URL carries a password; store it in the keyring and set credential_ref",
    ),
    (
        {"stream_main": "rtsp://10.0.0.5:abc/live"},
        "line 3: stream_main: bad port: Port could not be cast to integer value as 'abc'",
    ),
    (
        {"stream_main": "rtsp://10.0.0.5:70000/live"},
        "line 3: stream_main: bad port: Port out of range 0-65535",
    ),
    ({"stream_main": "rtsp:///live"}, "line 3: stream_main: URL has no host"),
    ({"stream_main": "rtsp://10.0.0.5/my live"}, "line 3: stream_main: URL contains white space"),
    ({"id": "cam-1"}, "line 3: id: duplicate id 'cam-1' (first on line 2)"),
]


@pytest.mark.parametrize(("override", "expected"), CSV_ROW_ERRORS, ids=[e for _, e in CSV_ROW_ERRORS])
def test_csv_row_errors(tmp_path: Path, override: dict[str, str], expected: str) -> None:
    bad = {**GOOD, "id": "cam-2", **override}
    site = read_csv(tmp_path, csv_text([GOOD, bad]))
    assert messages(site)[0] == expected
    assert [c.id for c in site.cameras] == ["cam-1"]


def test_csv_reports_every_error_of_a_row(tmp_path: Path) -> None:
    bad = {"id": "cam-2", "name": "", "lat": "95", "lon": "x", "kind": "dome"}
    site = read_csv(tmp_path, csv_text([GOOD, bad]))
    assert messages(site) == [
        "line 3: name: required",
        "line 3: lat: 95 is outside [-90, 90]",
        "line 3: lon: not a number: 'x'",
        "line 3: kind: 'dome' not one of fixed, ptz, lpr, private",
    ]


def test_csv_duplicate_serial(tmp_path: Path) -> None:
    rows = [
        {**GOOD, "serial": "S1"},
        {**GOOD, "id": "cam-2", "serial": "S2"},
        {**GOOD, "id": "cam-3", "serial": "S1"},
    ]
    site = read_csv(tmp_path, csv_text(rows))
    assert messages(site) == ["line 4: serial: duplicate serial 'S1' (first on line 2)"]


def test_csv_line_numbers_count_lines_inside_quoted_fields(tmp_path: Path) -> None:
    text = (
        'id,name,lat,lon,Note\ncam-1,A,41,-72,"two\nlines"\n\n'  # lines 1-4
        'cam-2,B,99,-72,\ncam-3,C,41,-72,"x\ny\nz"\ncam-4,D,41,1e9,\n'  # lines 5, 6-8, 9
    )
    site = read_csv(tmp_path, text)
    assert messages(site) == [
        "line 5: lat: 99 is outside [-90, 90]",
        "line 9: lon: 1e+09 is outside [-180, 180]",
    ]
    assert site.cameras[0].extra == {"Note": "two\nlines"}


def test_csv_row_with_too_many_values(tmp_path: Path) -> None:
    site = read_csv(tmp_path, "id,name,lat,lon\ncam-1,A,41,-72,oops\n")
    assert messages(site) == ["line 2: row: 5 values but the header has 4 columns"]


def test_csv_missing_required_header_columns(tmp_path: Path) -> None:
    site = read_csv(tmp_path, "id,name,latitude,longitude\ncam-1,A,41,-72\n")
    assert messages(site) == ["line 1: header: missing required column(s): lat, lon"]
    assert site.cameras == []


def test_csv_duplicate_header_columns(tmp_path: Path) -> None:
    site = read_csv(tmp_path, "id,name,lat,lon,Name\ncam-1,A,41,-72,B\n")
    assert messages(site) == ["line 1: header: duplicate column(s): name"]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", " , ,\n"])
def test_csv_empty_file(tmp_path: Path, text: str) -> None:
    site = read_csv(tmp_path, text)
    assert messages(site) == [
        "line 1: file: empty file: expected a header line naming at least id, name, lat, lon"
    ]


def test_csv_header_only_is_an_empty_import(tmp_path: Path) -> None:
    site = read_csv(tmp_path, "id,name,lat,lon\n")
    assert site.ok and site.cameras == []


# The file itself (shared by both formats).


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "cameras.xlsx"
    path.write_bytes(b"PK\x03\x04")
    site = read_site_file(path)
    assert messages(site) == ["file: unknown file type '.xlsx': use .csv, .geojson or .json"]
    assert not site.ok
    assert messages(read_site_file(tmp_path / "cameras")) == [
        "file: unknown file type '(none)': use .csv, .geojson or .json"
    ]


def test_missing_file(tmp_path: Path) -> None:
    assert messages(read_site_file(tmp_path / "gone.csv")) == ["file: cannot read: No such file or directory"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name,lat,lon\ncam-1,Café,41,-72\n".encode("latin-1"))
    assert messages(read_site_file(path)) == [
        "line 2: file: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    ]
