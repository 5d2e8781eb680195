"""Tiles from an agency's own tile server (an http(s) XYZ template in the settings).

Python fetches them and hands them to the page through the map's scheme, so the page itself still never
reaches the network (its interceptor and CSP stay absolute); only the configured server is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QUrl
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

log = logging.getLogger(__name__)

TileAnswer = tuple[str, bytes] | None
TIMEOUT_MS = 10_000


class RemoteTiles(QObject):
    def __init__(self, template: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.template = template
        self._nam = QNetworkAccessManager(self)

    @staticmethod
    def check(template: str) -> str | None:
        """A problem with the template, or None if it can be used."""
        parts = urlsplit(template)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"XYZ tiles {template}: not an http(s) URL template"
        if not all(k in template for k in ("{z}", "{x}", "{y}")):
            return f"XYZ tiles {template}: the template needs {{z}}, {{x}} and {{y}}"
        return None

    @property
    def host(self) -> str:
        return urlsplit(self.template).hostname or ""

    def fetch(self, z: int, x: int, y: int, done: Callable[[TileAnswer], None]) -> None:
        url = (self.template.replace("{s}", "a").replace("{z}", str(z)).replace("{x}", str(x))
               .replace("{y}", str(y)))
        request = QNetworkRequest(QUrl(url))
        request.setTransferTimeout(TIMEOUT_MS)
        reply = self._nam.get(request)
        reply.finished.connect(lambda: self._finished(reply, done))

    def _finished(self, reply: QNetworkReply, done: Callable[[TileAnswer], None]) -> None:
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        answer: TileAnswer = None
        if reply.error() == QNetworkReply.NetworkError.NoError and status == 200:
            mime = str(reply.header(QNetworkRequest.KnownHeaders.ContentTypeHeader) or "image/png")
            data = bytes(reply.readAll().data())
            answer = (mime, data) if data else None
        elif status != 404:
            log.debug("map tiles: %s -> %s %s", reply.url().toString(), status, reply.errorString())
        reply.deleteLater()
        done(answer)
