"""Bus events are frozen, keyword-only, and all registered by name for cross-process bridges."""

from __future__ import annotations

import dataclasses

import pytest

from c4desk.domain.events import EVENT_TYPES, CamerasChanged, Event, WallPush


def test_every_event_is_registered() -> None:
    assert set(EVENT_TYPES) == {
        "AlertRaised",
        "AlertChanged",
        "PlateRead",
        "HotlistHit",
        "CaseChanged",
        "ClipTagged",
        "CamerasChanged",
        "WallPush",
        "ClipChanged",
        "TrailChanged",
    }
    assert all(issubclass(cls, Event) for cls in EVENT_TYPES.values())


def test_events_are_frozen_and_keyword_only() -> None:
    event = WallPush(camera_ids=("cam-1", "cam-2"), alert_id="SST-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.target = "monitor-2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CamerasChanged(("cam-1",))  # type: ignore[misc]
    assert CamerasChanged(created=("a",)) == CamerasChanged(created=("a",), updated=())
