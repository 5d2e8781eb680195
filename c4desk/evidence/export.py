"""Export a case as an evidence package (layout and integrity: see ``manifest``).

The package is built in a hidden temporary folder beside the destination (``.NAME.partial-HOST-PID-XXXX``) and
renamed into place as the last step, inside the transaction that records the export (``evidence_exports`` row
plus the chained ``export`` audit record). A crash or kill at any moment therefore leaves either no folder at the
destination or the complete package; a leftover partial folder is never mistaken for a package (hidden name, no
manifest until its last moment) and is removed by the next export to the same destination once its process is
gone. An existing destination is never overwritten: the export stops with ExportError before doing any work.

The clip cutter is passed in (``ExportSources.cutter``, normally ``c4desk.media.clip_cut.cut_clip``): evidence and
media are sibling layers and do not import each other. So is the signer (``signer``, normally
``c4desk.evidence.signing.centre_key(data_dir)``): the export does not know where the data directory is, and the
caller loads the key before the work starts, so a missing key stops an export before anything is cut.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from c4desk import __version__
from c4desk.config import EvidenceSettings
from c4desk.domain.permissions import Actor
from c4desk.evidence.custody import ExportEntry, custody_log
from c4desk.evidence.hashing import fsync_dir, fsync_file, sha256_file, write_new
from c4desk.evidence.manifest import (
    CLIPS_DIR,
    CUSTODY,
    FORMAT,
    MANIFEST,
    MANIFEST_HASH,
    PACKAGE_KEY,
    REPORT,
    SIGNATURE,
    STILLS_DIR,
    file_entries,
    write_manifest,
)
from c4desk.evidence.report import render_report
from c4desk.evidence.signing import ALGORITHM, PackageSigner
from c4desk.store.cameras import CameraRepository
from c4desk.store.cases import Case, CaseRepository
from c4desk.store.clips import Clip, ClipRepository

ProgressFn = Callable[[float, str], None]
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_PARTIAL = ".partial-"


class Cancel(Protocol):
    def is_set(self) -> bool: ...


class SegmentLike(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def start_at(self) -> datetime: ...
    @property
    def end_at(self) -> datetime: ...
    @property
    def bytes(self) -> int: ...


class SegmentSource(Protocol):
    """Where recorded segments are found (c4desk.store.recordings.RecordingRepository)."""

    def segments(self, camera_id: str, start: datetime, end: datetime) -> Sequence[SegmentLike]: ...


class StillLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def camera_id(self) -> str: ...
    @property
    def camera_name(self) -> str: ...
    @property
    def taken_at(self) -> datetime: ...
    @property
    def taken_by(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def sha256(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def note(self) -> str: ...


class StillSource(Protocol):
    """A case's stills (c4desk.store.snapshots.SnapshotRepository)."""

    def for_case(self, case_id: int) -> Sequence[StillLike]: ...


class CutOutcome(Protocol):
    """What a cut reports (c4desk.media.clip_cut.CutResult)."""

    @property
    def actual_start(self) -> datetime: ...
    @property
    def actual_end(self) -> datetime: ...
    @property
    def video_packets(self) -> int: ...
    @property
    def keyframes(self) -> int: ...
    @property
    def codec(self) -> dict[str, Any]: ...
    @property
    def segments(self) -> tuple[Path, ...]: ...
    @property
    def gaps(self) -> tuple[tuple[datetime, datetime], ...]: ...
    @property
    def adjustments(self) -> tuple[str, ...]: ...
    @property
    def covers_request(self) -> bool: ...


class ClipCutter(Protocol):
    def __call__(self, segments: Sequence[Any], start: datetime, end: datetime, native: Path, *,
                 mp4: Path | None = None, progress: Callable[[float], None] | None = None,
                 cancel: Any = None) -> CutOutcome: ...


