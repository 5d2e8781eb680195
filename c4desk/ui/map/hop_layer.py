"""The map's hop-trail layer: the camera-to-camera path a followed vehicle took, with each camera's times.

Unlike an LPR trail (a dashed line straight between reads), a hop trail is drawn along the streets it most
likely used (``NeighbourGraph.route``), solid amber, with a numbered stop and its time span at each camera. The
page script is small and lives here, added to the page after c4map.js (the page's CSP allows inline scripts of
our own page only); it draws into the page's trails layer, so the layer control switches both kinds together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from c4desk.ui.map.payload import valid_latlon

__all__ = ["HOP_TRAIL_JS", "hop_trail_payload"]

HOP_TRAIL_JS = """
(function () {
  C4Map.hopTrails = {};
  /* path: [[lat, lon], ...] along the streets; stops: [[lat, lon, label], ...] one per camera, oldest first. */
  C4Map.showHopTrail = function (id, path, stops) {
    C4Map.clearHopTrail(id);
    var group = L.featureGroup();
    if (path.length >= 2) {
      L.polyline(path, { color: '#d29922', weight: 6, opacity: 0.9, interactive: false }).addTo(group);
    }
    stops.forEach(function (s, i) {
      var last = i === stops.length - 1;
      /* The label goes beside the way the trail runs there, not over it: above a stretch running east-west. */
      var other = stops[last ? Math.max(0, i - 1) : i + 1];
      var across = Math.abs(other[1] - s[1]) * Math.cos(s[0] * Math.PI / 180) > Math.abs(other[0] - s[0]);
      L.circleMarker([s[0], s[1]], { radius: last ? 8 : 6, color: '#15181c', weight: 2, fillOpacity: 1,
                                     fillColor: last ? '#f0f6fc' : '#d29922' })
        .bindTooltip(C4Map.text('span', s[2]), { permanent: true, direction: across ? 'top' : 'right',
                                                  offset: across ? [0, -9] : [9, 0],
                                                  className: 'c4-trail-label c4-hop-label' })
        .addTo(group);
    });
    C4Map.hopTrails[id] = { group: group, stops: stops.map(function (s) { return s[2]; }), points: path.length };
    C4Map.layers.trails.addLayer(group);
    return true;
  };
  C4Map.clearHopTrail = function (id) {
    var entry = C4Map.hopTrails[id];
    if (!entry) { return false; }
    C4Map.layers.trails.removeLayer(entry.group);
    delete C4Map.hopTrails[id];
    return true;
  };
}());
"""


def hop_trail_payload(path: Sequence[tuple[float, float]], stops: Sequence[tuple[float, float, str]]
                      ) -> tuple[list[list[float]], list[list[Any]], list[str]]:
    """(path, stops, problems): points without a valid position are left out, and said so."""
    problems: list[str] = []
    good_path = [[round(lat, 7), round(lon, 7)] for lat, lon in path if valid_latlon(lat, lon)]
    if len(good_path) != len(path):
        problems.append(f"hop trail: {len(path) - len(good_path)} path point(s) without a valid position left out")
    good_stops: list[list[Any]] = []
    for lat, lon, label in stops:
        if valid_latlon(lat, lon):
            good_stops.append([round(lat, 7), round(lon, 7), str(label)[:200]])
        else:
            problems.append(f"hop trail: stop {label!r} has no valid position; left out")
    return good_path, good_stops, problems
