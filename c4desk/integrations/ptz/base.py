"""The one PTZ interface the UI drives, whatever the camera speaks (VAPIX, ONVIF).

Units are the same for every protocol, so the aim computed by ``domain.ptz_aim`` can go to any camera:

* ``pan`` and ``tilt`` in **degrees** (pan [-180, 180], tilt negative = down);
* ``zoom`` **normalised** to [0, 1] (0 = widest, 1 = the longest focal length). Each client maps it onto its
  camera's own range (VAPIX 1..9999 from ``query=limits``; ONVIF's generic space already is [0, 1]);
* speeds for continuous moves in [-1, 1] (pan right / tilt up / zoom in are positive).

Every failure is a ``PtzError`` with a message fit for an analyst's status bar. Clients are blocking (they
do HTTP): call them from the background-work helper, never on the GUI thread.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass


class PtzError(Exception):
    """The camera refused or could not be reached; the message says which and what to check."""


class PtzUnsupported(PtzError):
    """The protocol (or this camera) has no such command."""


@dataclass(frozen=True)
class PtzPosition:
    pan: float
    tilt: float
    zoom: float


@dataclass(frozen=True)
class PtzPreset:
    """``token`` is what goto/remove use (VAPIX: the name itself; ONVIF: the camera's preset token)."""

    name: str
    token: str
    position: PtzPosition | None = None


def check_speed(value: float, name: str) -> float:
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise ValueError(f"{name} speed {value!r} is outside [-1, 1]")
    return value


def check_zoom(value: float) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"zoom {value!r} is outside [0, 1]")
    return value


def check_angle(value: float, name: str, lo: float, hi: float) -> float:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name} {value!r} is outside [{lo:g}, {hi:g}]")
    return value


class PtzClient(ABC):
    @abstractmethod
    def absolute_move(self, pan: float, tilt: float, zoom: float | None = None) -> None:
        """Go to pan/tilt degrees (and zoom 0..1 when given; None leaves the zoom alone)."""

    @abstractmethod
    def relative_move(self, pan: float = 0.0, tilt: float = 0.0, zoom: float = 0.0) -> None:
        """Move by degrees (and by a fraction of the zoom range, -1..1)."""

    @abstractmethod
    def continuous_move(self, x: float, y: float) -> None:
        """Start panning/tilting at speeds in [-1, 1] until ``stop`` (or another move)."""

    @abstractmethod
    def continuous_zoom(self, z: float) -> None:
        """Start zooming at speed [-1, 1] (positive = in) until ``stop``."""

    @abstractmethod
    def stop(self) -> None:
        """Stop every continuous movement."""

    @abstractmethod
    def home(self) -> None:
        """Go to the camera's home position."""

    @abstractmethod
    def presets(self) -> list[PtzPreset]:
        """The camera's presets, in the camera's order."""

    @abstractmethod
    def goto_preset(self, name: str) -> None:
        """Go to the preset called ``name``; PtzError when there is none."""

    @abstractmethod
    def set_preset(self, name: str) -> None:
        """Save the current position as preset ``name`` (replacing one of that name)."""

    @abstractmethod
    def remove_preset(self, name: str) -> None:
        """Delete preset ``name``; PtzError when there is none."""

    @abstractmethod
    def center(self, x: int, y: int, image_w: int, image_h: int) -> None:
        """Centre the view on pixel (x, y) of an image_w x image_h picture (click-to-centre)."""

    @abstractmethod
    def area_zoom(self, x: int, y: int, z: int, image_w: int | None = None, image_h: int | None = None) -> None:
        """Centre on (x, y) and zoom by z/100 (z > 100 zooms in, z < 100 out), as VAPIX ``areazoom``."""

    @abstractmethod
    def position(self) -> PtzPosition:
        """Where the camera points now."""

    def close(self) -> None:  # noqa: B027 - optional for clients without resources
        """Release connections."""
