"""Bringing the demo city up and down: clips, the RTSP server, the site, and the looping scenario.

Order matters: the server starts first (so the cameras' URLs carry its real port), then the site is
imported, then the scenario starts on the same epoch as the video, so an event at loop time t happens while
the cameras show loop time t.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from c4desk.config import Paths, RecordingSettings, cache_dir
from c4desk.credentials import put_secret
from c4desk.demo import city, ptz_scene, render, script
from c4desk.demo.history import ensure_history
from c4desk.demo.owner_service import OwnerService
from c4desk.demo.ptz_video import DEMO_MOVE_SPEED_DEG_S, PtzVideoLink, start_links
from c4desk.demo.render import render_all
from c4desk.demo.servers import SupervisedRtspServer
from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.alerts import GunshotReport
from c4desk.domain.camera import CameraKind
from c4desk.domain.layouts import ViewSpec, preset
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.recording import RecorderSupervisor
from c4desk.hub.runtime import Hub
from c4desk.hub.scenario import Occurrence, ScenarioPlayer
from c4desk.hub.services import Services
from c4desk.integrations.hotlist_files import parse_hotlist_text
from c4desk.store.views import ViewRepository

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
# The demo's PTZ simulators' login; a real site keeps each camera's in the keyring under its credential_ref.
DEMO_PTZ_USER = "demo"
DEMO_PTZ_PASSWORD = "demo"
START_VIEW = "Demo: the getaway route"
DEMO_VIEW_OWNER = "demo"
# The demo city itself, as the system: it imports the site and the BOLO list and marks cameras for recording
# through the same guarded, audited services a person uses, so the audit trail says who did it. ':' is not allowed
# in user names, so no login can ever be this actor.
DEMO_ADMIN = Actor("system:demo", Role.ADMIN, workstation="demo")
# Short segments, so playback and clips of what just happened work a few seconds after the demo starts.
DEMO_SEGMENT_SECONDS = 10


@dataclass
class DemoOptions:
    clip_seconds: float = script.PERIOD_S
    camera_ids: tuple[str, ...] = ()  # empty: all cameras
    rtsp_port: int = 8554
    clip_dir: Path = field(default_factory=lambda: cache_dir() / "demo-clips")
    # Record every demo camera from the start with these settings (segment length forced to 10 s); None: don't.
    recording: RecordingSettings | None = None


class DemoCity:
    """Owns the demo's running parts; ``stop()`` (also via ``with``) leaves no process behind."""

    def __init__(self, services: Services, paths: Paths, options: DemoOptions | None = None,
                 hub: Hub | None = None) -> None:
        self.services = services
        # Events go through the hub's real ingest endpoint when there is one (the one-seat workstation runs it).
        self.hub = hub
        self._http = requests.Session()
        self.paths = paths
        self.options = options or DemoOptions()
        # Supervised: gst-rtsp-server can abort; it comes back on the same port and the tiles reconnect.
        self.server: SupervisedRtspServer | None = None
        self.ptz_simulators: dict[str, VapixSimulator] = {}
        self.panoramas: dict[str, Path] = {}  # PTZ cameras: the wide scene their video is cut from, live
        self.ptz_links: list[PtzVideoLink] = []
        self.owner_service: OwnerService | None = None
        self.recorder: RecorderSupervisor | None = None

        self._plate_crops: dict[str, str] = {}
        self.scenario: ScenarioPlayer[script.ScenarioEvent] | None = None
        self.epoch = 0.0

    def placements(self) -> tuple[city.CameraPlacement, ...]:
        wanted = set(self.options.camera_ids)
        return tuple(p for p in city.PLACEMENTS if not wanted or p.id in wanted)

    def render(self, progress: Progress | None = None) -> dict[str, Path]:
        """Render (or reuse from the cache) every camera's clip, and each PTZ camera's panorama (its video is a
        live crop of that, following the simulated head: see ``ptz_video``). Slow on the first run only."""
        ptz = {p.id for p in self.placements() if p.kind is CameraKind.PTZ}
        clips = render_all(self.options.clip_dir, placements=[p for p in self.placements() if p.id not in ptz],
                           seconds=self.options.clip_seconds, progress=progress)
        self.panoramas = ptz_scene.render_panoramas(self.options.clip_dir, self.placements(),
                                                    seconds=self.options.clip_seconds)
        return clips

    def start(self, progress: Progress | None = None) -> None:
        clips = self.render(progress)
        # Whole seconds, so loop time on the burned-in clocks reads the same as the epoch arithmetic.
        self.epoch = float(int(time.time()))
        self.server = SupervisedRtspServer(clips, port=self.options.rtsp_port, epoch=self.epoch,
                                           period=self.options.clip_seconds, ptz=self.panoramas).start()
        self._start_ptz_simulators()
        self.ptz_links = start_links(self.ptz_simulators, self.server)
        self.owner_service = OwnerService().start()
        self._import_site()
        # A year of demo figures (cases, searches, alerts, reads, radar) for the analytics; once per database.
        ensure_history(self.services)
        self._start_recorder()
        self._import_bolo_list()
        self._save_start_view()
        self.scenario = ScenarioPlayer([(e.t, e) for e in script.events()], self._deliver, epoch=self.epoch,
                                       period=script.PERIOD_S)
        self.scenario.start()

        log.info("demo city running: %d cameras on rtsp://%s:%s (server pid %s)", len(clips) + len(self.panoramas),
                 self.server.bind,
                 self.server.port, self.server.pid)

    def _start_ptz_simulators(self) -> None:
        """No real Axis camera exists here: each demo PTZ camera is a VAPIX simulator (digest auth, presets,
        position) placed where the camera stands, so PTZ control and auto-slew work against a real protocol."""
        for p in self.placements():
            if p.kind is not CameraKind.PTZ:
                continue
            lat, lon = city.offset_to_latlon(*city.camera_position(p))
            sim = VapixSimulator(DEMO_PTZ_USER, DEMO_PTZ_PASSWORD, lat=lat, lon=lon,
                                 mount_height_m=city.PTZ_MOUNT_HEIGHT_M,
                                 move_speed_deg_s=DEMO_MOVE_SPEED_DEG_S).start()
            self.ptz_simulators[p.id] = sim
            put_secret(self.paths.data_dir, f"demo-{p.id}", f"{DEMO_PTZ_USER}:{DEMO_PTZ_PASSWORD}")

    def _start_recorder(self) -> None:
        """Every demo camera is marked for recording; the recorder runs when ``options.recording`` is set."""
        for p in self.placements():
            self.services.cameras.set_record(p.id, True, actor=DEMO_ADMIN)
        if self.options.recording is None:
            return
        settings = self.options.recording.model_copy(update={"segment_seconds": DEMO_SEGMENT_SECONDS})
        self.recorder = RecorderSupervisor(self.services.recordings, self.services.cameras, settings,
                                           bus=self.services.bus, data_dir=self.paths.data_dir).start()

    def _save_start_view(self) -> None:
        """The view the demo opens on (shared, favourite 1): the first four cameras along the getaway route."""
        route = [p.id for p in self.placements() if p.kind is CameraKind.FIXED][:4]
        spec = ViewSpec(START_VIEW, preset("2x2"), cameras=tuple(route), favourite=1)
        ViewRepository(self.services.db).save(DEMO_VIEW_OWNER, spec, shared=True, note="demo city")

    def _import_bolo_list(self) -> None:
        """The demo's BOLO list, through the same parser as ``c4desk hotlist import``."""
        parsed = parse_hotlist_text(script.BOLO_HOTLIST_CSV, hotlist="Demo BOLO", entered_by=DEMO_ADMIN.username)
        if parsed.errors:
            raise RuntimeError(f"demo BOLO list: {parsed.errors[0]}")
        self.services.hotlists.import_list("Demo BOLO", parsed.entries, replace=True, source="demo",
                                           actor=DEMO_ADMIN)

    def _import_site(self) -> None:
        assert self.server is not None
        base = f"rtsp://{self.server.bind}:{self.server.port}"
        wanted = {p.id for p in self.placements()}
        ptz_urls = {cid: sim.ptz_url for cid, sim in self.ptz_simulators.items()}
        cameras = [c for c in city.demo_cameras(rtsp_base=base, ptz_urls=ptz_urls) if c.id in wanted]
        self.services.cameras.import_cameras(cameras, actor=DEMO_ADMIN, source="demo city")
        self.paths.ensure()
        self.paths.streets_file.write_text(json.dumps(city.streets_geojson()))

    def _deliver(self, occ: Occurrence[script.ScenarioEvent]) -> None:
        """Store one scenario event the way the ingest side would (the hub endpoint comes with alerts work)."""
        event, p = occ.item, occ.item.payload

        def num(key: str) -> float:
            return float(str(p[key]))

        if event.kind == "gunshot" and self.hub is not None:
            self._post("/api/v1/alerts/gunshot", {
                "id": f"DEMO-{occ.cycle:05d}-SST", "type": p["type"], "rounds": p["rounds"], "lat": p["lat"],
                "lon": p["lon"], "detected_at": (occ.at + timedelta(seconds=num("detected_offset_s"))).isoformat(),
                "address": p["address"], "beat": p["beat"], "district": p["district"], "status": "new",
            })
        elif event.kind == "gunshot":
            self.services.alerts.add_or_update_gunshot(GunshotReport(
                id=f"DEMO-{occ.cycle:05d}-SST", type=str(p["type"]),
                detected_at=occ.at + timedelta(seconds=num("detected_offset_s")), lat=num("lat"), lon=num("lon"),
                rounds=int(num("rounds")), address=str(p["address"]), beat=str(p["beat"]),
                district=str(p["district"]), payload=dict(p),
            ), received_at=occ.at)
        elif event.kind == "lpr_read" and self.hub is not None and (
                not self.options.camera_ids or p["camera_id"] in self.options.camera_ids):
            index = [c.id for c in city.PLACEMENTS].index(str(p["camera_id"]))
            self._post("/api/v1/lpr/events", {
                "carID": f"{occ.cycle}-{p['car_id']}", "carState": "new", "plateText": p["plate"],
                "plateRegion": p["region"], "plateConfidence": p["confidence"], "carMoveDirection": p["direction"],
                "capture_timestamp": occ.at.isoformat(), "camera_info": {"SerialNumber": f"DEMO{index + 1:04d}"},
                "plateImage": self._plate_crop(str(p["plate"])),
            })
        elif event.kind == "lpr_read" and (not self.options.camera_ids or p["camera_id"] in self.options.camera_ids):
            self.services.plate_reads.add(LprRead(
                camera_id=str(p["camera_id"]), plate_raw=str(p["plate"]), read_at=occ.at, region=str(p["region"]),
                confidence=num("confidence"), direction=str(p["direction"]), car_id=str(p["car_id"]),
            ))

    def _plate_crop(self, plate: str) -> str:
        """A base64 JPEG of the plate as an LPR camera would crop it."""
        if plate not in self._plate_crops:
            self._plate_crops[plate] = base64.b64encode(render.plate_crop_jpeg(plate)).decode()
        return self._plate_crops[plate]

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        assert self.hub is not None
        response = self._http.post(self.hub.base_url + path, json=payload, timeout=5,
                                   headers={"Authorization": f"Bearer {self.hub.token}"})
        if response.status_code >= 300:
            log.error("demo event refused by the hub (%s): %s", response.status_code, response.text[:500])

    def stop(self) -> None:
        self._http.close()
        if self.recorder is not None:  # before the server, so its end is not recorded as an outage
            self.recorder.stop()
            self.recorder = None
        if self.scenario is not None:
            self.scenario.stop()
            self.scenario = None
        for link in self.ptz_links:
            link.stop()
        self.ptz_links.clear()
        if self.server is not None:
            self.server.stop()
            self.server = None
        for sim in self.ptz_simulators.values():
            sim.stop()
        self.ptz_simulators.clear()
        if self.owner_service is not None:
            self.owner_service.stop()
            self.owner_service = None

    def __enter__(self) -> DemoCity:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
