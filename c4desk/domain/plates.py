"""Plate text and the licence-plate read record. Pure: the store and the ingest side both speak these."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from c4desk.domain.errors import FieldError, ValidationError

# NCIC and agency hotlists carry plates without spaces or hyphens, while readers and people type them with
# separators ("6PZ-193", "AB 123.CD"). Removing the separators is what makes a read match a hotlist entry.
# Unicode dashes are included because OCR output and pasted text carry them.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
DIRECTIONS = frozenset({"", "in", "out"})


def normalise_plate(text: str) -> str:
    """Upper case, with white space, hyphens (and other dashes) and dots removed."""
    return _SEPARATORS.sub("", text).upper()


@dataclass(frozen=True, kw_only=True)
class LprRead:
    """One licence-plate read, as a reader reported it.

    Named ``LprRead`` (not ``PlateRead``) so that it never shadows the ``events.PlateRead`` event carrying it.
    ``id`` is None until the store has saved the read.
    """

    camera_id: str
    plate_raw: str
    read_at: datetime
    region: str = ""
    confidence: float | None = None
    direction: str = ""
    car_id: str = ""
    plate_image_ref: str = ""
    vehicle_image_ref: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.camera_id.strip():
            errors.append(FieldError("camera_id", "required"))
        if not normalise_plate(self.plate_raw):
            errors.append(FieldError("plate", "no plate characters"))
        if self.read_at.tzinfo is None or self.read_at.utcoffset() is None:
            # A naive time is ambiguous across DST and across seats; evidence needs an absolute instant.
            errors.append(FieldError("read_at", "must carry a time zone (UTC)"))
        conf = self.confidence
        if conf is not None and not (math.isfinite(conf) and 0.0 <= conf <= 1.0):
            errors.append(FieldError("confidence", f"{self.confidence!r} is outside [0, 1]"))
        if self.direction not in DIRECTIONS:
            errors.append(FieldError("direction", f"{self.direction!r} not one of in, out or empty"))
        if errors:
            raise ValidationError(errors)

    @property
    def plate_norm(self) -> str:
        return normalise_plate(self.plate_raw)
