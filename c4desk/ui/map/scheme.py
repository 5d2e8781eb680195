"""The map's one URL scheme: every byte the map page loads comes through here, from memory or from resources/.

``c4map://app/page/<key>.html``        a generated map page (held in memory, never setHtml)
``c4map://app/res/<path>``             a file under resources/ (vendored libraries, the map's own JS and CSS)
``c4map://app/qwebchannel.js``         Qt's QWebChannel client, read from Qt's own resources
``c4map://app/tiles/<key>/<z>/<x>/<y>`` a basemap tile: MBTiles file, local XYZ folder, or fetched by Python
                                       from the agency's tile server (the page never reaches the network)
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QFile, QIODevice, Qt
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlScheme, QWebEngineUrlSchemeHandler

log = logging.getLogger(__name__)

SCHEME = "c4map"
HOST = "app"
ORIGIN = f"{SCHEME}://{HOST}"
RESOURCES = Path(__file__).resolve().parents[3] / "resources"
# A 1x1 transparent PNG, served where a tile set has no tile (a failed load would be console noise).
EMPTY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63606060600000000500017aa857500000000049454e44ae426082"
)
_MIME = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".png": "image/png",
         ".woff2": "font/woff2", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".json": "application/json"}
_Error = QWebEngineUrlRequestJob.Error


class TileSource(Protocol):
    def tile(self, z: int, x: int, y: int) -> tuple[str, bytes] | None:
        """(mime type, bytes) of tile z/x/y in the XYZ (Google/OSM) numbering, or None if there is none."""


@runtime_checkable
class AsyncTileSource(Protocol):
    def fetch(self, z: int, x: int, y: int, done: Callable[[tuple[str, bytes] | None], None]) -> None:
        """Call ``done`` with what ``TileSource.tile`` would return, later (on the GUI thread)."""


def register_map_scheme() -> None:
    """Declare the ``c4map`` scheme to QtWebEngine. Call once before the QApplication is created."""
    if QWebEngineUrlScheme.schemeByName(SCHEME.encode()).name():
        return
    scheme = QWebEngineUrlScheme(SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    scheme.setFlags(flags.SecureScheme | flags.LocalScheme | flags.LocalAccessAllowed | flags.CorsEnabled
                    | flags.FetchApiAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)
    if QCoreApplication.instance() is None:
        # QtWebEngine shares OpenGL contexts with the widgets; this must be set before the application exists.
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def resource_url(relative: str) -> str:
    return f"{ORIGIN}/res/{relative}"


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers every ``c4map://`` request; pages and tile sets are registered and removed by their views."""

    def __init__(self, parent: QCoreApplication | None = None, resources: Path = RESOURCES) -> None:
        super().__init__(parent)
        self._root = resources.resolve()
        self._pages: dict[str, bytes] = {}
        self._tiles: dict[str, TileSource | AsyncTileSource] = {}

    def add_page(self, key: str, html: str) -> str:
        self._pages[key] = html.encode("utf-8")
        return f"{ORIGIN}/page/{key}.html"

    def page_html(self, key: str) -> bytes | None:
        return self._pages.get(key)

    def add_tiles(self, key: str, source: TileSource | AsyncTileSource) -> str:
        self._tiles[key] = source
        return f"{ORIGIN}/tiles/{key}/{{z}}/{{x}}/{{y}}"

    def forget(self, key: str) -> None:
        self._pages.pop(key, None)
        self._tiles.pop(key, None)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        method = bytes(job.requestMethod().data()).decode("latin-1")
        if url.host() != HOST or method != "GET":
            log.warning("map scheme: refused %s %s", method, url.toString())
            job.fail(_Error.RequestDenied)
            return
        path = url.path()
        if path.startswith("/tiles/") and self._fetch_later(job, path[len("/tiles/"):]):
            return
        try:
            answer = self._answer(path)
        except Exception:  # a bad tile file must not take the GUI thread down
            log.exception("map scheme: failed to answer %s", path)
            job.fail(_Error.RequestFailed)
            return
        if answer is None:
            log.warning("map scheme: no such resource %s", path)
            job.fail(_Error.UrlNotFound)
            return
        self._reply(job, *answer)

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, mime: str, data: bytes) -> None:
        buf = QBuffer(parent=job)  # lives as long as the job that reads it
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buf)

    def _answer(self, path: str) -> tuple[str, bytes] | None:
        if path.startswith("/page/") and path.endswith(".html"):
            html = self._pages.get(path[len("/page/"):-len(".html")])
            return None if html is None else ("text/html;charset=utf-8", html)
        if path.startswith("/res/"):
            return self._resource(path[len("/res/"):])
        if path == "/qwebchannel.js":
            f = QFile(":/qtwebchannel/qwebchannel.js")
            if not f.open(QIODevice.OpenModeFlag.ReadOnly):
                return None
            return "text/javascript", bytes(f.readAll().data())
        if path.startswith("/tiles/"):
            return self._tile(path[len("/tiles/"):])
        return None

    def _resource(self, relative: str) -> tuple[str, bytes] | None:
        target = (self._root / relative).resolve()
        if not target.is_relative_to(self._root) or not target.is_file():
            return None
        mime = _MIME.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return mime, target.read_bytes()

    @staticmethod
    def _tile_address(rest: str) -> tuple[str, int, int, int] | None:
        parts = rest.split("/")
        if len(parts) != 4:
            return None
        try:
            z, x, y = (int(p.split(".")[0]) for p in parts[1:])
        except ValueError:
            return None
        return parts[0], z, x, y

    def _tile(self, rest: str) -> tuple[str, bytes] | None:
        address = self._tile_address(rest)
        source = self._tiles.get(address[0]) if address else None
        if address is None or source is None or isinstance(source, AsyncTileSource):
            return None
        _, z, x, y = address
        if not (0 <= z <= 30 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
            return "image/png", EMPTY_PNG
        return source.tile(z, x, y) or ("image/png", EMPTY_PNG)

    def _fetch_later(self, job: QWebEngineUrlRequestJob, rest: str) -> bool:
        """Start an asynchronous tile fetch for ``job``; False if the tile set is not an asynchronous one."""
        address = self._tile_address(rest)
        source = self._tiles.get(address[0]) if address else None
        if address is None or not isinstance(source, AsyncTileSource):
            return False
        _, z, x, y = address
        if not (0 <= z <= 30 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
            self._reply(job, "image/png", EMPTY_PNG)
            return True

        def done(answer: tuple[str, bytes] | None) -> None:
            if shiboken6.isValid(job):  # the page may have moved on and dropped the request
                self._reply(job, *(answer or ("image/png", EMPTY_PNG)))

        source.fetch(z, x, y, done)
        return True
