"""The gunshot feed's ingest route: ``POST /api/v1/alerts/gunshot``.

Authentication, body size, content type and JSON decoding are the IngestServer's; this route validates the
payload (``integrations.gunshot.parse_gunshot``), stores it and answers with the stored alert:

* 201 Created: a new alert;
* 200 OK: an update of a known alert, or an identical repeat (stored once, nothing recorded);
  the ``C4desk-Result`` header says which (``created`` | ``updated`` | ``unchanged``);
* 400 with ``{"errors": [{"field", "reason"}, ...]}`` naming every bad field; nothing is stored.
"""

from __future__ import annotations

from http import HTTPStatus

from c4desk.config import Paths
from c4desk.hub.http_server import Request, Response, Route
from c4desk.hub.services import Services
from c4desk.integrations.gunshot import alert_as_json, parse_gunshot
from c4desk.store.alerts import AlertRepository
from c4desk.store.models import utcnow

GUNSHOT_PATH = "/api/v1/alerts/gunshot"
# The name the feed's changes carry in an alert's history. Machine input (the bearer token authenticates it), so
# no Actor and no permission check: ingest writes sensor fields only, never status or assignment.
FEED_NAME = "gunshot-feed"
RESULT_HEADER = "C4desk-Result"


def gunshot_routes(alerts: AlertRepository) -> dict[tuple[str, str], Route]:
    def post_gunshot(request: Request) -> Response:
        now = utcnow()
        report = parse_gunshot(request.body, now=now)  # ValidationError -> 400 by the server
        outcome = alerts.ingest_gunshot(report, received_at=now, feed=FEED_NAME)
        headers = {RESULT_HEADER: outcome.result}
        status = HTTPStatus.CREATED if outcome.created else HTTPStatus.OK
        return Response(status, alert_as_json(outcome.alert), headers)

    return {("POST", GUNSHOT_PATH): post_gunshot}


def gunshot_route_factory(services: Services, paths: Paths) -> dict[tuple[str, str], Route]:
    """The shape ``hub.runtime.ROUTE_FACTORIES`` takes."""
    return gunshot_routes(services.alerts)
