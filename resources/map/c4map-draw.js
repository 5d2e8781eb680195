/* c4desk map page: a minimal area tool. The page only draws the shape and sends it; Python decides which
 * cameras it selects. Circle: click the centre, click the edge. Polygon: click the corners, then click the first
 * corner, double-click or press Enter. Escape cancels. */
(function () {
  'use strict';
  var C4Map = window.C4Map;
  var STYLE = { color: '#f0883e', weight: 2, fillOpacity: 0.12, dashArray: '6 4', interactive: false };
  var map = null;
  var mode = null;
  var points = [];
  var centre = null;
  var sketch = null;
  var buttons = {};

  function clearSketch() {
    if (sketch) { C4Map.layers.area.removeLayer(sketch); sketch = null; }
  }

  function setMode(next) {
    mode = next;
    points = [];
    centre = null;
    clearSketch();
    var container = map.getContainer();
    container.classList.toggle('c4-drawing', !!mode);
    Object.keys(buttons).forEach(function (k) { buttons[k].classList.toggle('c4-active', k === mode); });
    if (mode) { map.doubleClickZoom.disable(); } else { map.doubleClickZoom.enable(); }
  }

  function finish(shape) {
    var done = mode;
    setMode(null);
    C4Map.layers.area.clearLayers();
    if (done === 'circle') {
      L.circle([shape.lat, shape.lon], L.extend({ radius: shape.radius_m }, STYLE)).addTo(C4Map.layers.area);
    } else {
      L.polygon(shape.ring, STYLE).addTo(C4Map.layers.area);
    }
    C4Map.send('areaDrawn', JSON.stringify(shape));
  }

  function redraw(cursor) {
    clearSketch();
    if (mode === 'circle' && centre) {
      sketch = L.circle(centre, L.extend({ radius: map.distance(centre, cursor) }, STYLE));
    } else if (mode === 'polygon' && points.length) {
      sketch = L.polyline(points.concat([cursor]), STYLE);
    }
    if (sketch) { C4Map.layers.area.addLayer(sketch); }
  }

  function finishPolygon() {
    if (points.length >= 3) {
      finish({ type: 'polygon', ring: points.map(function (p) { return [p.lat, p.lng]; }) });
    }
  }

  function onClick(e) {
    if (!mode) { return; }
    if (mode === 'circle') {
      if (!centre) { centre = e.latlng; redraw(e.latlng); return; }
      finish({ type: 'circle', lat: centre.lat, lon: centre.lng, radius_m: map.distance(centre, e.latlng) });
      return;
    }
    if (points.length >= 3) {
      var first = map.latLngToContainerPoint(points[0]);
      if (first.distanceTo(e.containerPoint) <= 10) { finishPolygon(); return; }
    }
    var last = points[points.length - 1];
    if (!last || map.latLngToContainerPoint(last).distanceTo(e.containerPoint) > 3) { points.push(e.latlng); }
    redraw(e.latlng);
  }

  function button(bar, key, icon, title, action) {
    var a = L.DomUtil.create('a', 'c4-draw-' + key, bar);
    a.href = '#';
    a.title = title;
    a.setAttribute('role', 'button');
    a.innerHTML = '<i class="fa ' + icon + '"></i>';
    L.DomEvent.on(a, 'click', function (e) { L.DomEvent.preventDefault(e); action(); });
    buttons[key] = a;
  }

  C4Map.installDraw = function (m) {
    map = m;
    var control = L.control({ position: 'topleft' });
    control.onAdd = function () {
      var bar = L.DomUtil.create('div', 'leaflet-bar c4-draw');
      button(bar, 'circle', 'fa-regular fa-circle', 'Select cameras in a circle',
             function () { setMode(mode === 'circle' ? null : 'circle'); });
      button(bar, 'polygon', 'fa-draw-polygon', 'Select cameras in a polygon',
             function () { setMode(mode === 'polygon' ? null : 'polygon'); });
      button(bar, 'clear', 'fa-xmark', 'Clear the selected area', function () { C4Map.clearArea(); });
      L.DomEvent.disableClickPropagation(bar);
      return bar;
    };
    control.addTo(map);
    map.on('click', onClick);
    map.on('mousemove', function (e) { if (mode) { redraw(e.latlng); } });
    map.on('dblclick', function () { if (mode === 'polygon') { finishPolygon(); } });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { setMode(null); }
      if (e.key === 'Enter' && mode === 'polygon') { finishPolygon(); }
    });
  };

  C4Map.startDraw = function (kind) { setMode(kind === 'circle' || kind === 'polygon' ? kind : null); };
  C4Map.drawMode = function () { return mode; };
  C4Map.clearArea = function () {
    setMode(null);
    C4Map.layers.area.clearLayers();
    C4Map.markArea([]);
  };
}());
