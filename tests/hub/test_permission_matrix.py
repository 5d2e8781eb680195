"""The permission table, enforced by the services: every guarded action tried with every role.

For each (action case, role) the case is attempted on a real database (SQLite, and PostgreSQL when
C4DESK_TEST_PG_URL is set) with real recordings (H.264 TS segments) behind the clips and the evidence export, and
a PTZ camera played by c4desk/demo/vapix_simulator.py (a simulator of an Axis camera's VAPIX PTZ over real HTTP with
digest auth; no real camera exists here) for the commands a person gives through ``GuardedPtz``:

* the roles ``PERMISSIONS`` allows succeed, and what they did shows in the store;
* every other role gets ``PermissionDenied`` naming that action, exactly one ``permission_denied`` audit record
  (user, workstation, role, action; outcome failure) is written, nothing else is, and the store is unchanged.

``CASES`` also states, in plain sets, which roles may do each thing; ``test_the_table_is_the_written_policy``
holds the table to that, so changing a role's rights is a decision made here too, not a silent drift.
``test_each_case_asks_the_table_for_its_action`` takes the one action away from an allowed role and expects a
refusal: a service that checked some other action (that happened to be allowed) would pass the matrix but not this.

The databases are shared by the module (one per backend, built once); each attempt prepares its own objects with
users who may (``PREP_*``), so the cases do not depend on one another's order.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from c4desk.config import EvidenceSettings
from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.alerts import GunshotReport
from c4desk.domain.camera import Camera
from c4desk.domain.permissions import PERMISSIONS, Action, Actor, PermissionDenied, Role, allowed
from c4desk.domain.plate_match import HotlistEntry
from c4desk.domain.radar import RadarSite
from c4desk.evidence.export import export_case
from c4desk.evidence.key_admin import revoke_key, rotate_key
from c4desk.evidence.key_history import history_path
from c4desk.evidence.signing import centre_key, public_key_path
from c4desk.hub.services import Services
from c4desk.integrations.ptz.guarded import GuardedPtz
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.store.case_history import CaseHistoryRepository, HistoricCase
from c4desk.store.db import sqlite_url
from c4desk.store.models import AuditEventRow, BookmarkRow, CaseRow, ClipRow, HopTrailRow, UserRow
from c4desk.store.models.views import SnapshotRow
from c4desk.store.snapshots import SnapshotRepository
from tests.evidence.segments import RecordedFile, describe, record_into, render_segments
from tests.evidence.world import png, sources_for

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
PG_ENV = "C4DESK_TEST_PG_URL"
# Who prepares what an attempt needs: users who may, so preparing never fails whatever role is being tried.
PREP_ANALYST = Actor("prep-ana", Role.ANALYST, "ws-prep")
PREP_SUPERVISOR = Actor("prep-sam", Role.SUPERVISOR, "ws-prep")
PREP_ADMIN = Actor("prep-boss", Role.ADMIN, "ws-prep")
WORKSTATION = "ws-matrix"
EXPORT_CASE = "EXP-1"
TARGET_USER = "target"  # whose role, state and password the user-management cases change
PTZ_USER, PTZ_PASSWORD = "operator", "s3cret!"  # the simulated camera's login
# Where services check the table: the store's repositories, the PTZ client a person steers (integrations), and the
# evidence-signing key's administration (evidence/key_admin.py).
GUARD_SOURCES = ("store/*.py", "integrations/**/*.py", "evidence/*.py")

EVERYONE = frozenset(Role)
INVESTIGATORS = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS_AND_ADMINS = frozenset({Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})


# Cases whose refusal is not audited yet, and why. Strict: when the service is fixed the xfail fails, and the entry
# must go. (store/recordings.py calls ``require``, not ``require_audited``; it belongs to the recorder's work.)
UNAUDITED_REFUSALS: dict[str, str] = {}


def actor_for(role: Role) -> Actor:
    return Actor(f"matrix-{role.value}", role, WORKSTATION)


# --- the world ----------------------------------------------------------------------------------------------------


@dataclass
class World:
    services: Services
    root: Path
    ptz: VapixSimulator
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self.numbers)}"

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    def count(self, model: Any, *where: Any) -> int:
        with self.services.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def user(self, name: str) -> UserRow:
        with self.services.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == name))
            assert row is not None
            s.expunge(row)
            return row

    def audit_after(self, last_id: int) -> list[AuditEventRow]:
        with self.services.db.session() as s:
            rows = list(s.scalars(select(AuditEventRow).where(AuditEventRow.id > last_id).order_by(AuditEventRow.id)))
            s.expunge_all()
            return rows

    def last_audit_id(self) -> int:
        with self.services.db.session() as s:
            return int(s.scalar(select(func.max(AuditEventRow.id))) or 0)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedFile]:
    """Twelve seconds of camera-like H.264 in three 4-second TS segments."""
    return describe(render_segments(tmp_path_factory.mktemp("matrix-rendered"), 12, 4), T0)


def _postgres_database() -> Iterator[str]:
    admin_url = os.environ.get(PG_ENV, "")
    if not admin_url:
        pytest.skip(f"{PG_ENV} not set (e.g. postgresql+psycopg://c4test:c4test@127.0.0.1:5432/postgres)")
    name = f"c4test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          recorded: list[RecordedFile]) -> Iterator[World]:
    root = tmp_path_factory.mktemp(f"matrix-{request.param}")
    urls = _postgres_database() if request.param == "postgres" else iter([sqlite_url(root / "c4desk.sqlite")])
    url = next(urls)
    services = Services.open(url, recordings_root=root / "rec")
    try:
        with VapixSimulator(PTZ_USER, PTZ_PASSWORD) as ptz:
            w = World(services, root, ptz)
            _build(w, recorded)
            yield w
    finally:
        services.close()
        for _ in urls:  # drops the PostgreSQL database
            pass


def _build(w: World, recorded: list[RecordedFile]) -> None:
    s = w.services
    s.cameras.upsert_many([Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675),
                           Camera(id="cam02", name="Park & Broad", lat=41.757, lon=-72.690)])
    record_into(s.recordings, "cam01", recorded)
    s.users.bootstrap_admin(PREP_ADMIN.username, "prep-password")
    s.users.add(PREP_ADMIN, TARGET_USER, "target-password", Role.ANALYST)
    s.cases.create(PREP_ANALYST, EXPORT_CASE, "shooting", title="Shots on Main", opened_at=T0)
    clip = s.clips.tag(PREP_ANALYST, "cam01", T0 + timedelta(seconds=2), T0 + timedelta(seconds=6), ["getaway"],
                       case=EXPORT_CASE)
    s.clips.submit(PREP_ANALYST, clip.id)
    s.clips.review(PREP_SUPERVISOR, clip.id, approve=True)
    s.radar.upsert_site(PREP_ADMIN, RadarSite(id="R1", name="Main St pilot", speed_limit_kmh=40.0,
                                              sensor_ids=("radar-1",)))


# --- preparing what an attempt needs -----------------------------------------------------------------------------


def new_case(w: World) -> str:
    number = w.unique("C")
    w.services.cases.create(PREP_ANALYST, number, "robbery", opened_at=T0)
    return number


def new_clip(w: World, *, submitted: bool = False) -> int:
    clip = w.services.clips.tag(PREP_ANALYST, "cam01", T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))
    if submitted:
        w.services.clips.submit(PREP_ANALYST, clip.id)
    return clip.id


def clip_state(w: World, clip_id: int) -> Any:
    clip = w.services.clips.get(clip_id)
    return None if clip is None else (clip.status, clip.tags, clip.reviewed_by)


def new_alert(w: World, *, closed: bool = False) -> str:
    alert_id = w.unique("SST")
    w.services.alerts.ingest_gunshot(GunshotReport(id=alert_id, type="single_gunshot", detected_at=T0, lat=41.766,
                                                   lon=-72.675, rounds=1), feed="matrix-feed")
    if closed:
        w.services.alerts.close(alert_id, actor=PREP_ANALYST, reason="fireworks")
    return alert_id


def alert_state(w: World, alert_id: str) -> Any:
    alert = w.services.alerts.get(alert_id)
    assert alert is not None
    return alert.status, alert.assigned_to, len(w.services.alerts.history(alert_id))


def new_imported_list(w: World) -> str:
    name = w.unique("NCIC")
    w.services.hotlists.import_list(name, [HotlistEntry(plate_raw=f"AB{next(w.numbers):04d}")], source="ncic.csv",
                                    actor=PREP_SUPERVISOR)
    return name


def entries_of(w: World, name: str) -> Any:
    return sorted((e.plate, e.reason) for e in w.services.hotlists.entries(name))


def new_trail(w: World, *, hopped: bool = False) -> int:
    trail_id = w.services.trails.start(PREP_ANALYST, plate="6PZ193")
    if hopped:
        w.services.trails.hop(PREP_ANALYST, trail_id, "cam01", T0)
    return trail_id


def trail_state(w: World, trail_id: int) -> Any:
    trail = w.services.trails.get(trail_id)
    assert trail is not None
    return trail.case_id, trail.steps


def plate_queries(w: World) -> int:
    """Plate queries audited so far: a granted search or history writes one (a refusal only its denial)."""
    return w.count(AuditEventRow, AuditEventRow.event_type == "plate_query",
                   AuditEventRow.object.like("plates:%"))


def ptz_absolute_move(w: World, actor: Actor, pan: float) -> None:
    """Turn the simulated PTZ to ``pan`` as ``actor``, through the client the workstation gives a person."""
    client = GuardedPtz(VapixPtz(w.ptz.url, PTZ_USER, PTZ_PASSWORD, backoff_s=0.01), actor=actor,
                        db=w.services.db, camera_id="ptz01")
    try:
        client.absolute_move(pan, -5.0)
    finally:
        client.close()


def stills(w: World) -> SnapshotRepository:
    return SnapshotRepository(w.services.db, w.snapshots_dir)


def stills_state(w: World) -> Any:
    """Rows and files: a refused still writes neither."""
    return w.count(SnapshotRow), sorted(w.snapshots_dir.rglob("*.png"))


def new_still(w: World) -> tuple[int, int]:
    """A still (taken by someone who may) and a case to put it on."""
    return stills(w).save(PREP_ANALYST, png(), camera_id="cam01", width=64, height=48).id, \
        w.services.cases.find(new_case(w)).id


def signing_keys(w: World) -> Path:
    """The data directory of the world's evidence-signing key, its key made (and in use)."""
    centre_key(w.root / "keys")
    return w.root / "keys"


