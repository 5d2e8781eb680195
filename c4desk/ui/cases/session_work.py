"""What the analyst worked on in this window, so that opening a case files it without hunting for ids.

The main window notes each alert the analyst answered (response view, playback, an opened hit), each trail they
followed and each plate they ran; the analyst's clips not yet in a case come from the store. ``propose`` turns that
into a first draft of the case: what to attach, the video search it was (cameras, time span, minutes since the work
began) and a title. The analyst only confirms or unticks; nothing here is stored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from c4desk.domain.alerts import SOURCE_GUNSHOT, SOURCE_HOTLIST, Alert
from c4desk.domain.hop_trail import Trail
from c4desk.domain.plates import normalise_plate
from c4desk.store.clips import Clip

# What an alert's source says the case is, where it says anything (the analyst can change it).
CASE_TYPE_OF_SOURCE = {SOURCE_GUNSHOT: "shooting"}


@dataclass
class SessionWork:
    alerts: dict[str, Alert] = field(default_factory=dict)  # in the order they were first worked
    trail_ids: list[int] = field(default_factory=list)
    plates: list[str] = field(default_factory=list)
    started_at: datetime | None = None  # the first thing worked: the search began then

    def note_alert(self, alert: Alert, at: datetime) -> None:
        self._began(at)
        self.alerts.setdefault(alert.id, alert)
        plate = str(alert.payload.get("plate") or "") if alert.source == SOURCE_HOTLIST else ""
        if plate:
            self.note_plate(plate, at)

    def note_trail(self, trail_id: int, at: datetime) -> None:
        self._began(at)
        if trail_id not in self.trail_ids:
            self.trail_ids.append(trail_id)

    def note_plate(self, plate: str, at: datetime) -> None:
        plate = normalise_plate(plate)
        if plate and plate not in self.plates:
            self._began(at)
            self.plates.append(plate)

    def _began(self, at: datetime) -> None:
        if self.started_at is None:
            self.started_at = at


@dataclass(frozen=True)
class Proposal:
    """A first draft of the case: everything offered, ticked or not, and the search it was."""

    case_type: str
    title: str
    links: tuple[tuple[str, str, str], ...]  # (kind, ref, label), all ticked
    clips: tuple[tuple[Clip, bool], ...]  # the analyst's unfiled clips; ticked when tagged during this work
    cameras: tuple[str, ...]  # searched: the trail's cameras, then the clips'
    window: tuple[datetime, datetime] | None
    minutes: int


def propose(work: SessionWork, trails: Sequence[Trail], unfiled: Sequence[Clip], now: datetime) -> Proposal:
    alerts = list(work.alerts.values())
    first = next((a for a in alerts if a.source != SOURCE_HOTLIST), alerts[0] if alerts else None)
    links: list[tuple[str, str, str]] = []
    for alert in alerts:
        links.append(("alert", alert.id, f"{_kind(alert)} at {alert.address or 'map pin'}"))
    for trail in trails:
        route = " \u2192 ".join(step.camera_id for step in trail.steps)
        links.append(("trail", str(trail.id), f"Trail {trail.id}: {route}" if route else f"Trail {trail.id}"))
    for plate in work.plates:
        links.append(("plate", plate, f"Plate {plate} (its history)"))
    began = work.started_at
    clips = tuple((clip, began is not None and clip.created_at >= began) for clip in unfiled)
    cameras, window = searched(trails, [clip for clip, ticked in clips if ticked])
    minutes = max(1, math.ceil((now - began).total_seconds() / 60)) if began is not None else 0
    return Proposal(case_type=CASE_TYPE_OF_SOURCE.get(first.source, "other") if first else "other",
                    title=f"{_kind(first)}, {first.address}" if first and first.address else "",
                    links=tuple(links), clips=clips, cameras=cameras, window=window, minutes=minutes)


Span = tuple[datetime, datetime]


def searched(trails: Sequence[Trail], clips: Sequence[Clip]) -> tuple[tuple[str, ...], Span | None]:
    """The video a search covered: the trails' cameras then the clips' (each once), and the span of their times."""
    cameras = [step.camera_id for trail in trails for step in trail.steps] + [clip.camera_id for clip in clips]
    times = [step.time_in for trail in trails for step in trail.steps]
    times += [t for clip in clips for t in (clip.start_at, clip.end_at)]
    return tuple(dict.fromkeys(cameras)), (min(times), max(times)) if times else None


def _kind(alert: Alert | None) -> str:
    if alert is None:
        return ""
    if alert.source == SOURCE_HOTLIST:
        return f"Hotlist hit {alert.payload.get('plate', '')}".strip()
    return alert.type.replace("_", " ").capitalize()
