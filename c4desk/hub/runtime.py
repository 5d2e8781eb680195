"""The hub as a running thing: the ingest endpoint and its routes over one set of services.

In one-seat mode the workstation starts a Hub in-process; ``c4desk hub`` runs the same object headless. While it
runs, it signs the audit trail's head into the anchors file every ``audit.anchor_minutes`` (hub/audit_anchors.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from c4desk.config import Paths, Settings
from c4desk.credentials import hub_token
from c4desk.hub.audit_anchors import AuditAnchorer
from c4desk.hub.gunshot_routes import gunshot_route_factory
from c4desk.hub.http_server import IngestServer, Request, Response, Route, bind_address
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.hub.lpr_routes import lpr_route_factory
from c4desk.hub.radar_routes import radar_route_factory
from c4desk.hub.services import Services

log = logging.getLogger(__name__)
RouteFactory = Callable[[Services, Paths], dict[tuple[str, str], Route]]


def core_routes(services: Services, paths: Paths) -> dict[tuple[str, str], Route]:
    def health(_request: Request) -> Response:
        ok = services.check_database()
        return Response(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                        {"database": services.describe_database(), "ok": ok})

    return {("GET", "/api/v1/health"): health}


# Feature modules add their factories here (gunshot alerts, LPR events, radar readings).
ROUTE_FACTORIES: list[RouteFactory] = [core_routes, gunshot_route_factory, lpr_route_factory,
                                      radar_route_factory]


class Hub:
    def __init__(self, services: Services, settings: Settings, paths: Paths, *, listen: str | None = None) -> None:
        self.services = services
        self.paths = paths
        self.host, self.port = bind_address(listen or settings.hub.listen)
        self.token = hub_token(paths.data_dir)
        self.server: IngestServer | None = None
        self.matcher: HotlistMatcher | None = None
        self.anchor_interval_s = settings.audit.anchor_minutes * 60.0
        self.anchor_copies = tuple(settings.audit.anchor_copies)
        self.anchorer: AuditAnchorer | None = None

    def start(self) -> None:
        # Matching first, so the first read the endpoint accepts is already checked against the hotlists.
        self.matcher = HotlistMatcher.for_services(self.services, self.services.hotlists).start()
        routes: dict[tuple[str, str], Route] = {}
        for factory in ROUTE_FACTORIES:
            routes.update(factory(self.services, self.paths))
        self.server = IngestServer(routes, token=self.token, host=self.host, port=self.port)
        self.server.start()
        self.anchorer = AuditAnchorer(self.services.db, self.paths.data_dir, interval_s=self.anchor_interval_s,
                                      copies=self.anchor_copies).start()

    @property
    def base_url(self) -> str:
        assert self.server is not None, "hub not started"
        return self.server.base_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.matcher is not None:
            self.matcher.stop()
            self.matcher = None
        if self.anchorer is not None:  # last: its final anchor signs the head the hub leaves behind
            self.anchorer.stop()
            self.anchorer = None
