"""`c4desk case|clip|evidence ...` on an isolated data dir with real users, real recordings and real packages.

Users log in as the commands require (``--user`` / ``C4DESK_USER`` with ``C4DESK_PASSWORD``); the recordings are
real H.264/MPEG-TS segments placed where the recorder keeps them (DATA_DIR/recordings).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from c4desk.cli import main
from c4desk.config import Paths
from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from tests.evidence.segments import RecordedFile, describe, record_into, render_segments

PASSWORDS = {"boss": "boss-password", "ana": "ana-password", "sam": "sam-password", "wally": "wally-password"}
CASE = "26-0412"


def run(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def as_user(monkeypatch: pytest.MonkeyPatch, name: str, password: str | None = None) -> None:
    monkeypatch.setenv("C4DESK_USER", name)
    monkeypatch.setenv("C4DESK_PASSWORD", password if password is not None else PASSWORDS[name])


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedFile]:
    from datetime import UTC, datetime

    return describe(render_segments(tmp_path_factory.mktemp("rendered"), 12, 4),
                    datetime(2026, 7, 4, 21, 0, tzinfo=UTC))


@pytest.fixture
def site(data_dir: Path, rendered: list[RecordedFile]) -> Path:
    """Users boss (admin), ana (analyst), sam (supervisor), wally (wall operator); camera cam01, recorded."""
    paths = Paths(data_dir)
    services = Services.open(sqlite_url(paths.database), recordings_root=paths.recordings_dir)
    try:
        boss = services.users.bootstrap_admin("boss", PASSWORDS["boss"])
        for name, role in (("ana", Role.ANALYST), ("sam", Role.SUPERVISOR), ("wally", Role.WALL_OPERATOR)):
            services.users.add(boss, name, PASSWORDS[name], role)
        services.cameras.upsert_many([Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675)])
        record_into(services.recordings, "cam01", rendered)
    finally:
        services.close()
    return data_dir


def test_case_create_link_task_clip_and_show_json(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    as_user(monkeypatch, "ana")
    assert run(site, "case", "create", "--number", CASE, "--type", "shooting", "--lead", "Det. Ruiz",
               "--title", "Shots fired", "--opened", "2026-07-04T20:59:00Z", "--json") == 0
    created = out_json(capsys)
    assert (created["number"], created["case_type"], created["status"]) == (CASE, "shooting", "open")
    assert run(site, "case", "link", CASE, "--plate", "7kx-193") == 0
    assert "linked plate 7KX193 to case 26-0412" in capsys.readouterr().out
    assert run(site, "case", "task", CASE, "--cameras", "cam01,cam02", "--start", "2026-07-04T21:00:00Z",
               "--end", "2026-07-04T21:10:00Z", "--outcome", "useful_video", "--minutes", "35", "--json") == 0
    task = out_json(capsys)
    assert (task["status"], task["outcome"], task["minutes_spent"], task["camera_ids"]) == (
        "done", "useful_video", 35, ["cam01", "cam02"])
    assert run(site, "clip", "add", "--case", CASE, "--camera", "cam01", "--start", "2026-07-04T21:00:02.5Z",
               "--end", "2026-07-04T21:00:06.5Z", "--tag", "vehicle", "--tag", "getaway", "--note", "turns left",
               "--json") == 0
    clip = out_json(capsys)
    assert (clip["status"], clip["held_segments"], clip["tags"]) == ("draft", 2, ["vehicle", "getaway"])
    assert run(site, "case", "note", CASE, "Owner lives nearby") == 0
    capsys.readouterr()

    monkeypatch.delenv("C4DESK_USER")  # reading needs no login
    assert run(site, "case", "show", CASE, "--json") == 0
    doc = out_json(capsys)
    assert set(doc) == {"case", "video_component", "links", "clips", "tasks", "notes", "exports", "timeline"}
    assert doc["case"]["number"] == CASE and doc["case"]["lead_investigator"] == "Det. Ruiz"
    assert doc["case"]["opened_at"] == "2026-07-04T20:59:00+00:00"
    assert doc["video_component"] is True
    assert [(link["kind"], link["ref"]) for link in doc["links"]] == [("plate", "7KX193")]
    assert [(c["id"], c["camera_id"], c["start_at"], c["end_at"]) for c in doc["clips"]] == [
        (clip["id"], "cam01", "2026-07-04T21:00:02.500000+00:00", "2026-07-04T21:00:06.500000+00:00")]
    assert [t["outcome"] for t in doc["tasks"]] == ["useful_video"] and doc["exports"] == []
    assert [n["body"] for n in doc["notes"]] == ["Owner lives nearby"]
    kinds = [item["kind"] for item in doc["timeline"]]
    assert kinds[:3] == ["status", "video_search", "clip"] and set(kinds) >= {"plate", "note"}
    assert run(site, "case", "show", CASE) == 0
    assert "video component: yes" in capsys.readouterr().out

    assert run(site, "case", "list", "--json") == 0
    [listed] = out_json(capsys)
    assert listed["number"] == CASE and listed["video_component"] is True
    assert run(site, "case", "show", "NOPE") == 2
    assert "no case NOPE" in capsys.readouterr().err


def test_logins_and_roles_are_enforced(site: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("C4DESK_USER", raising=False)
    assert run(site, "case", "create", "--number", "1", "--type", "robbery") == 2
    assert "needs a login" in capsys.readouterr().err
    as_user(monkeypatch, "ana", "wrong")
    assert run(site, "case", "create", "--number", "1", "--type", "robbery") == 2
    assert "login as ana failed" in capsys.readouterr().err
    as_user(monkeypatch, "wally")
    assert run(site, "case", "create", "--number", "1", "--type", "robbery") == 2
    assert "wally (wall_operator) may not edit cases" in capsys.readouterr().err
    as_user(monkeypatch, "ana")
    assert run(site, "case", "create", "--number", "1", "--type", "robbery") == 0
    assert run(site, "case", "create", "--number", "1", "--type", "robbery") == 2
    assert "number: case 1 already exists" in capsys.readouterr().err
    assert run(site, "clip", "add", "--camera", "cam01", "--start", "2026-07-04T21:00:20Z",
               "--end", "2026-07-04T21:00:30Z") == 2
    assert "nothing of camera cam01 is recorded" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(site, "clip", "add", "--camera", "cam01", "--start", "2026-07-04T21:00:01", "--end", "2026-07-04T21:00:02Z")
    assert "has no zone" in capsys.readouterr().err


def test_review_export_and_verify(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    as_user(monkeypatch, "ana")
    assert run(site, "case", "create", "--number", CASE, "--type", "shooting") == 0
    capsys.readouterr()
    assert run(site, "clip", "add", "--case", CASE, "--camera", "cam01", "--start", "2026-07-04T21:00:01Z",
               "--end", "2026-07-04T21:00:05Z", "--json") == 0
    clip_id = str(out_json(capsys)["id"])
    out = tmp_path / "evidence" / "pkg"
    assert run(site, "evidence", "export", CASE, "--out", str(out)) == 2  # nothing approved yet
    assert "no clip or still can be exported" in capsys.readouterr().err and not out.exists()

    assert run(site, "clip", "submit", clip_id) == 0
    assert run(site, "clip", "review", clip_id, "--approve") == 2  # an analyst does not review
    assert "may not review clips" in capsys.readouterr().err
    as_user(monkeypatch, "sam")
    assert run(site, "clip", "queue", "--json") == 0
    assert [c["id"] for c in out_json(capsys)] == [int(clip_id)]
    assert run(site, "clip", "review", clip_id, "--reject") == 2
    assert "comment: say why the clip is rejected" in capsys.readouterr().err
    assert run(site, "clip", "review", clip_id, "--approve", "--comment", "good") == 0
    assert f"clip {clip_id} approved" in capsys.readouterr().out
    as_user(monkeypatch, "ana")
    assert run(site, "clip", "mine", "--json") == 0
    assert [(c["status"], c["review_comment"]) for c in out_json(capsys)] == [("approved", "good")]

    assert run(site, "evidence", "export", CASE, "--out", str(out), "--json") == 0
    result = out_json(capsys)
    assert result["package"] == str(out) and result["clips"] == [int(clip_id)] and result["left_out"] == []
    assert run(site, "evidence", "export", CASE, "--out", str(out)) == 2
    assert "already exists" in capsys.readouterr().err

    assert run(site, "evidence", "verify", str(out)) == 0
    ok, signed = capsys.readouterr().out.splitlines()
    assert ok == f"OK (5 files match; manifest SHA-256 {result['manifest_sha256']})"
    assert signed == (f"signed by key {result['signing_key_fingerprint']} (not checked against a known key: pass "
                      "--key, --fingerprint or --keys)")
    assert run(site, "evidence", "verify", str(out), "--registered", "--expect", result["manifest_sha256"]) == 0
    capsys.readouterr()
    clip_file = next((out / "clips").glob("*.ts"))
    data = bytearray(clip_file.read_bytes())
    data[1000] ^= 0xFF
    clip_file.write_bytes(bytes(data))
    (out / "stills").mkdir()
    (out / "stills" / "planted.png").write_bytes(b"x")
    assert run(site, "evidence", "verify", str(out)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"changed: clips/{clip_file.name}: SHA-256 ")
    assert lines[1] == "extra: stills/planted.png: in the package, not in the manifest" and len(lines) == 2
    assert run(site, "evidence", "verify", str(out), "--json") == 1
    assert [p["kind"] for p in out_json(capsys)["problems"]] == ["changed", "extra"]


def test_verify_needs_no_database(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    as_user(monkeypatch, "ana")
    assert run(site, "case", "create", "--number", CASE, "--type", "shooting") == 0
    capsys.readouterr()
    assert run(site, "clip", "add", "--case", CASE, "--camera", "cam01", "--start", "2026-07-04T21:00:01Z",
               "--end", "2026-07-04T21:00:02Z", "--json") == 0
    clip_id = str(out_json(capsys)["id"])
    assert run(site, "clip", "submit", clip_id) == 0
    as_user(monkeypatch, "sam")
    assert run(site, "clip", "review", clip_id, "--approve") == 0
    assert run(site, "evidence", "export", CASE, "--out", str(tmp_path / "pkg")) == 0
    capsys.readouterr()
    elsewhere = tmp_path / "another-machine"
    monkeypatch.delenv("C4DESK_USER")
    monkeypatch.delenv("C4DESK_PASSWORD")
    assert run(elsewhere, "evidence", "verify", str(tmp_path / "pkg")) == 0
    assert capsys.readouterr().out.startswith("OK")
    assert not (elsewhere / "c4desk.sqlite").exists()


def test_verify_against_the_centres_key(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The investigator's check with the centre's published key or fingerprint: a forgery re-signed with another
    key fails; a flipped byte still names only the changed file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from c4desk.evidence.signing import fingerprint, load_public_key, public_key_path, public_key_pem

    as_user(monkeypatch, "ana")
    assert run(site, "case", "create", "--number", CASE, "--type", "shooting") == 0
    assert run(site, "clip", "add", "--case", CASE, "--camera", "cam01", "--start", "2026-07-04T21:00:01Z",
               "--end", "2026-07-04T21:00:02Z", "--json") == 0
    capsys.readouterr()
    assert run(site, "clip", "submit", "1") == 0
    as_user(monkeypatch, "sam")
    assert run(site, "clip", "review", "1", "--approve") == 0
    out = tmp_path / "pkg"
    assert run(site, "evidence", "export", CASE, "--out", str(out)) == 0
    centre = capsys.readouterr().out.splitlines()[-1].removeprefix("signed by the centre's key ")
    published = public_key_path(site)
    assert fingerprint(load_public_key(published.read_bytes())) == centre

    for known in (["--key", str(published)], ["--fingerprint", centre], ["--fingerprint", centre.replace(" ", "")]):
        assert run(site, "evidence", "verify", str(out), *known) == 0
        assert capsys.readouterr().out.splitlines()[1] == f"signed by the expected key {centre}"
    assert run(site, "evidence", "verify", str(out), "--fingerprint", centre, "--json") == 0
    assert out_json(capsys)["signature"] == {"status": "valid", "fingerprint": centre, "known_key": True}

    # Another key's package (or this one re-signed by a forger) fails against the centre's fingerprint.
    forger = Ed25519PrivateKey.generate()
    (tmp_path / "forger.pub").write_bytes(public_key_pem(forger.public_key()))
    assert run(site, "evidence", "verify", str(out), "--key", str(tmp_path / "forger.pub")) == 1
    assert capsys.readouterr().out == (f"signature: manifest.sig: signed by key {centre}, not by the expected key "
                                       f"{fingerprint(forger.public_key())}\n")
    assert run(site, "evidence", "verify", str(out), "--fingerprint", fingerprint(forger.public_key())) == 1
    assert "not by the expected key" in capsys.readouterr().out

    assert run(site, "evidence", "verify", str(out), "--fingerprint", "abcd") == 2
    assert "--fingerprint: expected the key's SHA-256 fingerprint: 64 hex digits" in capsys.readouterr().err
    assert run(site, "evidence", "verify", str(out), "--key", str(tmp_path / "none.pub")) == 2
    assert "--key: " in capsys.readouterr().err
    (tmp_path / "junk.pub").write_text("junk")
    assert run(site, "evidence", "verify", str(out), "--key", str(tmp_path / "junk.pub")) == 2
    assert "not a PEM public key" in capsys.readouterr().err

    clip_file = next((out / "clips").glob("*.ts"))
    data = bytearray(clip_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    clip_file.write_bytes(bytes(data))
    assert run(site, "evidence", "verify", str(out), "--fingerprint", centre) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"changed: clips/{clip_file.name}: SHA-256 ")
