"""The one QtWebEngine profile every map shares: off the record, our scheme installed, the network shut.

The interceptor sees every request the page's renderer makes (sub-resources and navigations alike) and
blocks any that would leave the application: only ``c4map:``, ``data:`` and ``blob:`` URLs pass.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from c4desk.ui.map.scheme import SCHEME, MapSchemeHandler

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({SCHEME, "data", "blob"})


@dataclass(frozen=True)
class BlockedRequest:
    url: str
    first_party: str
    resource_type: str


class NetworkBlocker(QWebEngineUrlRequestInterceptor):
    """Blocks and remembers every request for a URL outside the application."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked: list[BlockedRequest] = []
        # The latest requests let through, as (first-party URL, URL): for diagnostics and tests.
        self.recent: deque[tuple[str, str]] = deque(maxlen=2_000)

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme() in ALLOWED_SCHEMES:
            self.recent.append((info.firstPartyUrl().toString(), url.toString()[:200]))
            return
        info.block(True)
        entry = BlockedRequest(url.toString(), info.firstPartyUrl().toString(), info.resourceType().name)
        self.blocked.append(entry)
        log.warning("map: blocked a request that would leave the app: %s (from %s)", entry.url, entry.first_party)


@dataclass
class _Shared:
    profile: QWebEngineProfile
    handler: MapSchemeHandler
    blocker: NetworkBlocker


_shared: _Shared | None = None


def _shared_profile() -> _Shared:
    global _shared
    if _shared is None:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication (after register_map_scheme()) before any map")
        profile = QWebEngineProfile(app)  # no storage name: off the record, nothing written to disk
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
        attr = QWebEngineSettings.WebAttribute
        settings = profile.settings()
        for name, on in ((attr.LocalContentCanAccessRemoteUrls, False), (attr.LocalContentCanAccessFileUrls, False),
                         (attr.PluginsEnabled, False), (attr.JavascriptCanOpenWindows, False),
                         (attr.DnsPrefetchEnabled, False), (attr.ErrorPageEnabled, False),
                         (attr.NavigateOnDropEnabled, False)):
            settings.setAttribute(name, on)
        handler = MapSchemeHandler(app)
        profile.installUrlSchemeHandler(SCHEME.encode(), handler)
        blocker = NetworkBlocker(app)
        profile.setUrlRequestInterceptor(blocker)
        _shared = _Shared(profile, handler, blocker)
    return _shared


def map_profile() -> QWebEngineProfile:
    return _shared_profile().profile


def scheme_handler() -> MapSchemeHandler:
    return _shared_profile().handler


def network_blocker() -> NetworkBlocker:
    return _shared_profile().blocker
