"""Recorder supervision: one recorder per camera marked for recording, kept in step with the inventory, and
rolling retention run periodically.

The hub (embedded in the one-seat workstation, or ``c4desk hub``) owns one ``RecorderSupervisor``. Only one
process should record a given database's cameras: two supervisors on one PostgreSQL would write every camera
twice.

At start it first repairs what a crash left behind (``recover_interrupted``: segments still marked
'recording' are closed at their last known end and the time since is a gap), then starts the recorders. It
follows ``CamerasChanged`` on the bus: a camera newly marked for recording starts, one unmarked or disabled
stops, one whose stream URL changed restarts. On ``stop()`` every recorder closes its file and a gap "recorder
stopped" is opened, which the next start closes: the timeline then shows why those hours are missing.

The recorders share one ``ProgressWriter``: every open segment's end and size reach the index in one transaction
per ``extend_every_s``, not one per camera.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from c4desk.config import RecordingSettings
from c4desk.domain.camera import Camera
from c4desk.domain.events import CamerasChanged
from c4desk.media.recorder import ProgressWriter, Recorder, RecorderOptions, RecorderStatus
from c4desk.media.retention import RetentionReport, apply_retention
from c4desk.media.stream_login import camera_login_lookup, redact
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.recordings import RecordingRepository

log = logging.getLogger(__name__)
STOPPED_REASON = "recorder stopped"
RETENTION_INTERVAL_S = 600.0


def recorder_options(settings: RecordingSettings) -> RecorderOptions:
    return RecorderOptions(segment_seconds=float(settings.segment_seconds))


def recording_url(camera: Camera) -> str:
    """Record the main (full quality) stream; the sub stream only when there is no main one."""
    return camera.stream_main or camera.stream_sub


class RecorderSupervisor:
    """Starts, follows and stops the recorders; runs retention every ``retention_interval_s``.

    ``cameras``: the inventory (cameras with ``record`` on, enabled, with a stream are recorded) or a fixed list
    of cameras to record (tests, benches).
    """

    def __init__(self, repo: RecordingRepository, cameras: CameraRepository | Sequence[Camera],
                 settings: RecordingSettings, *, bus: EventBus | None = None,
                 options: RecorderOptions | None = None, retention_interval_s: float = RETENTION_INTERVAL_S,
                 data_dir: Path | None = None) -> None:
        """``data_dir``: where cameras' logins are looked up (their ``credential_ref``; the keyring first)."""
        self.repo = repo
        self.data_dir = data_dir
        self._cameras = cameras
        self.settings = settings
        self.bus = bus
        self.options = options or recorder_options(settings)
        self.retention_interval_s = retention_interval_s
        self.progress_writer = ProgressWriter(repo, self.options.extend_every_s)
        self._recorders: dict[str, Recorder] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._retention_thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.last_retention: RetentionReport | None = None
        self.started = False

    # ---- life cycle -------------------------------------------------------------------------------------

    def start(self) -> RecorderSupervisor:
        if self.started:
            return self
        closed = self.repo.recover_interrupted()
        if closed:
            log.info("closed %d segment(s) an earlier run left open", len(closed))
        self._stop.clear()
        self.started = True
        if self.bus is not None:
            self._unsubscribe = self.bus.subscribe(CamerasChanged, self._on_cameras_changed)
        self.sync()
        self._retention_thread = threading.Thread(target=self._retention_loop, name="recording-retention",
                                                  daemon=True)
        self._retention_thread.start()
        return self

    def stop(self) -> None:
        """Stop every recorder (in parallel) and record the time until the next start as a gap."""
        if not self.started:
            return
        self.started = False
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._lock:
            recorders, self._recorders = dict(self._recorders), {}
        self._stop_all(recorders, gap_reason=STOPPED_REASON)
        if self._retention_thread is not None:
            self._retention_thread.join(timeout=30)
            self._retention_thread = None

    def __enter__(self) -> RecorderSupervisor:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---- which cameras ----------------------------------------------------------------------------------

    def wanted(self) -> dict[str, str]:
        """camera id -> URL for every camera that should be recorded now."""
        return {c.id: recording_url(c) for c in self._wanted_cameras()}

    def _wanted_cameras(self) -> list[Camera]:
        if isinstance(self._cameras, CameraRepository):
            ids = set(self._cameras.recording_ids())
            cameras = [c for c in self._cameras.list() if c.id in ids]
        else:
            cameras = [c for c in self._cameras if c.enabled]
        return [c for c in cameras if recording_url(c)]

    def sync(self) -> None:
        """Bring the running recorders in line with ``wanted()``."""
        if not self.started:
            return
        cameras = {c.id: c for c in self._wanted_cameras()}
        wanted = {cid: recording_url(c) for cid, c in cameras.items()}
        with self._lock:
            # A changed URL or login reference restarts the recorder (a new login is looked up at each connect).
            stale = {cid: r for cid, r in self._recorders.items()
                     if cid not in cameras or (wanted[cid], cameras[cid].credential_ref) != (r.url, r.credential_ref)}
            for cid in stale:
                del self._recorders[cid]
        # Unmarked cameras get no gap (nobody asked for their video); a changed URL restarts at once.
        self._stop_all(stale, gap_reason=None)
        with self._lock:
            if not self.started:
                return
            for cid, url in wanted.items():
                if cid not in self._recorders:
                    log.info("recording %s from %s", cid, redact(url))
                    ref = cameras[cid].credential_ref
                    self._recorders[cid] = Recorder(self.repo, cid, url, self.options,
                                                    progress_writer=self.progress_writer,
                                                    login=camera_login_lookup(self.data_dir, ref),
                                                    credential_ref=ref).start()

    def _on_cameras_changed(self, _event: CamerasChanged) -> None:
        # On the publisher's thread; sync is quick (starting threads, at most stopping a few recorders).
        try:
            self.sync()
        except Exception:
            log.exception("could not follow a camera change")

    def _stop_all(self, recorders: dict[str, Recorder], gap_reason: str | None) -> None:
        for recorder in recorders.values():
            recorder.request_stop()
        for cid, recorder in recorders.items():
            recorder.join()
            if gap_reason is not None:
                try:
                    self.repo.open_gap(cid, recorder.last_end or datetime.now(UTC), gap_reason)
                except Exception:
                    log.exception("could not record the gap for %s", cid)

    # ---- status -----------------------------------------------------------------------------------------

    @property
    def recorders(self) -> dict[str, Recorder]:
        with self._lock:
            return dict(self._recorders)

    def statuses(self) -> list[RecorderStatus]:
        return [r.status() for _, r in sorted(self.recorders.items())]

    # ---- retention --------------------------------------------------------------------------------------

    def run_retention(self, now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
        report = apply_retention(self.repo, retention_days=self.settings.retention_days,
                                 disk_budget_gb=self.settings.disk_budget_gb, now=now, dry_run=dry_run)
        if not dry_run:
            self.last_retention = report
        return report

    def _retention_loop(self) -> None:
        while True:
            try:
                self.run_retention()
            except Exception:
                log.exception("retention failed; trying again later")
            if self._stop.wait(self.retention_interval_s):
                return
