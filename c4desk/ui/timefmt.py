"""How times are shown: the workstation's local clock, seconds precision (records keep full UTC)."""

from __future__ import annotations

from datetime import datetime


def local_time(t: datetime | None) -> str:
    return "" if t is None else t.astimezone().strftime("%H:%M:%S")


def local_datetime(t: datetime | None) -> str:
    return "" if t is None else t.astimezone().strftime("%Y-%m-%d %H:%M:%S")