@dataclass(frozen=True)
class ExportSources:
    """Everything an export reads. From the Services (as c4desk.hub.evidence_sources.export_sources does)::

        ExportSources(cases=services.cases, clips=services.clips, cameras=services.cameras,
                      recordings=services.recordings, stills=SnapshotRepository(services.db, snapshots_dir),
                      cutter=clip_cut.cut_clip, cut_errors=(clip_cut.CutError,),
                      cancelled_errors=(clip_cut.CutCancelled,))
    """

    cases: CaseRepository
    clips: ClipRepository
    cameras: CameraRepository
    recordings: SegmentSource
    stills: StillSource | None
    cutter: ClipCutter
    # Errors a cut may raise that mean "this clip cannot be exported" (listed as left out) vs "stop".
    cut_errors: tuple[type[Exception], ...] = ()
    cancelled_errors: tuple[type[Exception], ...] = ()


@dataclass(frozen=True)
class LeftOut:
    kind: str  # clip | still
    id: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class ExportResult:
    package: Path
    manifest_sha256: str
    export_id: int
    files: int  # every file in the package, manifest.json and manifest.sha256 included
    bytes: int
    clips: tuple[int, ...]
    stills: tuple[int, ...]
    left_out: tuple[LeftOut, ...]
    seconds: float
    key_fingerprint: str | None = None  # of the key that signed the manifest; None: the package is unsigned

    def as_dict(self) -> dict[str, Any]:
        return {"package": str(self.package), "manifest_sha256": self.manifest_sha256, "export_id": self.export_id,
                "files": self.files, "bytes": self.bytes, "clips": list(self.clips), "stills": list(self.stills),
                "left_out": [x.as_dict() for x in self.left_out], "seconds": round(self.seconds, 3),
                "signing_key_fingerprint": self.key_fingerprint}


class ExportError(RuntimeError):
    """The export could not be made; nothing was left at the destination."""


class ExportCancelled(ExportError):
    pass


def default_package_dir(exports_dir: Path, case_number: str, at: datetime | None = None) -> Path:
    """A fresh folder name for a case's package under ``exports_dir``: ``<case>_<UTC time>``."""
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return exports_dir / f"{_SAFE.sub('_', case_number)}_{when}"