def retired_signing_key(w: World) -> tuple[Path, str]:
    """The key directory and the fingerprint of a key just retired (by an admin's rotation)."""
    keys = signing_keys(w)
    old = centre_key(keys).fingerprint
    rotate_key(w.services.db, PREP_ADMIN, keys)
    return keys, old


def target_role(w: World) -> Role:
    return Role(w.user(TARGET_USER).role)


def other_role(w: World) -> Role:
    return Role.SUPERVISOR if target_role(w) is not Role.SUPERVISOR else Role.ANALYST


# --- the cases -----------------------------------------------------------------------------------------------------

Prepare = Callable[[World], Any]
Attempt = Callable[[World, Actor, Any], Any]
State = Callable[[World, Any], Any]


@dataclass(frozen=True)
class Case:
    """``attempt(world, actor, prepared)`` one guarded service call. ``state(world, prepared)`` reads what the call
    changes (None for reads): a success must change it, a refusal must not."""

    name: str
    action: Action
    roles: frozenset[Role]  # who may, as the written policy says
    attempt: Attempt
    prepare: Prepare = lambda _w: None
    state: State | None = None


def _period(w: World) -> tuple[datetime, datetime]:
    return T0 - timedelta(days=2), T0 + timedelta(days=1)


CASES: list[Case] = [
    # cases
    Case("cases.create", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.create(a, number, "homicide", opened_at=T0),
         lambda w: w.unique("NEW"), lambda w, number: w.services.cases.get(number) is not None),
    Case("cases.update", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.update(a, number, title=f"changed by {a.username}"),
         new_case, lambda w, number: w.services.cases.find(number).title),
    Case("cases.set_status", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.set_status(a, number, "cleared"),
         new_case, lambda w, number: w.services.cases.find(number).status),
    Case("cases.link", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.link(a, number, "plate", "6PZ193"),
         new_case, lambda w, number: len(w.services.cases.links(number))),
    Case("cases.unlink", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.unlink(a, number, "plate", "6PZ193"),
         lambda w: (n := new_case(w), w.services.cases.link(PREP_ANALYST, n, "plate", "6PZ193"))[0],
         lambda w, number: len(w.services.cases.links(number))),
    Case("cases.add_task", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.add_task(a, number, ["cam01"], (T0, T0 + timedelta(minutes=5))),
         new_case, lambda w, number: len(w.services.cases.tasks(number))),
    Case("cases.complete_task", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, task: w.services.cases.complete_task(a, task[1], "useful_video", 12),
         lambda w: (n := new_case(w), w.services.cases.add_task(PREP_ANALYST, n, ["cam01"]).id),
         lambda w, task: [t.status for t in w.services.cases.tasks(task[0])]),
    Case("cases.add_note", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, number: w.services.cases.add_note(a, number, "a witness saw a grey sedan"),
         new_case, lambda w, number: len(w.services.cases.notes(number))),
    # clips
    Case("clips.tag", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, _: w.services.clips.tag(a, "cam01", T0 + timedelta(seconds=5), T0 + timedelta(seconds=8)),
         state=lambda w, _: w.count(ClipRow)),
    Case("clips.edit", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, clip_id: w.services.clips.edit(a, clip_id, tags=["witness"]), new_clip, clip_state),
    Case("clips.submit", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, clip_id: w.services.clips.submit(a, clip_id), new_clip, clip_state),
    Case("clips.discard", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, clip_id: w.services.clips.discard(a, clip_id), new_clip, clip_state),
    Case("clips.review", Action.REVIEW_CLIPS, SUPERVISORS,
         lambda w, a, clip_id: w.services.clips.review(a, clip_id, approve=True, comment="plate readable"),
         lambda w: new_clip(w, submitted=True), clip_state),
    Case("clips.review_queue", Action.REVIEW_CLIPS, SUPERVISORS,
         lambda w, a, _: w.services.clips.review_queue(a)),
    # evidence
    Case("evidence.export_case", Action.EXPORT_EVIDENCE, INVESTIGATORS,
         lambda w, a, out: export_case(sources_for(w.services, w.snapshots_dir), a, EXPORT_CASE, out,
                                       EvidenceSettings()),
         lambda w: w.root / "exports" / w.unique("pkg"),
         lambda w, out: (len(w.services.cases.exports(EXPORT_CASE)), out.exists())),
    # audit
    Case("audit.query", Action.READ_AUDIT, SUPERVISORS_AND_ADMINS,
         lambda w, a, _: w.services.audit.query(a, event_type="case_change", limit=5)),
    Case("audit.export_csv", Action.READ_AUDIT, SUPERVISORS_AND_ADMINS,
         lambda w, a, out: w.services.audit.export_csv(a, out, limit=5),
         lambda w: w.root / f"{w.unique('audit')}.csv", lambda w, out: out.exists()),
    # users
    Case("users.add", Action.MANAGE_USERS, ADMINS,
         lambda w, a, name: w.services.users.add(a, name, "a-long-password", Role.ANALYST),
         lambda w: w.unique("newuser"), lambda w, name: w.count(UserRow, UserRow.username == name)),
    Case("users.set_role", Action.MANAGE_USERS, ADMINS,
         lambda w, a, role: w.services.users.set_role(a, TARGET_USER, role),
         other_role, lambda w, _: target_role(w)),
    Case("users.set_active", Action.MANAGE_USERS, ADMINS,
         lambda w, a, _: w.services.users.set_active(a, TARGET_USER, False),
         lambda w: w.services.users.set_active(PREP_ADMIN, TARGET_USER, True), lambda w, _: w.user(TARGET_USER).active),
    Case("users.set_password (reset)", Action.MANAGE_USERS, ADMINS,
         lambda w, a, _: w.services.users.set_password(a, TARGET_USER, w.unique("new-password")),
         state=lambda w, _: w.user(TARGET_USER).password_hash),
    Case("users.list", Action.MANAGE_USERS, ADMINS, lambda w, a, _: w.services.users.list(a)),
    # reports
    Case("reports.alerts_per_day", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.alerts_per_day(a, *_period(w))),
    Case("reports.lpr_per_hour", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.lpr_per_hour(a, *_period(w))),
    Case("reports.video_searches_per_month", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.video_searches_per_month(a, *_period(w))),
    Case("reports.alert_first_view", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.alert_first_view(a, *_period(w))),
    Case("reports.cameras_offline", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.cameras_offline(a, *_period(w))),
    Case("reports.solvability", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.reports.solvability(a)),
    Case("radar.before_after", Action.VIEW_REPORTS, INVESTIGATORS,
         lambda w, a, _: w.services.radar.before_after(a, "R1", T0)),
    # radar sites and cameras
    Case("radar.upsert_site", Action.EDIT_CAMERAS, ADMINS,
         lambda w, a, name: w.services.radar.upsert_site(a, RadarSite(id="R1", name=name, speed_limit_kmh=40.0,
                                                                      sensor_ids=("radar-1",))),
         lambda w: w.unique("Main St pilot"), lambda w, _: w.services.radar.site("R1").name),  # type: ignore[union-attr]
    Case("cameras.import_cameras", Action.EDIT_CAMERAS, ADMINS,
         lambda w, a, name: w.services.cameras.import_cameras(
             [Camera(id="cam02", name=name, lat=41.757, lon=-72.690)], actor=a, source="site.csv"),
         lambda w: w.unique("Park & Broad"), lambda w, _: w.services.cameras.get("cam02").name),  # type: ignore[union-attr]
    Case("cameras.set_record", Action.EDIT_CAMERAS, ADMINS,
         lambda w, a, _: w.services.cameras.set_record("cam02", True, actor=a),
         lambda w: w.services.cameras.set_record("cam02", False, actor=PREP_ADMIN),
         lambda w, _: w.services.cameras.is_recorded("cam02")),
    # RMS history
    Case("case_history.import_cases", Action.IMPORT_CASES, SUPERVISORS_AND_ADMINS,
         lambda w, a, number: CaseHistoryRepository(w.services.db).import_cases(
             [HistoricCase(number=number, case_type="robbery", opened_at=T0, status="open")], actor=a,
             source="rms.csv"),
         lambda w: w.unique("RMS"), lambda w, number: w.count(CaseRow, CaseRow.number == number)),
    # hop trails
    Case("trails.start", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, _: w.services.trails.start(a, plate="6PZ193"), state=lambda w, _: w.count(HopTrailRow)),
    Case("trails.hop", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, trail_id: w.services.trails.hop(a, trail_id, "cam02", T0 + timedelta(seconds=30)),
         lambda w: new_trail(w, hopped=True), trail_state),
    Case("trails.finish", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, trail_id: w.services.trails.finish(a, trail_id, T0 + timedelta(seconds=40)),
         lambda w: new_trail(w, hopped=True), trail_state),
    Case("trails.attach", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, ctx: w.services.trails.attach(a, ctx[0], w.services.cases.find(ctx[1]).id),
         lambda w: (new_trail(w), new_case(w)), lambda w, ctx: trail_state(w, ctx[0])),
    # stills (the wall's snapshots)
    Case("snapshots.save", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, _: stills(w).save(a, png(), camera_id="cam01", camera_name="Main & Asylum", width=64, height=48),
         state=lambda w, _: stills_state(w)),
    Case("snapshots.attach", Action.EDIT_CASES, INVESTIGATORS,
         lambda w, a, ctx: stills(w).attach(a, ctx[0], ctx[1]), new_still,
         lambda w, ctx: stills(w).get(ctx[0]).case_id),  # type: ignore[union-attr]
    # recordings
    Case("recordings.add_bookmark", Action.TAG_CLIPS, INVESTIGATORS,
         lambda w, a, _: w.services.recordings.add_bookmark(a, "cam01", T0 + timedelta(seconds=3), "door opens"),
         state=lambda w, _: w.count(BookmarkRow)),
    # alerts
    Case("alerts.acknowledge", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.acknowledge(alert_id, actor=a), new_alert, alert_state),
    Case("alerts.start", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.start(alert_id, actor=a), new_alert, alert_state),
    Case("alerts.close", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.close(alert_id, actor=a, reason="unit on scene"), new_alert,
         alert_state),
    Case("alerts.reopen", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.reopen(alert_id, actor=a, reason="second report"),
         lambda w: new_alert(w, closed=True), alert_state),
    Case("alerts.assign", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.assign(alert_id, a.username, actor=a), new_alert, alert_state),
    Case("alerts.comment", Action.WORK_ALERTS, EVERYONE,
         lambda w, a, alert_id: w.services.alerts.comment(alert_id, "camera 12 shows two people", actor=a),
         new_alert, alert_state),
    # hotlists
    Case("hotlists.add_bolo", Action.EDIT_BOLO, INVESTIGATORS,
         lambda w, a, plate: w.services.hotlists.add_bolo(plate, reason="armed robbery", actor=a),
         lambda w: f"7K{next(w.numbers):04d}",
         lambda w, plate: plate in {e.plate for e in w.services.hotlists.entries()}),
    Case("hotlists.remove_entry (manual BOLO)", Action.EDIT_BOLO, INVESTIGATORS,
         lambda w, a, entry_id: w.services.hotlists.remove_entry(entry_id, actor=a),
         lambda w: w.services.hotlists.add_bolo(f"9B{next(w.numbers):04d}", reason="r", actor=PREP_ANALYST).id,
         lambda w, entry_id: entry_id in {e.id for e in w.services.hotlists.entries()}),
    Case("hotlists.remove_entry (imported list)", Action.IMPORT_HOTLIST, SUPERVISORS_AND_ADMINS,
         lambda w, a, name: w.services.hotlists.remove_entry(w.services.hotlists.entries(name)[0].id,  # type: ignore[arg-type]
                                                             actor=a),
         new_imported_list, entries_of),
    Case("hotlists.import_list", Action.IMPORT_HOTLIST, SUPERVISORS_AND_ADMINS,
         lambda w, a, name: w.services.hotlists.import_list(name, [HotlistEntry(plate_raw="ZZZ999", reason="wanted")],
                                                            replace=True, source="ncic2.csv", actor=a),
         new_imported_list, entries_of),
    Case("hotlists.remove_list", Action.IMPORT_HOTLIST, SUPERVISORS_AND_ADMINS,
         lambda w, a, name: w.services.hotlists.remove_list(name, actor=a), new_imported_list, entries_of),
    # plate searches (each granted query is audited: the count of plate-query records is what changes)
    Case("plate_search.search", Action.SEARCH_PLATES, INVESTIGATORS,
         lambda w, a, _: w.services.plate_search.search("6PZ*", actor=a), state=lambda w, _: plate_queries(w)),
    Case("plate_search.search (partial, fuzzy)", Action.SEARCH_PLATES, INVESTIGATORS,
         lambda w, a, _: w.services.plate_search.search("PZ19", actor=a, partial=True, fuzzy=True),
         state=lambda w, _: plate_queries(w)),
    Case("plate_search.history", Action.SEARCH_PLATES, INVESTIGATORS,
         lambda w, a, _: w.services.plate_search.history("6PZ193", actor=a, recent=500),
         state=lambda w, _: plate_queries(w)),
    # the plate-read feeds (the Plates dock's live reads, the playback timeline): the same right as a search; a granted
    # read is a feed, not a query, and writes no record (tests/store/test_plate_reads.py holds that)
    Case("plate_reads.recent", Action.SEARCH_PLATES, INVESTIGATORS,
         lambda w, a, _: w.services.plate_reads.recent(50, actor=a)),
    Case("plate_reads.between", Action.SEARCH_PLATES, INVESTIGATORS,
         lambda w, a, _: w.services.plate_reads.between(T0 - timedelta(days=1), T0 + timedelta(days=1), actor=a)),
    # the centre's evidence-signing key (the world's own key directory: rotating it changes nothing else here)
    Case("key_admin.rotate_key", Action.MANAGE_KEYS, ADMINS,
         lambda w, a, keys: rotate_key(w.services.db, a, keys), signing_keys,
         lambda w, keys: public_key_path(keys).read_bytes()),
    Case("key_admin.revoke_key (a retired key)", Action.MANAGE_KEYS, ADMINS,
         lambda w, a, ctx: revoke_key(w.services.db, a, ctx[0], ctx[1], "found on a stolen laptop"),
         retired_signing_key,
         lambda w, ctx: history_path(ctx[0]).read_bytes()),
    # PTZ commands a person gives (the auto-slew is the centre's, not a person's: see ui/ptz/auto_slew.py)
    Case("ptz.absolute_move (GuardedPtz)", Action.CONTROL_PTZ, EVERYONE, ptz_absolute_move,
         lambda w: 20.0 if w.ptz.position()[0] == 10.0 else 10.0, lambda w, _: w.ptz.position()),
]


