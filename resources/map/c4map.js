/* c4desk map page: the bridge to Qt, layers, legend and cameras. Alerts and trails: c4map-alerts.js;
 * the area tool: c4map-draw.js. Python calls C4Map.* with JSON arguments; text reaches the DOM as text only. */
(function () {
  'use strict';

  var C4Map = window.C4Map = {
    map: null, layers: {}, cams: {}, alerts: {}, trails: {},
    selectedCamera: null, selectedAlert: null,
    loadedAt: Date.now(), stats: { loads: 0, camerasSet: 0, alertsAdded: 0 }
  };
  var bridge = null;
  var outbox = [];

  var KIND_ICON = { fixed: 'video', ptz: 'arrows-to-eye', lpr: 'car-rear', 'private': 'house-user' };
  var KIND_LABEL = { fixed: 'Fixed camera', ptz: 'PTZ camera', lpr: 'LPR camera', 'private': 'Private camera' };
  var CONES_FROM_ZOOM = 15;
  var KIND_COLOUR = { fixed: '#3d8bfd', ptz: '#b083f0', lpr: '#e3b341', 'private': '#8a939d' };

  /* Calls into Python. Anything said before the channel is up waits in the outbox, in order. */
  C4Map.send = function (method) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (bridge) { bridge[method].apply(bridge, args); } else { outbox.push([method, args]); }
  };

  C4Map.connected = function () { return bridge !== null; };

  C4Map.text = function (tag, text, className) {
    var el = document.createElement(tag);
    el.textContent = text === undefined || text === null ? '' : String(text);
    if (className) { el.className = className; }
    return el;
  };

  C4Map.tooltip = function (title, lines) {
    var box = document.createElement('div');
    box.appendChild(C4Map.text('div', title, 'c4-tip-title'));
    lines.forEach(function (line) { if (line) { box.appendChild(C4Map.text('div', line)); } });
    return box;
  };

  function safeState(state) {
    return (/^[a-z_]{1,24}$/).test(state || '') ? state : 'unknown';
  }
  function safeKind(kind) { return KIND_ICON.hasOwnProperty(kind) ? kind : 'fixed'; }

  /* Camera icons carry their id as data (not markup), so clustering can re-create them at will. */
  var CameraIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var el = L.DivIcon.prototype.createIcon.call(this, old);
      el.dataset.cameraId = this.options.cameraId;
      return el;
    }
  });

  function cameraIcon(d) {
    var kind = safeKind(d.kind);
    var cls = 'c4-cam c4-kind-' + kind + ' c4-state-' + safeState(d.state);
    if (C4Map.selectedCamera === d.id) { cls += ' c4-selected'; }
    if (d.inArea) { cls += ' c4-in-area'; }
    return new CameraIcon({ className: cls, html: '<i class="fa fa-' + KIND_ICON[kind] + '"></i>',
                            iconSize: [26, 26], iconAnchor: [13, 13], cameraId: d.id });
  }

  function coneStyle(d) {
    var offline = safeState(d.state) === 'offline';
    var selected = C4Map.selectedCamera === d.id;
    return { color: KIND_COLOUR[safeKind(d.kind)], weight: selected ? 2.5 : 1, opacity: offline ? 0.5 : 0.9,
             fillOpacity: selected ? 0.35 : (offline ? 0.06 : 0.18), dashArray: offline ? '4 4' : null };
  }

  function cameraTip(d) {
    return C4Map.tooltip(d.name, [KIND_LABEL[safeKind(d.kind)], 'State: ' + safeState(d.state), d.id]);
  }

  function makeCamera(d) {
    var marker = L.marker([d.lat, d.lon], { icon: cameraIcon(d), keyboard: false, riseOnHover: true });
    var cone = L.polygon(d.cone, L.extend({ renderer: C4Map.coneRenderer, interactive: false }, coneStyle(d)));
    var entry = { data: d, marker: marker, cone: cone };
    marker.bindTooltip(function () { return cameraTip(entry.data); }, { direction: 'top', offset: [0, -14] });
    marker.on('click', function () {
      C4Map.selectCamera(d.id, false);
      C4Map.send('cameraClicked', d.id);
    });
    return entry;
  }

  function refreshCamera(entry) {
    entry.marker.setIcon(cameraIcon(entry.data));
    entry.cone.setStyle(coneStyle(entry.data));
  }

  C4Map.setCameras = function (list) {
    C4Map.layers.cameras.clearLayers();
    C4Map.layers.cones.clearLayers();
    C4Map.cams = {};
    var markers = [];
    list.forEach(function (d) {
      var entry = makeCamera(d);
      C4Map.cams[d.id] = entry;
      markers.push(entry.marker);
      C4Map.layers.cones.addLayer(entry.cone);
    });
    C4Map.layers.cameras.addLayers(markers);
    C4Map.stats.camerasSet += 1;
    return list.length;
  };

  C4Map.setCameraState = function (id, state) {
    var entry = C4Map.cams[id];
    if (!entry) { return false; }
    entry.data.state = state;
    refreshCamera(entry);
    return true;
  };

  C4Map.setCameraCone = function (id, heading, cone) {
    var entry = C4Map.cams[id];
    if (!entry) { return false; }
    entry.data.heading = heading;
    entry.data.cone = cone;
    entry.cone.setLatLngs(cone);
    return true;
  };

  /* Show a layer that may sit in a cluster: zoom to it only if it is hidden or off screen. */
  C4Map.reveal = function (group, layer) {
    if (!C4Map.map.hasLayer(group)) { C4Map.map.addLayer(group); }
    group.zoomToShowLayer(layer, function () {});
  };

  C4Map.selectCamera = function (id, pan) {
    var previous = C4Map.cams[C4Map.selectedCamera];
    C4Map.selectedCamera = id;
    if (previous) { refreshCamera(previous); }
    var entry = C4Map.cams[id];
    if (!entry) { return false; }
    refreshCamera(entry);
    if (pan) { C4Map.reveal(C4Map.layers.cameras, entry.marker); }
    return true;
  };

  C4Map.markArea = function (ids) {
    var wanted = {};
    (ids || []).forEach(function (id) { wanted[id] = true; });
    Object.keys(C4Map.cams).forEach(function (id) {
      var entry = C4Map.cams[id];
      var now = !!wanted[id];
      if (!!entry.data.inArea !== now) { entry.data.inArea = now; refreshCamera(entry); }
    });
  };

  C4Map.fitCameras = function () {
    var ids = Object.keys(C4Map.cams);
    if (!ids.length) { return false; }
    var bounds = L.latLngBounds(ids.map(function (id) { return C4Map.cams[id].marker.getLatLng(); }));
    C4Map.map.fitBounds(bounds.pad(0.08), { maxZoom: 18, animate: false });
    return true;
  };

  /* Where a camera's icon is, in page pixels (for tests and tools); null while it sits in a cluster. */
  C4Map.cameraPoint = function (id) {
    var entry = C4Map.cams[id];
    if (!entry || !entry.marker._icon) { return null; }
    var r = entry.marker._icon.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };

  function clusterIcon(kind) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 30 : (n < 100 ? 36 : 44);
      return L.divIcon({ html: '<div><span>' + n + '</span></div>', className: 'c4-cluster c4-cluster-' + kind,
                         iconSize: [size, size] });
    };
  }
  C4Map.clusterGroup = function (kind, disableAt) {
    return L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
                                  disableClusteringAtZoom: disableAt, spiderfyOnMaxZoom: true,
                                  iconCreateFunction: clusterIcon(kind) });
  };

  function legend() {
    var control = L.control({ position: 'bottomleft' });
    control.onAdd = function () {
      var div = L.DomUtil.create('div', 'c4-legend leaflet-bar');
      var rows = [['c4-cam c4-kind-fixed c4-state-live', 'video', 'Fixed camera (live)'],
                  ['c4-cam c4-kind-ptz c4-state-live', KIND_ICON.ptz, 'PTZ camera'],
                  ['c4-cam c4-kind-lpr c4-state-live', KIND_ICON.lpr, 'LPR camera'],
                  ['c4-cam c4-kind-private c4-state-live', KIND_ICON['private'], 'Private camera'],
                  ['c4-cam c4-kind-fixed c4-state-offline', 'video', 'Camera offline'],
                  ['c4-legend-pin c4-pin-gunshot', 'burst', 'Gunshot'],
                  ['c4-legend-pin c4-pin-hotlist', 'car', 'Hotlist hit'],
                  ['c4-legend-pin c4-pin-incident', 'triangle-exclamation', 'Incident']];
      var html = rows.map(function (r) {
        return '<div class="c4-legend-row"><span class="' + r[0] + '"><i class="fa fa-' + r[1] +
               '"></i></span>' + r[2] + '</div>';
      }).join('');
      div.innerHTML = '<div class="c4-legend-title">Legend</div>' + html;  // static text only
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    return control;
  }

  C4Map.init = function (map, config, folium) {
    C4Map.map = map;
    map.setMinZoom(config.minZoom);
    map.setMaxZoom(config.maxZoom);
    // Cones get a pane of their own, hidden when zoomed out so far that they would only be clutter.
    map.createPane('c4cones').style.zIndex = 390;
    C4Map.coneRenderer = L.canvas({ padding: 0.3, pane: 'c4cones' });
    var showCones = function () {
      map.getPane('c4cones').style.display = map.getZoom() < CONES_FROM_ZOOM ? 'none' : '';
    };
    map.on('zoomend', showCones);
    showCones();
    map.attributionControl.setPrefix('Leaflet');
    (config.attribution || []).forEach(function (a) { map.attributionControl.addAttribution(a); });
    var layers = C4Map.layers;
    layers.cones = L.layerGroup().addTo(map);
    layers.cameras = C4Map.clusterGroup('camera', 16).addTo(map);
    layers.alertPins = C4Map.clusterGroup('alert', 17);
    layers.pulses = L.layerGroup();
    layers.alerts = L.layerGroup([layers.alertPins, layers.pulses]).addTo(map);
    layers.trails = L.layerGroup().addTo(map);
    layers.area = L.layerGroup().addTo(map);
    var overlays = {};
    if (folium.streets) {
      overlays['<i class="fa fa-road"></i> Streets'] = folium.streets;
      folium.streets.eachLayer(function (l) {
        var name = l.feature && l.feature.properties && l.feature.properties.name;
        if (name) { l.bindTooltip(C4Map.text('span', name), { sticky: true, className: 'c4-street-tip' }); }
      });
    }
    overlays['<i class="fa fa-video"></i> Cameras'] = layers.cameras;
    overlays['<i class="fa fa-eye"></i> Fields of view'] = layers.cones;
    overlays['<i class="fa fa-bell"></i> Alerts'] = layers.alerts;
    overlays['<i class="fa fa-route"></i> LPR trails'] = layers.trails;
    L.control.layers(null, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    legend().addTo(map);
    if (C4Map.installDraw) { C4Map.installDraw(map); }
    var b = config.bounds;
    if (b) { map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { animate: false }); } else { map.setView([0, 0], 2); }
    connect();
  };

  /* Python pushes the whole state once the channel is up (and again after a reload). */
  C4Map.load = function (state) {
    C4Map.selectedCamera = state.selectedCamera;
    C4Map.selectedAlert = state.selectedAlert;
    C4Map.setCameras(state.cameras);
    C4Map.setAlerts(state.alerts);
    Object.keys(state.trails).forEach(function (id) { C4Map.showTrail(id, state.trails[id]); });
    if (state.fit) { C4Map.fitCameras(); }
    C4Map.stats.loads += 1;
    return { cameras: Object.keys(C4Map.cams).length, alerts: Object.keys(C4Map.alerts).length };
  };

  function connect() {
    if (typeof QWebChannel === 'undefined' || !window.qt || !qt.webChannelTransport) {
      console.warn('c4map: no Qt web channel; running unconnected');
      return;
    }
    new QWebChannel(qt.webChannelTransport, function (channel) {
      bridge = channel.objects.c4bridge;
      outbox.splice(0).forEach(function (call) { bridge[call[0]].apply(bridge, call[1]); });
      bridge.pageReady();
    });
  }
}());
