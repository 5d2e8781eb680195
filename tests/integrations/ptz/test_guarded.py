"""GuardedPtz: a person's PTZ client, against c4desk/demo/vapix_simulator.py (a stand-in for an Axis PTZ camera;
no real camera exists here) and a real SQLite database for the audit trail.

Every role holds CONTROL_PTZ in today's table, so the refusal is shown by taking the right away from the wall
operator for the test (``monkeypatch.setitem(PERMISSIONS, ...)``, undone afterwards): the guard asks the table,
not a fixed list, and a centre that restricts PTZ control gets a refusal that is enforced and audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.permissions import PERMISSIONS, Action, Actor, PermissionDenied, Role
from c4desk.integrations.ptz.guarded import GuardedPtz
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade
from c4desk.store.models import AuditEventRow

USER, PASSWORD = "operator", "s3cret!"
ANALYST = Actor("ana", Role.ANALYST, "ws-03")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")

# Every command a person can give, with arguments, and the VAPIX parameter that shows it reached the camera.
COMMANDS: list[tuple[str, Callable[[GuardedPtz], Any], str]] = [
    ("absolute_move", lambda c: c.absolute_move(30.0, -10.0, 0.5), "pan"),
    ("relative_move", lambda c: c.relative_move(pan=5.0), "rpan"),
    ("continuous_move", lambda c: c.continuous_move(0.5, 0.0), "continuouspantiltmove"),
    ("continuous_zoom", lambda c: c.continuous_zoom(0.5), "continuouszoommove"),
    ("stop", lambda c: c.stop(), "continuouspantiltmove"),
    ("home", lambda c: c.home(), "move"),
    ("set_preset", lambda c: c.set_preset("Main St"), "setserverpresetname"),
    ("goto_preset", lambda c: c.goto_preset("Main St"), "gotoserverpresetname"),
    ("remove_preset", lambda c: c.remove_preset("Main St"), "removeserverpresetname"),
    ("center", lambda c: c.center(320, 180, 640, 360), "center"),
    ("area_zoom", lambda c: c.area_zoom(320, 180, 200, 640, 360), "areazoom"),
]


@pytest.fixture
def sim() -> Iterator[VapixSimulator]:
    with VapixSimulator(USER, PASSWORD) as s:
        yield s


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = sqlite_url(tmp_path / "c4desk.sqlite")
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def guarded(sim: VapixSimulator, db: Database, actor: Actor) -> GuardedPtz:
    return GuardedPtz(VapixPtz(sim.url, USER, PASSWORD, backoff_s=0.01), actor=actor, db=db, camera_id="ptz01")


def commands(sim: VapixSimulator) -> list[dict[str, str]]:
    return [c for c in sim.commands() if "query" not in c]


def audit(db: Database) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    with db.session() as s:
        return [(r.event_type, r.username, r.workstation, r.object, r.detail)
                for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]


def test_a_person_who_may_steers_and_leaves_no_record_per_command(sim: VapixSimulator, db: Database) -> None:
    client = guarded(sim, db, ANALYST)
    try:
        for name, give, param in COMMANDS:
            give(client)
            assert param in commands(sim)[-1], name
        assert client.position().pan == sim.position()[0]
        assert client.presets() == []  # removed again above
    finally:
        client.close()
    assert len(commands(sim)) == len(COMMANDS)
    assert audit(db) == []  # a pad drag sends several commands a second: granted ones are not audited


def test_a_role_without_the_right_is_refused_every_command_and_audited(sim: VapixSimulator, db: Database,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PERMISSIONS, Role.WALL_OPERATOR, PERMISSIONS[Role.WALL_OPERATOR] - {Action.CONTROL_PTZ})
    sim.state.presets = {"Main St": (30.0, -10.0, 1.0)}
    client = guarded(sim, db, WALL)
    try:
        for name, give, _ in COMMANDS:
            with pytest.raises(PermissionDenied, match=r"wally \(wall_operator\) may not control ptz"):
                give(client)
            assert audit(db)[-1] == ("permission_denied", "wally", "ws-wall", "camera:ptz01",
                                     {"command": name, "action": "control_ptz", "role": "wall_operator"}), name
        # Where it points and its presets are viewing, not control.
        assert client.position().pan == 0.0
        assert [p.name for p in client.presets()] == ["Main St"]
    finally:
        client.close()
    assert commands(sim) == []  # nothing reached the camera
    assert len(audit(db)) == len(COMMANDS)
