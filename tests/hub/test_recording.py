"""Recorder supervision with a real RTSP server, a real SQLite index and real files: recorders follow the camera
inventory's record flags, a stop leaves a gap the next start closes, a recorder killed mid-file leaves a readable
file whose row the next start repairs, and retention runs on its own."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import av
import pytest

from c4desk.config import RecordingSettings
from c4desk.credentials import put_secret
from c4desk.demo.servers import RtspServer
from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.hub.recording import STOPPED_REASON, RecorderSupervisor
from c4desk.media.recorder import RecorderOptions, RecorderState
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade
from c4desk.store.recordings import RESTART_GAP_REASON, RecordingRepository, Segment
from tests.media import clip
from tests.media.conftest import _gst_rtsp_available, clip_mp4, wait_for  # noqa: F401 - clip_mp4 is a fixture

REPO = Path(__file__).resolve().parents[2]
ADMIN = Actor("root", Role.ADMIN, workstation="ws")
FAST = RecorderOptions(segment_seconds=2, read_timeout_s=1.5, open_timeout_s=3, backoff_initial_s=0.2,
                       backoff_max_s=0.5, extend_every_s=0.5)
HOUR = timedelta(hours=1)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "c4desk.sqlite")
    upgrade(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def repo(db: Database, tmp_path: Path) -> RecordingRepository:
    return RecordingRepository(db, tmp_path / "recordings")


@pytest.fixture
def looped(clip_mp4: Path) -> Iterator[RtspServer]:  # noqa: F811
    if not _gst_rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed")
    server = RtspServer({"cam": clip_mp4}, period=float(clip.SECONDS)).start()
    yield server
    server.stop()


def segments(repo: RecordingRepository, camera: str) -> list[Segment]:
    now = datetime.now(UTC)
    return repo.segments(camera, now - HOUR, now + HOUR)


def test_recorders_follow_the_record_flags(db: Database, repo: RecordingRepository, looped: RtspServer) -> None:
    bus = EventBus()
    cameras = CameraRepository(db, bus)
    cameras.upsert_many([Camera("cam1", "Main & 1st", 41.76, -72.67, stream_main=looped.url("cam")),
                         Camera("cam2", "Main & 2nd", 41.77, -72.67, stream_main=looped.url("cam")),
                         Camera("cam3", "No stream", 41.78, -72.67)])
    supervisor = RecorderSupervisor(repo, cameras, RecordingSettings(segment_seconds=2), bus=bus, options=FAST)
    with supervisor:
        assert supervisor.recorders == {}  # nothing is marked yet
        cameras.set_record("cam1", True, actor=ADMIN)
        cameras.set_record("cam3", True, actor=ADMIN)  # marked, but there is nothing to record
        assert set(supervisor.recorders) == {"cam1"}
        assert wait_for(lambda: len(segments(repo, "cam1")) >= 2, timeout=15)
        cameras.set_record("cam2", True, actor=ADMIN)
        cameras.set_record("cam1", False, actor=ADMIN)
        assert set(supervisor.recorders) == {"cam2"}
        assert segments(repo, "cam1")[-1].status == "complete"
        now = datetime.now(UTC)
        assert repo.gaps("cam1", now - HOUR, now) == []  # unmarking is not an outage
        assert wait_for(lambda: any(s.bytes for s in segments(repo, "cam2")), timeout=15)
        assert [s.state for s in supervisor.statuses()] == [RecorderState.RECORDING]
        # One index writer for all the supervisor's cameras (one transaction per round, not one per camera).
        assert all(r.progress_writer is supervisor.progress_writer for r in supervisor.recorders.values())
        with pytest.raises(PermissionDenied):
            cameras.set_record("cam1", True, actor=Actor("ana", Role.ANALYST))
    assert not supervisor.progress_writer.running  # its thread ended with the last recorder
    # Stopping the supervisor leaves a gap "recorder stopped" from the end of the video...
    stopped = repo.open_gap_of("cam2")
    assert stopped is not None and stopped.reason == STOPPED_REASON
    assert stopped.start_at == segments(repo, "cam2")[-1].end_at
    # ...which the next start closes; cameras no longer marked stay as they are.
    again = RecorderSupervisor(repo, cameras, RecordingSettings(segment_seconds=2), bus=bus, options=FAST)
    with again:
        assert repo.open_gap_of("cam2") is None
        assert wait_for(lambda: segments(repo, "cam2")[-1].start_at > stopped.start_at, timeout=15)
    assert bus.handler_count() == 0  # the supervisors unsubscribed


CRASHING_RECORDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from c4desk.store.db import Database
    from c4desk.store.recordings import RecordingRepository
    from c4desk.media.recorder import Recorder, RecorderOptions
    repo = RecordingRepository(Database(sys.argv[1]), Path(sys.argv[2]))
    Recorder(repo, "cam1", sys.argv[3], RecorderOptions(segment_seconds=60, extend_every_s=0.5)).start()
    print("RUNNING", flush=True)
    time.sleep(60)
""")


