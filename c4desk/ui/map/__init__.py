"""UI feature: map. An offline Leaflet page (folium-built, vendored assets) in a QWebEngineView."""

from c4desk.ui.map.scheme import register_map_scheme

__all__ = ["register_map_scheme"]
