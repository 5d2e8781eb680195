"""Report, case-import and radar commands on an isolated data dir, acting as logged-in users."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.domain.permissions import Role
from c4desk.domain.statistics import fisher_exact_p, wilson_interval
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.store.models import AuditEventRow

PASSWORD = "correct horse 1"
CASES = """number,type,opened_at,status,cleared_at,video_component,excluded_reason
H-01,shooting,2025-02-01,cleared,2025-02-20,yes,
H-02,shooting,2025-02-02,closed,2025-03-01,yes,
H-03,robbery,2025-02-03,open,,yes,
H-04,shooting,2025-02-04,cleared,2025-02-10,no,
H-05,shooting,2025-02-05,open,,no,
H-06,robbery,2025-02-06,closed,,no,
H-07,robbery,2025-02-07,open,,no,
H-08,homicide,2025-02-08,cleared,2025-04-01,yes,suspect deceased
H-09,shooting,2026-01-05,cleared,2026-01-09,yes,
H-10,burglary,2025-02-09,cleared,2025-02-11,no,
"""


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def users(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    services = Services.open(sqlite_url(Paths(data_dir).database))
    try:
        admin = services.users.bootstrap_admin("root", PASSWORD)
        services.users.add(admin, "sue", PASSWORD, Role.SUPERVISOR)
        services.users.add(admin, "ana", PASSWORD, Role.ANALYST)
        services.users.add(admin, "wally", PASSWORD, Role.WALL_OPERATOR)
    finally:
        services.close()
    monkeypatch.setenv("C4DESK_PASSWORD", PASSWORD)
    monkeypatch.setenv("C4DESK_USER", "sue")
    monkeypatch.setenv("TZ", "UTC")
    return data_dir


def test_import_then_report_solvability(users: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rms.csv").write_text(CASES)
    assert run(users, "case", "import", str(tmp_path / "rms.csv"), "--json") == 0
    assert out_json(capsys) == {"created": 10, "updated": 0, "unchanged": 0}
    assert run(users, "case", "import", str(tmp_path / "rms.csv"), "--json") == 0
    assert out_json(capsys) == {"created": 0, "updated": 0, "unchanged": 10}

    assert run(users, "report", "solvability", "--since", "2025-01-01", "--until", "2026-01-01",
               "--types", "shooting,robbery,homicide", "--json", "--user", "ana") == 0
    # With video H-01 H-02 (cleared) H-03; without H-04 (cleared) H-05 H-06 H-07; H-08 excluded; H-09 after the
    # period; H-10 another type.
    assert out_json(capsys) == {
        "with_video": {"cases": 3, "cleared": 2, "rate": pytest.approx(2 / 3),
                       "ci95": pytest.approx(list(wilson_interval(2, 3) or ()))},
        "without_video": {"cases": 4, "cleared": 1, "rate": 0.25,
                          "ci95": pytest.approx(list(wilson_interval(1, 4) or ()))},
        "relative_increase": pytest.approx((2 / 3) / 0.25 - 1),
        "fisher_p": pytest.approx(fisher_exact_p(2, 1, 1, 3)),
        "excluded": [{"number": "H-08", "type": "homicide", "reason": "suspect deceased"}],
    }
    assert run(users, "report", "solvability") == 0
    text = capsys.readouterr().out
    assert "with video         3 of 4     cleared    75.0%" in text
    assert "excluded H-08 (homicide): suspect deceased" in text


def test_a_bad_file_imports_nothing(users: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = CASES.replace("H-05,shooting,2025-02-05,open", "H-05,shooting,2025-02-31,open").replace(
        "H-07,robbery,2025-02-07,open,,no", "H-07,robbery,2025-02-07,open,,perhaps")
    (tmp_path / "bad.csv").write_text(bad)
    assert run(users, "case", "import", str(tmp_path / "bad.csv")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{tmp_path / 'bad.csv'}: line 6: opened_at: '2025-02-31' is not a date (YYYY-MM-DD) or an ISO 8601 time",
        f"{tmp_path / 'bad.csv'}: line 8: video_component: 'perhaps' is not yes or no (or empty: derive from "
        "c4desk's records)",
        "c4desk: nothing imported: 2 error(s) on 2 line(s)"]
    assert run(users, "report", "solvability", "--json") == 0
    assert out_json(capsys)["with_video"]["cases"] == 0


def test_importing_needs_the_right_role_and_a_login(users: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rms.csv").write_text(CASES)
    assert run(users, "case", "import", str(tmp_path / "rms.csv"), "--user", "ana") == 2
    assert capsys.readouterr().err.strip() == "c4desk: ana (analyst) may not import cases"
    assert run(users, "report", "solvability", "--user", "wally") == 2
    assert "may not view reports" in capsys.readouterr().err
    monkeypatch.delenv("C4DESK_USER")
    assert run(users, "report", "solvability") == 2
    assert "needs a login" in capsys.readouterr().err
    services = Services.open(sqlite_url(Paths(users).database))
    try:
        with services.db.session() as s:
            denied = s.scalars(select(AuditEventRow.object).where(AuditEventRow.event_type == "permission_denied")
                               ).all()
    finally:
        services.close()
    assert denied == ["cases:import:rms.csv", "report:solvability"]


def test_radar_site_ingest_and_before_after(users: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run(users, "radar", "site", "capitol", "--name", "Capitol Ave EB", "--limit-mph", "25", "--sensors",
               "r1", "--policy", "48:amber,64:red", "--user", "sue") == 2  # a supervisor may not edit sites
    capsys.readouterr()
    assert run(users, "radar", "site", "capitol", "--name", "Capitol Ave EB", "--limit-mph", "25", "--sensors",
               "r1", "--policy", "48:amber,64:red", "--user", "root", "--json") == 0
    assert out_json(capsys)["speed_limit_kmh"] == pytest.approx(40.2336)
    assert run(users, "radar", "sites", "--json") == 0
    assert out_json(capsys)[0]["policy"] == [{"from_kmh": 48.0, "colour": "amber"}, {"from_kmh": 64.0, "colour": "red"}]

    (tmp_path / "before.csv").write_text("device,time,speed_mph,lane\n"
                                         "r1,2026-02-27T08:15:00-05:00,35,1\n"  # 56.3 km/h amber, 08 local
                                         "r1,2026-02-27T23:10:00-05:00,45,1\n"  # 72.4 red, 23 local
                                         "r1,2026-02-28T08:40:00-05:00,25,2\n")  # 40.2 none
    assert run(users, "ingest", "radar-csv", str(tmp_path / "before.csv"), "--json") == 0
    assert out_json(capsys) == {"stored": 3, "lights": {"amber": 1, "red": 1}}
    after = [{"device": "r1", "time": "2026-03-02T13:15:00Z", "speed_kmh": 38},
             {"device": "r1", "time": "2026-03-03T13:20:00Z", "speed_kmh": 42}]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(a) for a in after)))
    assert run(users, "ingest", "radar", "-", "--json") == 0
    assert out_json(capsys) == {"stored": 2, "lights": {}}
    (tmp_path / "bad.json").write_text(json.dumps([after[0], {**after[1], "device": "r2"}]))
    assert run(users, "ingest", "radar", str(tmp_path / "bad.json")) == 2
    assert capsys.readouterr().err.splitlines()[0].endswith(
        "[1].device: unknown radar device 'r2' (no radar site lists it)")

    assert run(users, "report", "radar", "capitol", "--change", "2026-03-01", "--tz", "America/New_York",
               "--json") == 0
    out = out_json(capsys)
    assert out["change_at"] == "2026-03-01T05:00:00+00:00" and out["tz"] == "America/New_York"
    before, after_ = out["before"], out["after"]
    assert before["readings"] == 3 and after_["readings"] == 2
    assert before["mean_kmh"] == pytest.approx((35 + 45 + 25) / 3 * 1.609344)
    assert after_["mean_kmh"] == pytest.approx(40.0) and after_["share_over_limit"] == pytest.approx(0.5)
    assert before["by_hour"][8]["readings"] == 2 and before["by_hour"][23]["readings"] == 1
    assert after_["by_hour"][8]["readings"] == 2  # 13:15 UTC is 08:15 in New York (EST)
    assert before["lights"] == {"amber": 1, "red": 1}
    assert run(users, "report", "radar", "nowhere", "--change", "2026-03-01") == 2
    assert "no radar site 'nowhere'" in capsys.readouterr().err
    assert run(users, "report", "radar", "capitol", "--change", "2026-03-01T00:00") == 2
    assert "has no zone" in capsys.readouterr().err