# --- the tests -----------------------------------------------------------------------------------------------------


def test_the_table_is_the_written_policy() -> None:
    """Each case's written set of roles is what PERMISSIONS grants for its action (the README and ROLES.md print the
    table; a change to either must be made here on purpose)."""
    for case in CASES:
        assert case.roles == {role for role in Role if case.action in PERMISSIONS[role]}, case.name


def test_every_guarded_action_has_a_case() -> None:
    """Every action some service checks is tried here (the ones enforced nowhere yet are named, so adding a check
    without a case fails)."""
    checked = set()
    for path in (path for pattern in GUARD_SOURCES for path in (REPO / "c4desk").glob(pattern)):
        checked |= set(re.findall(r"Action\.([A-Z_]+)", path.read_text(encoding="utf-8")))
    assert {Action[name] for name in checked} == {case.action for case in CASES}


def _gap(case: Case, role: Role | None = None) -> list[pytest.MarkDecorator]:
    """The strict xfail of a case in UNAUDITED_REFUSALS, where a refusal is expected (every role but the allowed)."""
    reason = UNAUDITED_REFUSALS.get(case.name)
    refused = role is None or not allowed(role, case.action)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason and refused else []


MATRIX = [pytest.param(case, role, id=f"{case.name}-{role.value}", marks=_gap(case, role))
          for case in CASES for role in Role]


