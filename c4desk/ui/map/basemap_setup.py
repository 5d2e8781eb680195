"""Turns the basemap setting into what the page needs: streets, or tiles served through the map's scheme."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from c4desk.ui.map.basemap import MBTiles, XyzFolder, geojson_bounds, load_streets, parse_basemap, plain_attribution
from c4desk.ui.map.page_html import PageSpec
from c4desk.ui.map.profile import scheme_handler
from c4desk.ui.map.remote_tiles import RemoteTiles


@dataclass
class Basemap:
    page: PageSpec
    problems: list[str] = field(default_factory=list)
    mbtiles: MBTiles | None = None
    remote: RemoteTiles | None = None

    def close(self) -> None:
        if self.mbtiles is not None:
            self.mbtiles.close()
        if self.remote is not None:
            self.remote.deleteLater()


def prepare_basemap(key: str, streets: dict[str, Any] | str | Path | None, setting: str) -> Basemap:
    """The page spec for ``setting`` ("streets", "mbtiles:/path" or "xyz:template"); a tile set that cannot be
    used falls back to the streets, with the reason among the problems."""
    spec = parse_basemap(setting)
    problems: list[str] = []
    if spec.kind == "mbtiles":
        mbtiles, problems = MBTiles.open(spec.target)
        if mbtiles is not None:
            name = mbtiles.metadata.get("name") or Path(spec.target).name
            page = PageSpec(tile_url=scheme_handler().add_tiles(key, mbtiles),
                            tile_attribution=plain_attribution(mbtiles.metadata.get("attribution", ""))
                            or f"Tiles: {name}", zoom_range=mbtiles.zoom_range(), bounds=mbtiles.bounds())
            return Basemap(page, problems, mbtiles)
    elif spec.kind == "xyz" and urlsplit(spec.target).scheme in ("http", "https"):
        problem = RemoteTiles.check(spec.target)
        if problem is None:
            remote = RemoteTiles(spec.target, scheme_handler())
            page = PageSpec(tile_url=scheme_handler().add_tiles(key, remote), tile_attribution=f"Tiles: {remote.host}")
            return Basemap(page, problems, remote=remote)
        problems = [problem]
    elif spec.kind == "xyz":
        folder, problems = XyzFolder.open(spec.target)
        if folder is not None:
            page = PageSpec(tile_url=scheme_handler().add_tiles(key, folder), tile_attribution="Tiles: local set")
            return Basemap(page, problems)
    elif setting != "streets":
        problems = [f"basemap setting {setting!r} not understood; using the street map"]
    fc, street_problems = load_streets(streets)
    page = PageSpec(streets=fc, bounds=geojson_bounds(fc) if fc else None,
                    attributions=["Streets: site GeoJSON"] if fc else [])
    return Basemap(page, problems + street_problems)
