"""Plate search on SQLite and PostgreSQL: the domain's semantics table, a brute-force reference on random
data, filters, newest-first paging, history, the folded column's and the distinct plates' backfill, bulk
loading, and the plan SQLite uses for patterns without a literal prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plate_match import fold_plate, parse_pattern
from c4desk.domain.plates import LprRead
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database, make_engine
from c4desk.store.migrate import upgrade
from c4desk.store.models import PlateReadRow
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.plate_search import PlateSearch, ReadFilter
from tests.domain.test_plate_match import ALPHABET, PLATES, SEMANTICS, patterns_st, plates_for, ref_matches
from tests.store.test_plate_reads import assert_index_consistent

T0 = datetime(2026, 7, 4, 12, 0, tzinfo=UTC)
CAMERAS = ("lpr-1", "lpr-2", "lpr-3")
ANALYST = Actor("ana", Role.ANALYST, "ws-test")  # who searches (SEARCH_PLATES); each query is audited


def read(plate: str, minutes: int, camera: str = "lpr-1", **kw: object) -> LprRead:
    return LprRead(camera_id=camera, plate_raw=plate, read_at=T0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


@pytest.fixture
def reads(db: Database) -> PlateReadRepository:
    CameraRepository(db).upsert_many([Camera(id=c, name=c, lat=41.76, lon=-72.67, kind=CameraKind.LPR)
                                      for c in CAMERAS])
    return PlateReadRepository(db)


@pytest.fixture
def search(reads: PlateReadRepository, db: Database) -> PlateSearch:
    reads.bulk_add(read(p, i, CAMERAS[i % 3]) for i, p in enumerate(PLATES))
    return PlateSearch(db)


@pytest.mark.parametrize(("pattern", "partial", "fuzzy", "expected"), SEMANTICS)
def test_semantics_table(search: PlateSearch, pattern: str, partial: bool, fuzzy: bool, expected: set[str]) -> None:
    assert {r.plate_norm for r in search.search(pattern, actor=ANALYST, partial=partial, fuzzy=fuzzy)} == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), pattern=patterns_st, partial=st.booleans(), fuzzy=st.booleans())
def test_search_matches_brute_force(reads: PlateReadRepository, db: Database, data: st.DataObject, pattern: str,
                                    partial: bool, fuzzy: bool) -> None:
    plates = plates_for(data, pattern)
    reads.bulk_add(read(p, i) for i, p in enumerate(plates))
    try:
        p = parse_pattern(pattern, partial=partial)
        got = sorted(r.plate_norm for r in PlateSearch(db).search(p, actor=ANALYST, fuzzy=fuzzy, limit=1000))
        assert got == sorted(x for x in plates if ref_matches(p.text, partial, fuzzy, x))
    finally:
        with db.session(write=True) as s:
            s.execute(delete(PlateReadRow))


def test_alphabet_holds_confusables() -> None:
    assert fold_plate(ALPHABET) != ALPHABET


def test_newest_first_and_paging(reads: PlateReadRepository, db: Database) -> None:
    reads.bulk_add([read("ABC123", m, CAMERAS[m % 3]) for m in range(25)])
    search = PlateSearch(db)
    everything = search.search("ABC123", actor=ANALYST, limit=100)
    assert [r.read_at for r in everything] == sorted((r.read_at for r in everything), reverse=True)
    pages = [search.search("AB*", actor=ANALYST, limit=10, offset=o) for o in (0, 10, 20)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [r.id for p in pages for r in p] == [r.id for r in everything]


def test_filters(reads: PlateReadRepository, db: Database) -> None:
    reads.bulk_add([read("ABC123", 0, "lpr-1", region="CT", direction="in"),
                    read("ABC123", 10, "lpr-2", region="NY", direction="out"),
                    read("ABC124", 20, "lpr-3", region="CT", direction="in")])
    search = PlateSearch(db)

    def minutes(pattern: str, **kw: object) -> list[int]:
        got = search.search(pattern, actor=ANALYST, where=ReadFilter(**kw))  # type: ignore[arg-type]
        return [int((r.read_at - T0).total_seconds() // 60) for r in got]

    assert minutes("ABC12?") == [20, 10, 0]
    assert minutes("ABC12?", since=T0 + timedelta(minutes=10)) == [20, 10]
    assert minutes("ABC12?", until=T0 + timedelta(minutes=10)) == [0]
    assert minutes("ABC12?", cameras=("lpr-1", "lpr-3")) == [20, 0]
    assert minutes("ABC12?", region="ct") == [20, 0]
    assert minutes("ABC123", direction="out") == [10]
    assert minutes("ABC12?", since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=15)) == [10]
    with pytest.raises(ValidationError, match="until: must be after since"):
        minutes("ABC123", since=T0, until=T0)
    with pytest.raises(ValidationError, match="since: must carry a time zone"):
        minutes("ABC123", since=datetime(2026, 7, 4))
    with pytest.raises(ValidationError, match="limit"):
        search.search("ABC123", actor=ANALYST, limit=0)


def test_history(reads: PlateReadRepository, db: Database) -> None:
    reads.bulk_add([read("ABC123", 0, "lpr-1", region="CT"), read("ABC123", 5, "lpr-2", region="CT"),
                    read("ABC123", 9, "lpr-1"), read("A8C123", 7, "lpr-3"), read("XYZ1", 1, "lpr-3")])
    search = PlateSearch(db)
    h = search.history("abc 123", actor=ANALYST)
    assert h is not None
    assert (h.plate, h.reads, h.first_seen, h.last_seen) == ("ABC123", 3, T0, T0 + timedelta(minutes=9))
    assert [(c.camera_id, c.reads) for c in h.cameras] == [("lpr-1", 2), ("lpr-2", 1)]
    assert h.regions == ["CT"] and h.plates == ["ABC123"]
    fuzzy = search.history("ABC123", actor=ANALYST, fuzzy=True)
    assert fuzzy is not None and fuzzy.reads == 4 and fuzzy.plates == ["A8C123", "ABC123"]
    assert search.history("NEVER1", actor=ANALYST) is None
    with pytest.raises(ValidationError, match="not a pattern"):
        search.history("ABC*", actor=ANALYST)


def test_bulk_add_stores_folded_plates(reads: PlateReadRepository, db: Database) -> None:
    assert reads.bulk_add(read(f"SO-{i:03d}", i, region="CT", confidence=0.5) for i in range(2500)) == 2500
    assert reads.count() == 2500
    with db.session() as s:
        row = s.scalars(select(PlateReadRow).where(PlateReadRow.plate_norm == "SO007")).one()
        assert (row.plate_raw, row.plate_fold, row.region, row.read_at) == ("SO-007", "50007", "CT",
                                                                             T0 + timedelta(minutes=7))


def test_migration_backfills_the_folded_plate(db_url: str) -> None:
    upgrade(db_url, revision="0001")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO cameras (id, name, lat, lon, heading_deg, fov_deg, range_m, kind, "
                              "stream_main, stream_sub, ptz_protocol, ptz_url, credential_ref, owner, contact, "
                              "enabled, extra, created_at, updated_at) VALUES ('c', 'c', 0, 0, 0, 90, 100, 'lpr', "
                              "'', '', 'none', '', '', '', '', true, '{}', :t, :t)"), {"t": T0})
            for n, plate in enumerate(PLATES):
                conn.execute(text("INSERT INTO plate_reads (camera_id, plate_raw, plate_norm, region, read_at, "
                                  "direction, car_id, plate_image_ref, vehicle_image_ref) VALUES ('c', :p, :p, '', "
                                  ":t, '', '', '', '')"), {"p": plate, "t": T0 + timedelta(seconds=n)})
    finally:
        engine.dispose()
    upgrade(db_url)
    with Database(db_url) as database, database.session() as s:
        folded = {str(a): str(b) for a, b in s.execute(text("SELECT plate_norm, plate_fold FROM plate_reads"))}
    assert folded == {p: fold_plate(p) for p in PLATES}


@pytest.mark.parametrize("pattern", ["*C12?", "*B?1?3", "C12"])  # trigram postings; a scan of the plates; partial
def test_filters_and_paging_through_the_distinct_plates(reads: PlateReadRepository, db: Database,
                                                        pattern: str) -> None:
    """Patterns without a long literal prefix are found among the distinct plates on SQLite; every filter and
    the paging must give what filtering all reads would."""
    rows = [read(plate, m, CAMERAS[m % 3], region=("CT", "NY")[m % 2], direction=("in", "out", "")[m % 3])
            for m, plate in enumerate(["ABC123", "XBC124", "ABC129", "QQC120", "ABD123", "ABC12", "7ABD1Z3"] * 6)]
    reads.bulk_add(rows)
    search = PlateSearch(db)
    partial = "*" not in pattern
    p = parse_pattern(pattern, partial=partial)
    since, until = T0 + timedelta(minutes=5), T0 + timedelta(minutes=30)
    for where in (ReadFilter(), ReadFilter(cameras=("lpr-2",)), ReadFilter(region="ny", direction="out"),
                  ReadFilter(since=since, until=until, cameras=("lpr-1", "lpr-3"))):
        expected = sorted((r for r in rows if p.matches(r.plate_norm)
                           and (where.since is None or r.read_at >= where.since)
                           and (where.until is None or r.read_at < where.until)
                           and (not where.cameras or r.camera_id in where.cameras)
                           and (not where.region or r.region == where.region.upper())
                           and (not where.direction or r.direction == where.direction)),
                          key=lambda r: r.read_at, reverse=True)
        assert expected, where
        got = search.search(p, actor=ANALYST, where=where, limit=1000)
        assert [(r.plate_norm, r.read_at) for r in got] == [(r.plate_norm, r.read_at) for r in expected], where
        pages = [search.search(p, actor=ANALYST, where=where, limit=4, offset=o) for o in range(0, len(got), 4)]
        assert [r.id for page in pages for r in page] == [r.id for r in got]


@pytest.mark.parametrize(("pattern", "partial", "fuzzy", "finds_plates_by"), [
    ("*123", False, False, "SEARCH plate_trigrams USING PRIMARY KEY (block=? AND trigram=?)"),
    ("C12", True, False, "SEARCH plate_trigrams USING PRIMARY KEY (block=? AND trigram=?)"),
    ("8C12", True, True, "SEARCH plate_trigrams USING PRIMARY KEY (block=? AND trigram=?)"),
    ("*B?1?3", False, False, "SCAN plates"),  # no run of three literals: the distinct plates are scanned
])
def test_sqlite_plan_goes_through_the_distinct_plates(search: PlateSearch, db: Database, pattern: str,
                                                      partial: bool, fuzzy: bool, finds_plates_by: str) -> None:
    """The plan that makes ``*123`` fast on SQLite: postings -> distinct plates -> the (plate, time) index;
    never a scan of all reads (0.6 s at ten million) nor a walk of the time index."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL uses its pg_trgm indexes on plate_reads")
    query = search.query(parse_pattern(pattern, partial=partial), fuzzy=fuzzy, limit=100)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.session() as s:
        plan = "\n".join(str(row[3]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert finds_plates_by in plan, plan
    assert "COVERING INDEX ix_plate_reads_" in plan, plan
    assert "SCAN plate_reads" not in plan and "ix_plate_reads_read_at" not in plan, plan


def test_migration_fills_the_distinct_plates(db_url: str) -> None:
    """Reads stored before revision 0005 are found through the plates table it fills (SQLite)."""
    upgrade(db_url, revision="0004")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO cameras (id, name, lat, lon, heading_deg, fov_deg, range_m, kind, "
                              "stream_main, stream_sub, ptz_protocol, ptz_url, credential_ref, owner, contact, "
                              "enabled, extra, created_at, updated_at) VALUES ('lpr-1', 'c', 0, 0, 0, 90, 100, "
                              "'lpr', '', '', 'none', '', '', '', '', true, '{}', :t, :t)"), {"t": T0})
            for n, plate in enumerate([*PLATES, *PLATES[:3]]):
                conn.execute(text("INSERT INTO plate_reads (camera_id, plate_raw, plate_norm, plate_fold, region, "
                                  "read_at, direction, car_id, plate_image_ref, vehicle_image_ref) VALUES ('lpr-1', "
                                  ":p, :p, :f, '', :t, '', '', '', '')"),
                             {"p": plate, "f": fold_plate(plate), "t": T0 + timedelta(seconds=n)})
    finally:
        engine.dispose()
    upgrade(db_url)
    with Database(db_url) as database:
        assert_index_consistent(database)
        search = PlateSearch(database)
        assert {r.plate_norm for r in search.search("*123", actor=ANALYST)} == {"7ABC123", "DOG123", "ÄBC123"}
        stored = [*PLATES, *PLATES[:3]]
        assert sorted(r.plate_norm for r in search.search("C12", actor=ANALYST, partial=True)) == sorted(
            p for p in stored if "C12" in p)
