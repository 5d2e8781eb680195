/* c4desk map page: alert pins (gunshot, hotlist hit, incident) and LPR trails. */
(function () {
  'use strict';
  var C4Map = window.C4Map;
  var SOURCE = {
    gunshot: { icon: 'burst', colour: 'red', label: 'Gunshot' },
    hotlist: { icon: 'car', colour: 'orange', label: 'Hotlist hit' },
    incident: { icon: 'triangle-exclamation', colour: 'purple', label: 'Incident' }
  };
  var OTHER = { icon: 'circle-exclamation', colour: 'cadetblue', label: 'Alert' };
  var PULSE_MS = 12000;

  function source(d) { return SOURCE.hasOwnProperty(d.source) ? SOURCE[d.source] : OTHER; }

  var AlertIcon = L.AwesomeMarkers.Icon.extend({
    createIcon: function (old) {
      var el = L.AwesomeMarkers.Icon.prototype.createIcon.call(this, old);
      el.dataset.alertId = this.options.alertId;
      if (C4Map.selectedAlert === this.options.alertId) { el.classList.add('c4-selected'); }
      if (this.options.fresh) { el.classList.add('c4-fresh'); }
      return el;
    }
  });

  function alertIcon(d, fresh) {
    var s = source(d);
    var closed = d.status === 'closed';
    return new AlertIcon({ icon: s.icon, prefix: 'fa', markerColor: closed ? 'gray' : s.colour,
                           iconColor: 'white', alertId: d.id, fresh: !!fresh });
  }

  function alertTip(d) {
    var s = source(d);
    return C4Map.tooltip(d.type || s.label, [s.label + (d.time ? ' at ' + d.time : ''), d.address,
                                             'Status: ' + String(d.status).replace('_', ' '), d.id]);
  }

  function makeAlert(d, fresh) {
    var marker = L.marker([d.lat, d.lon], { icon: alertIcon(d, fresh), keyboard: false, riseOnHover: true,
                                            zIndexOffset: 1000 });
    var entry = { data: d, marker: marker };
    marker.bindTooltip(function () { return alertTip(entry.data); }, { direction: 'top', offset: [0, -36] });
    marker.on('click', function () {
      C4Map.selectAlert(entry.data.id, false);
      C4Map.send('alertClicked', entry.data.id);
    });
    return entry;
  }

  function pulse(d) {
    var ring = L.marker([d.lat, d.lon], { icon: L.divIcon({ className: 'c4-pulse c4-pulse-' + source(d).colour,
                                                            iconSize: [64, 64], iconAnchor: [32, 32] }),
                                          interactive: false, keyboard: false, zIndexOffset: -1000 });
    C4Map.layers.pulses.addLayer(ring);
    setTimeout(function () { C4Map.layers.pulses.removeLayer(ring); }, PULSE_MS);
  }

  C4Map.setAlerts = function (list) {
    C4Map.layers.alertPins.clearLayers();
    C4Map.layers.pulses.clearLayers();
    C4Map.alerts = {};
    var markers = list.map(function (d) {
      var entry = makeAlert(d, false);
      C4Map.alerts[d.id] = entry;
      return entry.marker;
    });
    C4Map.layers.alertPins.addLayers(markers);
    return markers.length;
  };

  /* A new alert: its pin goes in without touching the rest of the page, and a ring pulses round it. */
  C4Map.addAlert = function (d) {
    if (C4Map.alerts[d.id]) { return C4Map.updateAlert(d); }
    var entry = makeAlert(d, true);
    C4Map.alerts[d.id] = entry;
    C4Map.layers.alertPins.addLayer(entry.marker);
    pulse(d);
    C4Map.stats.alertsAdded += 1;
    return !!entry.marker._icon || C4Map.layers.pulses.getLayers().length > 0;
  };

  C4Map.updateAlert = function (d) {
    var entry = C4Map.alerts[d.id];
    if (!entry) { return C4Map.addAlert(d); }
    entry.data = d;
    var pins = C4Map.layers.alertPins;
    pins.removeLayer(entry.marker);
    entry.marker.setLatLng([d.lat, d.lon]);
    entry.marker.setIcon(alertIcon(d, false));
    pins.addLayer(entry.marker);
    return true;
  };

  C4Map.removeAlert = function (id) {
    var entry = C4Map.alerts[id];
    if (!entry) { return false; }
    C4Map.layers.alertPins.removeLayer(entry.marker);
    delete C4Map.alerts[id];
    if (C4Map.selectedAlert === id) { C4Map.selectedAlert = null; }
    return true;
  };

  C4Map.selectAlert = function (id, pan) {
    var previous = C4Map.alerts[C4Map.selectedAlert];
    C4Map.selectedAlert = id;
    if (previous && previous.marker._icon) { previous.marker._icon.classList.remove('c4-selected'); }
    var entry = C4Map.alerts[id];
    if (!entry) { return false; }
    if (entry.marker._icon) { entry.marker._icon.classList.add('c4-selected'); }
    if (pan) { C4Map.reveal(C4Map.layers.alertPins, entry.marker); }
    return true;
  };

  C4Map.alertPoint = function (id) {
    var entry = C4Map.alerts[id];
    if (!entry || !entry.marker._icon) { return null; }
    var r = entry.marker._icon.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };

  /* A vehicle's path past LPR cameras: a line, a dot per read and its time beside it. */
  C4Map.showTrail = function (id, points) {
    C4Map.clearTrail(id);
    if (!points.length) { return false; }
    var group = L.featureGroup();
    var line = points.map(function (p) { return [p[0], p[1]]; });
    L.polyline(line, { color: '#58a6ff', weight: 4, opacity: 0.9, dashArray: '8 6', interactive: false })
      .addTo(group);
    points.forEach(function (p, i) {
      var last = i === points.length - 1;
      L.circleMarker([p[0], p[1]], { radius: last ? 7 : 5, color: '#0d1117', weight: 2, fillOpacity: 1,
                                     fillColor: last ? '#f0f6fc' : '#58a6ff' })
        .bindTooltip(C4Map.text('span', p[2]), { permanent: true, direction: 'right', offset: [8, 0],
                                                  className: 'c4-trail-label' })
        .addTo(group);
    });
    C4Map.trails[id] = group;
    C4Map.layers.trails.addLayer(group);
    return true;
  };

  C4Map.clearTrail = function (id) {
    var group = C4Map.trails[id];
    if (!group) { return false; }
    C4Map.layers.trails.removeLayer(group);
    delete C4Map.trails[id];
    return true;
  };
}());
