"""The demo city's vehicle-registration look-up: a real HTTP service on loopback, so plate history shows an
owner offline. It answers ``GET /owners/{PLATE}`` the way ``integrations.owner_lookup`` expects, 404 otherwise."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from c4desk.demo import script
from c4desk.demo.city import Node
from c4desk.hub.serving import BackgroundHttpServer

# The suspect's registered address is a couple of streets from the shooting (DEMO-STORY chapter 5).
_HOME = Node(0, 3)
DEMO_OWNERS: dict[str, dict[str, Any]] = {
    script.SUSPECT_PLATE: {
        "name": "Demo Registrant (synthetic)", "address": f"41 {_HOME.label.split(' & ')[1]}, Hartford CT (demo)",
        "lat": round(_HOME.latlon[0], 6), "lon": round(_HOME.latlon[1], 6),
        "vehicle": {"make": "HONDA", "model": "ACCORD", "colour": "BLUE", "year": "2016"},
    },
}


class OwnerService:
    def __init__(self, owners: dict[str, dict[str, Any]] | None = None) -> None:
        records = DEMO_OWNERS if owners is None else owners

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                plate = self.path.rsplit("/", 1)[-1].upper() if self.path.startswith("/owners/") else ""
                record = records.get(plate)
                body = json.dumps(record if record else {"error": "no record"}).encode()
                self.send_response(200 if record else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = BackgroundHttpServer(Handler, name="demo-owners")

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> OwnerService:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