def export_case(sources: ExportSources, actor: Actor, case_number: str, out_dir: Path | str,
                settings: EvidenceSettings, *, progress: ProgressFn | None = None,
                cancel: Cancel | None = None, signer: PackageSigner | None = None) -> ExportResult:
    """Write the evidence package of case ``case_number`` to the new folder ``out_dir``.

    Needs EXPORT_EVIDENCE (PermissionDenied, audited). With ``settings.require_approval`` only approved clips are
    exported; otherwise every clip that was not rejected. Clips and stills that cannot be exported are listed in
    ``ExportResult.left_out`` (and in the manifest and report) with the reason. ``progress(fraction, message)``
    reports work done; ``cancel.is_set()`` stops the export (ExportCancelled). ``signer`` (the centre's key) signs
    the manifest and puts its public key in the package; without one the package is unsigned, which
    ``verify`` reports. Raises ExportError (nothing at the destination) when the destination exists or nothing
    can be exported.
    """
    started = time.monotonic()
    case = sources.cases.authorize_export(actor, case_number)
    destination = Path(out_dir).expanduser().absolute()
    if destination.exists():
        raise ExportError(f"{destination} already exists: evidence packages are never overwritten; choose a new "
                          "folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(destination)
    work = destination.parent / f".{destination.name}{_PARTIAL}{socket.gethostname()}-{os.getpid()}-" \
                                f"{uuid.uuid4().hex[:8]}"
    report = progress or (lambda _f, _m: None)
    try:
        work.mkdir()
        built = _Build(sources, actor, case, work, settings, report, cancel, signer)
        manifest, manifest_sha = built.run()
        files = file_entries(work)
        integrity = [work / name for name in (MANIFEST, MANIFEST_HASH, SIGNATURE) if (work / name).is_file()]
        size = sum(f["bytes"] for f in files) + sum(p.stat().st_size for p in integrity)
        signing = {} if signer is None else {"signing_key": signer.fingerprint}
        _check(cancel)
        placed: list[bool] = []

        def place() -> None:
            if destination.exists():
                raise ExportError(f"{destination} appeared while exporting; the package was not put there")
            os.rename(work, destination)
            fsync_dir(destination.parent)
            placed.append(True)

        try:
            record = sources.cases.record_export(
                actor, case, path=str(destination), manifest_sha256=manifest_sha, files=len(files) + len(integrity),
                size=size, detail={"package_id": manifest["package_id"], "clips": [c["id"] for c in manifest["clips"]],
                                   "stills": [s["id"] for s in manifest["stills"]],
                                   "left_out": manifest["left_out"], **signing},
                finalize=place)
        except BaseException:
            if placed:  # the rename happened but the record did not commit: take the package back out
                os.rename(destination, work)
            raise
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        _audit_failure(sources, actor, case, exc)
        if isinstance(exc, sources.cancelled_errors) and not isinstance(exc, ExportCancelled):
            raise ExportCancelled("export cancelled; nothing was written") from exc
        if isinstance(exc, OSError):
            raise ExportError(f"export failed: {exc}") from exc
        raise
    report(1.0, "done")
    return ExportResult(package=destination, manifest_sha256=manifest_sha, export_id=record.id,
                        files=len(files) + len(integrity), bytes=size, clips=tuple(c["id"] for c in manifest["clips"]),
                        stills=tuple(s["id"] for s in manifest["stills"]),
                        left_out=tuple(LeftOut(x["kind"], x["id"], x["reason"]) for x in manifest["left_out"]),
                        seconds=time.monotonic() - started,
                        key_fingerprint=None if signer is None else signer.fingerprint)


def _check(cancel: Cancel | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ExportCancelled("export cancelled; nothing was written")


def _audit_failure(sources: ExportSources, actor: Actor, case: Case, exc: BaseException) -> None:
    cancelled = isinstance(exc, (ExportCancelled, *sources.cancelled_errors))
    with contextlib.suppress(Exception):  # the original error matters more than a failed audit of it
        sources.cases.record_export_failure(actor, case, {"cancelled": cancelled, "error": str(exc)[:500]})


def _remove_stale_partials(destination: Path) -> None:
    """Remove partial folders of earlier exports to this destination whose process (on this host) is gone."""
    prefix = f".{destination.name}{_PARTIAL}{socket.gethostname()}-"
    for leftover in destination.parent.glob(f".{destination.name}{_PARTIAL}*"):
        if not leftover.name.startswith(prefix):
            continue
        pid_text = leftover.name[len(prefix):].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True  # cannot tell (e.g. Windows semantics): keep the folder
    return True


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _clock_offset(extra: dict[str, str]) -> float | None:
    """The camera's measured clock offset in seconds (camera minus reference), if the site file gives one."""
    for key in ("clock_offset_s", "recorder_clock_offset_s"):
        if key in extra:
            with contextlib.suppress(ValueError):
                return float(extra[key])
    return None


def _tool() -> dict[str, str]:
    tool = {"name": "c4desk", "version": __version__}
    try:
        import av

        tool["pyav"] = str(av.__version__)
        tool["libavformat"] = ".".join(str(v) for v in av.library_versions.get("libavformat", ()))
    except ImportError:  # pragma: no cover - av is a hard dependency
        pass
    return tool


class _Build:
    """One package being written into ``work``."""

    def __init__(self, sources: ExportSources, actor: Actor, case: Case, work: Path, settings: EvidenceSettings,
                 report: ProgressFn, cancel: Cancel | None, signer: PackageSigner | None) -> None:
        self.s, self.actor, self.case, self.work = sources, actor, case, work
        self.settings, self.report, self.cancel, self.signer = settings, report, cancel, signer
        self.left_out: list[LeftOut] = []
        self.exported_at = datetime.now(UTC)
        self.package_id = str(uuid.uuid4())

    def run(self) -> tuple[dict[str, Any], str]:
        clips = self._choose_clips()
        stills = list(self.s.stills.for_case(self.case.id)) if self.s.stills is not None else []
        total = sum(max(1.0, c.duration_s) for c in clips) + len(stills) + 1.0
        done = 0.0
        clip_entries: list[dict[str, Any]] = []
        for clip in clips:
            _check(self.cancel)
            weight = max(1.0, clip.duration_s)
            base = done

            def step(fraction: float, base: float = base, weight: float = weight, clip_id: int = clip.id) -> None:
                _check(self.cancel)
                self.report(min(0.99, (base + fraction * weight) / total), f"clip {clip_id}")

            entry = self._export_clip(clip, step)
            if entry is not None:
                clip_entries.append(entry)
            done += weight
        still_entries = []
        for still in stills:
            _check(self.cancel)
            entry = self._export_still(still)
            if entry is not None:
                still_entries.append(entry)
            done += 1
            self.report(min(0.99, done / total), f"still {still.id}")
        if not clip_entries and not still_entries:
            reasons = "; ".join(f"{x.kind} {x.id}: {x.reason}" for x in self.left_out) or "the case has none"
            raise ExportError(f"case {self.case.number}: no clip or still can be exported ({reasons})")
        _check(self.cancel)
        manifest = self._manifest(clip_entries, still_entries)
        summary = (f"{len(clip_entries)} clip(s), {len(still_entries)} still(s)"
                   + (f"; left out: {', '.join(f'{x.kind} {x.id}' for x in self.left_out)}" if self.left_out else ""))
        events = self.s.cases.custody_events(self.case, [c.id for c in clips])
        fingerprint = None if self.signer is None else self.signer.fingerprint
        export = ExportEntry(at=self.exported_at, username=self.actor.username, role=self.actor.role.value,
                             workstation=self.actor.workstation, case_number=self.case.number,
                             package_id=self.package_id, summary=summary, key_fingerprint=fingerprint)
        if self.signer is not None:
            write_new(self.work / PACKAGE_KEY, self.signer.public_pem)
        write_new(self.work / CUSTODY, custody_log(self.case.number, events, export).encode("utf-8"))
        files = file_entries(self.work)
        write_new(self.work / REPORT, render_report(manifest, files).encode("utf-8"))
        manifest["files"] = file_entries(self.work)
        # The signature covers the final manifest bytes, file list and signer's fingerprint included.
        digest = write_manifest(self.work, manifest, None if self.signer is None else self.signer.sign)
        for folder in (self.work / CLIPS_DIR, self.work / STILLS_DIR, self.work):
            if folder.is_dir():
                fsync_dir(folder)
        return manifest, digest

    def _choose_clips(self) -> list[Clip]:
        chosen = []
        for clip in self.s.clips.clips_for_case(self.case.id):
            if self.settings.require_approval and clip.status != "approved":
                self.left_out.append(LeftOut("clip", clip.id, f"{clip.status}: not approved by a supervisor"))
            elif clip.status == "rejected":
                comment = f": {clip.review_comment}" if clip.review_comment else ""
                self.left_out.append(LeftOut("clip", clip.id, f"rejected by {clip.reviewed_by}{comment}"))
            else:
                chosen.append(clip)
        return chosen

    def _export_clip(self, clip: Clip, step: Callable[[float], None]) -> dict[str, Any] | None:
        segments = list(self.s.recordings.segments(clip.camera_id, clip.start_at, clip.end_at))
        if not segments:
            self.left_out.append(LeftOut("clip", clip.id, "no recorded segments cover it any more"))
            return None
        folder = self.work / CLIPS_DIR
        folder.mkdir(exist_ok=True)
        stem = f"clip-{clip.id}_{_SAFE.sub('_', clip.camera_id)}_{_stamp(clip.start_at)}"
        suffix = segments[0].path.suffix or ".ts"
        native = folder / f"{stem}{suffix}"
        mp4 = folder / f"{stem}.mp4" if self.settings.include_mp4 else None
        try:
            cut = self.s.cutter(segments, clip.start_at, clip.end_at, native, mp4=mp4, progress=step,
                                cancel=self.cancel)
        except self.s.cut_errors as exc:
            if isinstance(exc, self.s.cancelled_errors):
                raise
            self.left_out.append(LeftOut("clip", clip.id, f"could not be cut: {exc}"))
            return None
        for path in (native, mp4):
            if path is not None:
                fsync_file(path)
        camera = self.s.cameras.get(clip.camera_id)
        used = {p for p in cut.segments}
        sources = [{"file": seg.path.name, "start_at": _iso(seg.start_at), "end_at": _iso(seg.end_at),
                    "bytes": seg.path.stat().st_size, "sha256": sha256_file(seg.path)}
                   for seg in segments if seg.path in used]
        return {
            "id": clip.id,
            "camera": {"id": clip.camera_id, "name": camera.name if camera else clip.camera_name},
            "requested": {"start": _iso(clip.start_at), "end": _iso(clip.end_at)},
            "actual": {"start": _iso(cut.actual_start), "end": _iso(cut.actual_end)},
            "covers_request": cut.covers_request,
            "gaps": [{"start": _iso(a), "end": _iso(b)} for a, b in cut.gaps],
            "recorder_clock_offset_s": _clock_offset(camera.extra) if camera else None,
            "tags": list(clip.tags),
            "note": clip.note,
            "status": clip.status,
            "tagged_by": clip.created_by,
            "tagged_at": _iso(clip.created_at),
            "submitted_at": _iso(clip.submitted_at),
            "reviewer": None if clip.reviewed_by is None else {
                "username": clip.reviewed_by, "at": _iso(clip.reviewed_at), "comment": clip.review_comment},
            "files": {"native": native.relative_to(self.work).as_posix(),
                      "mp4": None if mp4 is None else mp4.relative_to(self.work).as_posix()},
            "codec": cut.codec,
            "video_packets": cut.video_packets,
            "keyframes": cut.keyframes,
            "copy": "stream copy from the recorder's segments; no re-encoding",
            "source_segments": sources,
            "timestamp_adjustments": list(cut.adjustments),
        }

    def _export_still(self, still: StillLike) -> dict[str, Any] | None:
        if not still.path.is_file():
            self.left_out.append(LeftOut("still", still.id, f"file missing: {still.path.name}"))
            return None
        if sha256_file(still.path) != still.sha256:
            self.left_out.append(LeftOut("still", still.id, "file changed since it was captured (SHA-256 differs)"))
            return None
        folder = self.work / STILLS_DIR
        folder.mkdir(exist_ok=True)
        target = folder / f"still-{still.id}_{_SAFE.sub('_', still.camera_id)}_{_stamp(still.taken_at)}" \
                          f"{still.path.suffix or '.png'}"
        shutil.copyfile(still.path, target)
        fsync_file(target)
        if sha256_file(target) != still.sha256:
            raise ExportError(f"still {still.id}: the copy does not match the original")
        return {"id": still.id, "camera": {"id": still.camera_id, "name": still.camera_name},
                "taken_at": _iso(still.taken_at), "taken_by": still.taken_by, "width": still.width,
                "height": still.height, "note": still.note, "sha256_at_capture": still.sha256,
                "file": target.relative_to(self.work).as_posix()}

    def _manifest(self, clips: list[dict[str, Any]], stills: list[dict[str, Any]]) -> dict[str, Any]:
        c = self.case
        return {
            "format": FORMAT,
            "package_id": self.package_id,
            "case": {"number": c.number, "title": c.title, "case_type": c.case_type, "status": c.status,
                     "lead_investigator": c.lead_investigator, "opened_at": _iso(c.opened_at)},
            "exported_by": {"username": self.actor.username, "role": self.actor.role.value,
                            "workstation": self.actor.workstation},
            "exported_at": _iso(self.exported_at),
            "tool": _tool(),
            "require_approval": self.settings.require_approval,
            "times": "UTC, ISO 8601; 'actual' is what the file holds (a stream copy starts at a keyframe)",
            "clips": clips,
            "stills": stills,
            "left_out": [x.as_dict() for x in self.left_out],
            "signed_by": None if self.signer is None else {
                "algorithm": ALGORITHM, "key_fingerprint": self.signer.fingerprint, "public_key": PACKAGE_KEY,
                "signature": SIGNATURE, "covers": f"the exact bytes of {MANIFEST}"},
            "files": [],
        }
