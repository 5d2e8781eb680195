#!/usr/bin/env bash
# Re-vendor the map page's web libraries from the npm registry (`npm pack`), keeping only the files the page
# loads plus each package's licence. Run from anywhere; rewrites resources/vendor/<lib>/ in place.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch SPEC DIR -> unpacks the package tarball into $work/DIR
    (cd "$work" && npm pack --silent "$1" >/dev/null && mkdir -p "$2" && tar xzf ./*.tgz -C "$2" && rm ./*.tgz)
}
copy() {  # copy SRC-DIR DEST-DIR FILE... (paths relative to the package root; sub-folders kept)
    local src="$1" dst="$2"; shift 2
    for f in "$@"; do mkdir -p "$dst/$(dirname "$f")"; cp "$src/$f" "$dst/$f"; done
}

fetch leaflet@1.9.4 leaflet
fetch jquery@3.7.1 jquery
fetch bootstrap@5.3.8 bootstrap
fetch @fortawesome/fontawesome-free@6.7.2 fontawesome
fetch leaflet.awesome-markers@2.0.5 awesome-markers
fetch leaflet.markercluster@1.5.3 markercluster

rm -rf "$here"/{leaflet,jquery,bootstrap,fontawesome,awesome-markers,markercluster}
p="$work/leaflet/package"
copy "$p" "$here/leaflet" LICENSE package.json
copy "$p/dist" "$here/leaflet" leaflet.js leaflet.css images/layers.png images/layers-2x.png \
    images/marker-icon.png images/marker-icon-2x.png images/marker-shadow.png
p="$work/jquery/package"
copy "$p" "$here/jquery" LICENSE.txt package.json
copy "$p/dist" "$here/jquery" jquery.min.js
p="$work/bootstrap/package"
copy "$p" "$here/bootstrap" LICENSE package.json
copy "$p/dist" "$here/bootstrap" css/bootstrap.min.css js/bootstrap.bundle.min.js
p="$work/fontawesome/package"
copy "$p" "$here/fontawesome" LICENSE.txt package.json css/all.min.css
for w in fa-solid-900 fa-regular-400 fa-brands-400 fa-v4compatibility; do
    copy "$p" "$here/fontawesome" "webfonts/$w.woff2" "webfonts/$w.ttf"
done
p="$work/awesome-markers/package"
copy "$p" "$here/awesome-markers" LICENSE package.json
copy "$p/dist" "$here/awesome-markers" leaflet.awesome-markers.min.js leaflet.awesome-markers.css \
    images/markers-soft.png images/markers-soft@2x.png images/markers-shadow.png images/markers-shadow@2x.png
p="$work/markercluster/package"
copy "$p" "$here/markercluster" MIT-LICENCE.txt package.json
copy "$p/dist" "$here/markercluster" leaflet.markercluster.js MarkerCluster.css MarkerCluster.Default.css

# Source-map comments would make DevTools ask for files that are not vendored.
find "$here" -name '*.js' -o -name '*.css' | while read -r f; do sed -i -E '/^\/[\/*]# sourceMappingURL=/d' "$f"; done
echo "vendored into $here"