def test_a_recorder_killed_mid_file_leaves_a_readable_file_that_the_next_start_repairs(
        db_url: str, repo: RecordingRepository, looped: RtspServer) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_RECORDER, db_url, str(repo.root), looped.url("cam")],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: bool(segments(repo, "cam1")) and segments(repo, "cam1")[0].end_at
                        > segments(repo, "cam1")[0].start_at + timedelta(seconds=2), timeout=20)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    [stale] = segments(repo, "cam1")
    assert stale.status == "recording"
    # The TS file is readable up to where the writer died (every packet was flushed as it came).
    with av.open(str(stale.path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 2 * clip.FPS
    assert stale.path.stat().st_size >= stale.bytes > 0

    supervisor = RecorderSupervisor(repo, [], RecordingSettings(), retention_interval_s=3600)
    with supervisor:
        [repaired] = segments(repo, "cam1")
        assert repaired.status == "complete" and repaired.end_at == stale.end_at
        now = datetime.now(UTC)
        [gap] = repo.gaps("cam1", now - HOUR, now)
        assert gap.reason == RESTART_GAP_REASON and gap.start_at == stale.end_at
        assert gap.end_at is not None and now - timedelta(seconds=5) < gap.end_at <= now


def test_retention_runs_periodically(repo: RecordingRepository) -> None:
    now = datetime.now(UTC)
    old = repo.open_segment("cam1", now - timedelta(days=3), "h264")
    old.path.parent.mkdir(parents=True)
    old.path.write_bytes(b"\x47" * 188)
    repo.close_segment(old.id, now - timedelta(days=3) + timedelta(seconds=60), 188)
    fresh = repo.open_segment("cam1", now - timedelta(hours=1), "h264")
    repo.close_segment(fresh.id, now - timedelta(hours=1) + timedelta(seconds=60), 188)
    supervisor = RecorderSupervisor(repo, [], RecordingSettings(retention_days=2), retention_interval_s=0.2)
    with supervisor:
        assert wait_for(lambda: supervisor.last_retention is not None, timeout=5)
        assert repo.segment(old.id) is None and not old.path.exists()
        assert repo.segment(fresh.id) is not None
        report = supervisor.last_retention
        assert report is not None and [s.id for s in report.deleted] == [old.id]


def test_a_camera_that_needs_a_login_is_recorded_with_the_stored_one_and_its_password_never_logged(
        db: Database, repo: RecordingRepository, clip_mp4: Path, tmp_path: Path,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    """The demo's gst-rtsp-server asking for a login (Digest, as Axis cameras do) stands in for the camera."""
    if not _gst_rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed")
    caplog.set_level(logging.DEBUG)
    password = "Rec0rd p@ss:w/rd%"
    data_dir = tmp_path / "data"
    put_secret(data_dir, "camera-cam1", f"root:{password}")
    with RtspServer({"cam": clip_mp4}, period=float(clip.SECONDS), auth=("root", password)) as server:
        bus = EventBus()
        cameras = CameraRepository(db, bus)
        cameras.upsert_many([
            Camera("cam1", "With login", 41.76, -72.67, stream_main=server.url("cam"), credential_ref="camera-cam1"),
            Camera("cam2", "No login stored", 41.77, -72.67, stream_main=server.url("cam"),
                   credential_ref="camera-cam2")])
        for camera_id in ("cam1", "cam2"):
            cameras.set_record(camera_id, True, actor=ADMIN)
        with RecorderSupervisor(repo, cameras, RecordingSettings(segment_seconds=2), bus=bus, options=FAST,
                                data_dir=data_dir) as supervisor:
            assert wait_for(lambda: any(s.bytes for s in segments(repo, "cam1")), timeout=15)
            assert wait_for(lambda: repo.open_gap_of("cam2") is not None, timeout=15)
            refused = repo.open_gap_of("cam2")
            assert refused is not None and refused.reason == (
                "cannot connect: 401 unauthorized from camera: no login stored for this camera (c4desk cameras login)")
            assert supervisor.recorders["cam1"].url == server.url("cam")  # the plain URL; the login is looked up
    for secret in (password, quote(password, safe="")):
        assert secret not in caplog.text
