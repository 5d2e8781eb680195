"""The hub's LPR endpoint: ``POST /api/v1/lpr/events`` takes one Axis License Plate Verifier event.

201 with the stored read for a car's first report, 200 with the updated read for a later report of the same
passage, 400 with ``{"errors": [{"field", "reason"}]}`` for a bad event (nothing stored). Authentication,
size limits, content type and JSON decoding are the IngestServer's.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from c4desk.config import Paths
from c4desk.domain.plates import LprRead
from c4desk.hub.http_server import Request, Response, Route
from c4desk.hub.services import Services
from c4desk.integrations.axis_lpr import AxisLprIngest

EVENTS_PATH = "/api/v1/lpr/events"
MEDIA_SUBDIR = "lpr"  # plate and vehicle images go to DATA_DIR/media/lpr


def read_dict(read: LprRead) -> dict[str, Any]:
    """A read as JSON (the endpoint's answer)."""
    return {
        "id": read.id, "camera_id": read.camera_id, "plate": read.plate_norm, "plate_raw": read.plate_raw,
        "region": read.region, "read_at": read.read_at.isoformat(), "confidence": read.confidence,
        "direction": read.direction, "car_id": read.car_id, "plate_image_ref": read.plate_image_ref,
        "vehicle_image_ref": read.vehicle_image_ref,
    }


def lpr_routes(ingest: AxisLprIngest) -> dict[tuple[str, str], Route]:
    """The LPR routes for ``IngestServer``; merge them with the other features' routes."""

    def post_event(request: Request) -> Response:
        read, created = ingest.ingest(request.body)  # ValidationError becomes a 400 in the server
        return Response(HTTPStatus.CREATED if created else HTTPStatus.OK, read_dict(read))

    return {("POST", EVENTS_PATH): post_event}


def lpr_route_factory(services: Services, paths: Paths) -> dict[tuple[str, str], Route]:
    """The shape ``hub.runtime.ROUTE_FACTORIES`` takes. Matching is ``HotlistMatcher.for_services``' job."""
    return lpr_routes(AxisLprIngest(services.cameras, services.plate_reads, paths.media_dir / MEDIA_SUBDIR))