@pytest.mark.parametrize(("case", "role"), MATRIX)
def test_exactly_the_allowed_roles_succeed(world: World, case: Case, role: Role) -> None:
    actor = actor_for(role)
    prepared = case.prepare(world)
    before = case.state(world, prepared) if case.state is not None else None
    last = world.last_audit_id()
    if allowed(role, case.action):
        case.attempt(world, actor, prepared)
        if case.state is not None:
            assert case.state(world, prepared) != before, f"{case.name} as {role.value} changed nothing"
        assert [r for r in world.audit_after(last) if r.event_type == "permission_denied"] == []
        return
    with pytest.raises(PermissionDenied) as refused:
        case.attempt(world, actor, prepared)
    assert (refused.value.actor, refused.value.action) == (actor, case.action)
    records = world.audit_after(last)
    assert [(r.event_type, r.username, r.workstation, r.outcome, r.detail["action"], r.detail["role"])
            for r in records] == [("permission_denied", actor.username, WORKSTATION, "failure", case.action.value,
                                   role.value)], f"{case.name} as {role.value}: a refusal writes one record, only"
    if case.state is not None:
        assert case.state(world, prepared) == before, f"{case.name} as {role.value} changed the store"


ONE_ALLOWED = [pytest.param(case, min(case.roles, key=list(Role).index), id=case.name, marks=_gap(case))
               for case in CASES]


@pytest.mark.parametrize(("case", "role"), ONE_ALLOWED)
def test_each_case_asks_the_table_for_its_action(world: World, case: Case, role: Role,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = case.prepare(world)
    monkeypatch.setitem(PERMISSIONS, role, PERMISSIONS[role] - {case.action})
    actor = actor_for(role)
    last = world.last_audit_id()
    with pytest.raises(PermissionDenied) as refused:
        case.attempt(world, actor, prepared)
    assert refused.value.action is case.action
    assert [(r.event_type, r.detail["action"]) for r in world.audit_after(last)] == [
        ("permission_denied", case.action.value)]


def test_machine_paths_are_not_reachable_from_people_facing_code() -> None:
    """Sensor ingest and the raw camera upsert are unguarded machine paths: the UI must never call them, and the
    command line may ingest sensor data but must import a site through the guarded ``import_cameras``."""
    machine = {"ui": r"\.(upsert_many|ingest_gunshot|add_or_update_gunshot|import_gunshots)\(",
               "cli": r"\.upsert_many\("}
    offenders = [f"{path.relative_to(REPO)}:{n}" for package, pattern in machine.items()
                 for path in sorted((REPO / "c4desk" / package).rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(pattern, line)]
    assert offenders == []
