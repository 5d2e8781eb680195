"""Builds the map page with folium: vendored assets only, the basemap, then our own script after render()."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from c4desk.ui.map.hop_layer import HOP_TRAIL_JS
from c4desk.ui.map.payload import js_value
from c4desk.ui.map.scheme import ORIGIN, resource_url

V = "vendor/"
# Everything folium's Map would fetch from CDNs, from resources/ instead. No glyphicons: `fa` icons only.
VENDORED_JS = [
    ("leaflet", resource_url(V + "leaflet/leaflet.js")),
    ("jquery", resource_url(V + "jquery/jquery.min.js")),
    ("bootstrap", resource_url(V + "bootstrap/js/bootstrap.bundle.min.js")),
    ("awesome_markers", resource_url(V + "awesome-markers/leaflet.awesome-markers.min.js")),
    ("markercluster", resource_url(V + "markercluster/leaflet.markercluster.js")),
    ("qwebchannel", f"{ORIGIN}/qwebchannel.js"),
    ("c4map", resource_url("map/c4map.js")),
    ("c4map_alerts", resource_url("map/c4map-alerts.js")),
    ("c4map_draw", resource_url("map/c4map-draw.js")),
]
VENDORED_CSS = [
    ("leaflet_css", resource_url(V + "leaflet/leaflet.css")),
    ("bootstrap_css", resource_url(V + "bootstrap/css/bootstrap.min.css")),
    ("awesome_markers_font_css", resource_url(V + "fontawesome/css/all.min.css")),
    ("awesome_markers_css", resource_url(V + "awesome-markers/leaflet.awesome-markers.css")),
    ("markercluster_css", resource_url(V + "markercluster/MarkerCluster.css")),
    ("markercluster_default_css", resource_url(V + "markercluster/MarkerCluster.Default.css")),
    ("c4map_css", resource_url("map/c4map.css")),
]
# Nothing but our own origin (and inline data images) may load, whatever a bug or a crafted name tries.
CSP = ("default-src c4map: data: blob:; script-src c4map: 'unsafe-inline'; style-src c4map: 'unsafe-inline'; "
       "img-src c4map: data: blob:; font-src c4map: data:; connect-src c4map:")
STREET_STYLE = {"color": "#5b6673", "weight": 3, "opacity": 0.9}


class OfflineMap(folium.Map):
    default_js = VENDORED_JS
    default_css = VENDORED_CSS


class _Init(MacroElement):
    """Hands the folium-made map to c4map.js once folium's own script has created it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            C4Map.init({{ this._parent.get_name() }}, {{ this.config_js }},
                {{ '{' }}{% for key, layer in this.layers.items() %}{{ key|tojson }}: {{ layer.get_name() }},
                {% endfor %}{{ '}' }});
        {% endmacro %}
    """)

    def __init__(self, config: dict[str, Any], layers: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "C4MapInit"
        self.config_js = js_value(config)
        self.layers = layers


@dataclass
class PageSpec:
    streets: dict[str, Any] | None = None
    tile_url: str | None = None
    tile_attribution: str = ""
    zoom_range: tuple[int, int] = (0, 19)
    bounds: tuple[float, float, float, float] | None = None  # south, west, north, east
    attributions: list[str] = field(default_factory=list)


def build_page(spec: PageSpec) -> str:
    """The complete HTML of one map page."""
    min_zoom, max_zoom = spec.zoom_range
    m = OfflineMap(location=None, tiles=None, zoom_start=16, control_scale=True, prefer_canvas=True)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(
        Element(f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP)}">'), name="csp", index=0)
    layers: dict[str, Any] = {}
    attributions = [html.escape(a) for a in spec.attributions]
    if spec.tile_url:
        tiles = folium.TileLayer(tiles=spec.tile_url, attr=html.escape(spec.tile_attribution or "Tiles"),
                                 name="Basemap tiles", min_zoom=max(0, min_zoom - 1), max_zoom=max_zoom + 2,
                                 max_native_zoom=max_zoom, overlay=False, control=False)
        tiles.add_to(m)
        layers["tiles"] = tiles
    if spec.streets is not None:
        streets = folium.GeoJson(spec.streets, name="Streets", control=False, smooth_factor=1.0,
                                 style_function=lambda _feature: STREET_STYLE, zoom_on_click=False)
        streets.add_to(m)
        layers["streets"] = streets
    config = {"bounds": spec.bounds, "attribution": attributions, "minZoom": max(0, min_zoom - 1),
              "maxZoom": max_zoom + 2}
    m.add_child(_Init(config, layers))
    root.script.add_child(Element(HOP_TRAIL_JS), name="c4map_hop_trails")  # after C4Map.init (see hop_layer)
    page: str = root.render()
    return page
