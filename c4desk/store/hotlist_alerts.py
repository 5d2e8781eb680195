"""Hotlist hits stored as alerts: one alert per plate read, raised once, carrying what the analyst checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from c4desk.domain.alerts import SOURCE_HOTLIST, Alert, AlertStatus
from c4desk.domain.camera import Camera
from c4desk.domain.events import AlertRaised, HotlistHit
from c4desk.domain.plate_match import Hit, MatchKind
from c4desk.domain.plates import LprRead
from c4desk.store.alerts import to_alert
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import AlertRow, utcnow

TYPE_HIT = "hotlist_hit"
TYPE_POSSIBLE = "possible_hotlist_hit"


def hit_alert_id(read_id: int) -> str:
    """The alert id of a read's hit: a read raises at most one alert, however often its passage is updated."""
    return f"hotlist-{read_id}"


def _hit_json(hit: Hit) -> dict[str, Any]:
    e = hit.entry
    return {"hotlist": e.hotlist, "entry_id": e.id, "entry_plate": e.plate, "entry_region": e.region,
            "match": hit.kind.value, "category": e.category, "priority": e.priority, "reason": e.reason,
            "annotations": dict(e.annotations)}


def hit_payload(read: LprRead, hits: Sequence[Hit]) -> dict[str, Any]:
    """The alert payload: the read, the best hit's fields at the top level, and every hit under ``hits``."""
    return {
        **_hit_json(hits[0]), "plate": read.plate_norm, "plate_raw": read.plate_raw, "region": read.region,
        "read_id": read.id, "camera_id": read.camera_id, "read_at": read.read_at.astimezone(UTC).isoformat(),
        "confidence": read.confidence, "direction": read.direction, "plate_image_ref": read.plate_image_ref,
        "vehicle_image_ref": read.vehicle_image_ref, "hits": [_hit_json(h) for h in hits],
    }


def add_hotlist_hit(db: Database, bus: EventBus | None, read: LprRead, hits: Sequence[Hit], *,
                    camera: Camera | None = None, received_at: datetime | None = None) -> Alert | None:
    """Store the alert for a stored read's hits (``hits`` best first, as ``EntryIndex.match`` returns them).

    The best hit gives type and priority; the camera, if known, gives place and name. Returns None when the
    read already has its alert. After commit publishes HotlistHit (best hit), then AlertRaised.
    """
    if read.id is None or not hits:
        raise ValueError("a hotlist alert needs a stored read and at least one hit")
    best = hits[0]
    row = AlertRow(
        id=hit_alert_id(read.id), source=SOURCE_HOTLIST,
        type=TYPE_POSSIBLE if best.kind is MatchKind.POSSIBLE else TYPE_HIT, priority=best.entry.priority,
        status=AlertStatus.NEW.value, lat=camera.lat if camera else None, lon=camera.lon if camera else None,
        detected_at=read.read_at.astimezone(UTC), received_at=(received_at or utcnow()).astimezone(UTC),
        address=camera.name if camera else read.camera_id, payload=hit_payload(read, hits),
    )
    try:
        with db.session(write=True) as session:
            if session.get(AlertRow, row.id) is not None:
                return None
            session.add(row)
            session.flush()
            alert = to_alert(row)
    except IntegrityError:
        return None  # another seat stored it first
    if bus is not None:
        entry = best.entry
        bus.publish(HotlistHit(read=read, hotlist=entry.hotlist, category=entry.category, priority=entry.priority,
                               reason=entry.reason))
        bus.publish(AlertRaised(alert=alert))
    return alert
