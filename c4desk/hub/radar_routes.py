"""The speed-radar ingest route: ``POST /api/v1/radar/readings`` takes one reading or an array of them.

Authentication (the hub's bearer token), body size, content type and JSON decoding are the IngestServer's.
This route validates every reading (``integrations.radar.parse_readings``), refuses readings from devices no
radar site lists, stores the lot in one transaction and answers:

* 201 ``{"stored": n, "readings": [{"device", "time", "speed_kmh", "lane", "direction", "site", "colour"}]}``:
  ``colour`` is what the site's light policy shows for the reading (None: no light), so a device controller
  can drive the strobe from the answer;
* 400 ``{"errors": [{"field", "reason"}, ...]}`` naming every bad field (``[i].field`` in an array); nothing
  is stored.
"""

from __future__ import annotations

from http import HTTPStatus

from c4desk.config import Paths
from c4desk.domain.radar import light_colour
from c4desk.hub.http_server import Request, Response, Route
from c4desk.hub.services import Services
from c4desk.integrations.radar import check_devices, parse_readings, reading_as_json
from c4desk.store.models import utcnow
from c4desk.store.radar import RadarRepository

READINGS_PATH = "/api/v1/radar/readings"


def radar_routes(radar: RadarRepository) -> dict[tuple[str, str], Route]:
    def post_readings(request: Request) -> Response:
        readings = parse_readings(request.body, now=utcnow())  # ValidationError -> 400 by the server
        sites = {s.id: s for s in radar.sites()}
        devices = {sensor: site.id for site in sites.values() for sensor in site.sensor_ids}
        check_devices(readings, devices, indexed=isinstance(request.body, list))
        stored = radar.add_readings(readings)
        answer = []
        for reading in readings:
            site = sites[devices[reading.sensor_id]]
            answer.append(reading_as_json(reading, site=site.id, colour=light_colour(site.policy, reading.speed_kmh)))
        return Response(HTTPStatus.CREATED, {"stored": stored, "readings": answer})

    return {("POST", READINGS_PATH): post_readings}


def radar_route_factory(services: Services, paths: Paths) -> dict[tuple[str, str], Route]:
    """The shape ``hub.runtime.ROUTE_FACTORIES`` takes."""
    return radar_routes(services.radar)
