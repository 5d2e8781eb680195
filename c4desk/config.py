"""Settings declared once, and where a run keeps its files.

Settings (what the user chooses) live in ``settings.json`` in the data directory; UI state (window
geometry, dock layout) lives apart in ``ui-state.ini`` so that resetting one never loses the other.
Secrets never live in either: they go through the keyring (see ``secrets.py``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, ValidationError, field_validator

APP_NAME = "c4desk"


class VideoSettings(BaseModel):
    backend: Literal["auto", "vlc", "av"] = Field("auto", description="Player backend; auto picks libvlc "
                                                  "where it can open the URL's scheme and PyAV otherwise.")
    network_caching_ms: int = Field(300, ge=50, le=10_000, description="Live buffering; 300 ms is steady, "
                                    "below ~200 ms playback drifts.")
    camera_caching_ms: dict[str, int] = Field(default_factory=dict, description="Per-camera network caching "
                                              "(camera id -> ms, 50..10000) for cameras on slow or lossy links.")
    cycle_dwell_s: float = Field(10.0, ge=3.0, le=3600.0, description="Default time a cycling wall view shows "
                                 "each page of cameras.")
    sub_stream_max_width: int = Field(704, ge=64, le=8192, description="While a camera's sub stream size is "
                                      "unknown, tiles narrower than this (device pixels) play the sub stream.")
    native_windows: bool = Field(False, description="Let libvlc draw on-screen tiles into native windows "
                                 "(X11/Windows/macOS; tiles of URLs libvlc plays). Off: decode into memory.")

    @field_validator("camera_caching_ms")
    @classmethod
    def _check_caching(cls, value: dict[str, int]) -> dict[str, int]:
        for camera_id, ms in value.items():
            if not 50 <= ms <= 10_000:
                raise ValueError(f"camera {camera_id}: network caching {ms} ms is outside 50..10000")
        return value

    def caching_for(self, camera_id: str) -> int:
        """Network caching for one camera: its override, else the default."""
        return self.camera_caching_ms.get(camera_id, self.network_caching_ms)


class AlertSettings(BaseModel):
    response_camera_count: int = Field(4, ge=1, le=16, description="Cameras in an alert's response view.")
    auto_response_view: bool = Field(False, description="Put a new priority-1 alert's response view on the "
                                     "wall at once, instead of offering it (Enter in the queue, or Ctrl+Enter).")
    auto_slew: bool = Field(True, description="Turn PTZ cameras in range toward a new gunshot alert.")


class LprSettings(BaseModel):
    owner_lookup_url: str = Field("", description="Base URL of the vehicle-registration look-up service "
                                  "(GET {url}/owners/{PLATE}); empty turns owner look-up off.")


class HubSettings(BaseModel):
    listen: str = Field("127.0.0.1:8765", description="Ingest endpoint address; loopback unless configured.")


class DemoSettings(BaseModel):
    rtsp_port: int = Field(8554, ge=0, le=65535, description="Port of the demo's RTSP server (0 = any free).")


class RecordingSettings(BaseModel):
    enabled: bool = Field(True, description="Run the recorder for cameras marked for recording.")
    directory: str = Field("", description="Where segments go; empty means DATA_DIR/recordings.")
    segment_seconds: int = Field(60, ge=2, le=3600, description="Length of one stream-copied segment file.")
    retention_days: float = Field(30.0, gt=0, description="Delete segments older than this (evidence holds excepted).")
    disk_budget_gb: float = Field(100.0, gt=0, description="Delete the oldest unheld segments beyond this size.")


class PlaybackSettings(BaseModel):
    alert_lead_seconds: int = Field(30, ge=0, le=3600, description="Jump-to-alert lands this long before it.")


class EvidenceSettings(BaseModel):
    require_approval: bool = Field(True, description="Only clips a supervisor approved can be exported.")
    include_mp4: bool = Field(True, description="Add an MP4 copy of each clip beside the native data.")


class AuditSettings(BaseModel):
    anchor_minutes: float = Field(10.0, ge=0, le=1440, description="How often the hub signs the audit trail's "
                                  "head into DATA_DIR/audit/anchors.jsonl (it also does when it starts and stops); "
                                  "0 leaves only the anchor at stop.")
    anchor_copies: list[Path] = Field(default_factory=list, description="More files each anchor is appended to "
                                      "(another disk, a mounted share, a write-once store): the anchors then "
                                      "outlive a data directory deleted or rewritten as a whole. Check with `c4desk "
                                      "audit verify --anchors COPY`.")


class Settings(BaseModel):
    """Every user-facing option, with its type, default and meaning in one place."""

    schema_version: int = 1
    video: VideoSettings = VideoSettings()
    alerts: AlertSettings = AlertSettings()
    lpr: LprSettings = LprSettings()
    hub: HubSettings = HubSettings()
    demo: DemoSettings = DemoSettings()
    recording: RecordingSettings = RecordingSettings()
    playback: PlaybackSettings = PlaybackSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    audit: AuditSettings = AuditSettings()


@dataclass(frozen=True)
class Paths:
    """Where one run keeps its files. ``--data-dir`` makes a run fully isolated (tests always do)."""

    data_dir: Path

    @classmethod
    def default(cls) -> Paths:
        return cls(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))

    @property
    def database(self) -> Path:
        return self.data_dir / "c4desk.sqlite"

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.json"

    @property
    def ui_state_file(self) -> Path:
        return self.data_dir / "ui-state.ini"

    @property
    def streets_file(self) -> Path:
        """The site's street network as GeoJSON: the map's offline basemap."""
        return self.data_dir / "streets.geojson"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def recordings_dir(self) -> Path:
        """Default home of the recorder's segments (``recording.directory`` overrides it)."""
        return self.data_dir / "recordings"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "c4desk.log"

    def ensure(self) -> Paths:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self


def cache_dir() -> Path:
    """Generated media (demo clips) shared by all data dirs of this user: rendering is slow, results are pure.

    ``C4DESK_CACHE_DIR`` overrides it (the tests point it at their own media cache).
    """
    override = os.environ.get("C4DESK_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


class SettingsError(ValueError):
    pass


def load_settings(paths: Paths) -> Settings:
    """Read settings.json; a missing file gives defaults, a broken one a clear error naming the field."""
    if not paths.settings_file.exists():
        return Settings()
    try:
        raw = json.loads(paths.settings_file.read_text(encoding="utf-8"))
        return Settings.model_validate(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{paths.settings_file}: line {exc.lineno}: {exc.msg}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"{paths.settings_file}: {where}: {first['msg']}") from exc


def save_settings(paths: Paths, settings: Settings) -> None:
    paths.ensure()
    tmp = paths.settings_file.with_suffix(".tmp")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(paths.settings_file)
