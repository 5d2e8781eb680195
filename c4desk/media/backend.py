"""Which player plays a URL: libvlc where it can open the scheme, PyAV (FFmpeg) otherwise.

On Windows and macOS the VLC builds include the live555 RTSP client, so rtsp:// goes to libvlc there;
Debian's libvlc has no live555 module (and no package adds it), so rtsp:// goes to PyAV. Whether live555 is
there is read from libvlc's plugin directories (libvlc 3 has no API that lists access modules).
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import sys
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from c4desk.media.player import VideoPlayer

__all__ = [
    "VideoBackend",
    "backend_for",
    "create_player",
    "live555_available",
    "vlc_available",
    "vlc_can_open",
    "vlc_plugin_dirs",
]

log = logging.getLogger(__name__)

VideoBackend = Literal["auto", "vlc", "av"]

# What Debian's libvlc opens (access modules http, https, udp, rtp, filesystem).
_VLC_SCHEMES = frozenset({"http", "https", "udp", "rtp", "file"})
_RTSP_SCHEMES = frozenset({"rtsp", "rtsps", "rtspt", "rtspu"})


def _scheme(url: str) -> str:
    if "://" in url:
        return urlsplit(url).scheme.lower()
    return "file"  # a plain path (C:\... on Windows included) or file:/path


@functools.cache
def vlc_available() -> bool:
    """libvlc loads and starts in this process."""
    try:
        from c4desk.media.vlc_player import shared_instance

        shared_instance()
    except Exception as exc:  # python-vlc raises several kinds when libvlc is missing or broken
        log.info("libvlc not available: %s", exc)
        return False
    return True


@functools.cache
def vlc_plugin_dirs() -> tuple[Path, ...]:
    """Where the loaded libvlc looks for its plugins."""
    candidates: list[str] = []
    env = os.environ.get("VLC_PLUGIN_PATH")
    if env:
        candidates += env.split(os.pathsep)
    try:
        import vlc

        if getattr(vlc, "plugin_path", None):
            candidates.append(str(vlc.plugin_path))
        lib = getattr(getattr(vlc, "dll", None), "_name", "") or ""
        if os.path.isabs(lib):
            candidates.append(os.path.join(os.path.dirname(lib), "plugins"))
    except Exception as exc:
        log.debug("python-vlc not importable: %s", exc)
    if sys.platform.startswith("linux"):
        # libvlccore finds its plugins in <its own directory>/vlc/plugins.
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                for line in maps:
                    if "libvlccore" in line:
                        candidates.append(os.path.join(os.path.dirname(line.split()[-1]), "vlc", "plugins"))
                        break
        except OSError:
            pass
        candidates += [*glob.glob("/usr/lib/*/vlc/plugins"), "/usr/lib/vlc/plugins", "/usr/lib64/vlc/plugins"]
    seen: dict[Path, None] = {}
    for c in candidates:
        p = Path(c)
        if p.is_dir():
            seen.setdefault(p.resolve(), None)
    return tuple(seen)


@functools.cache
def live555_available() -> bool:
    """The RTSP client module (live555) is among libvlc's plugins."""
    for root in vlc_plugin_dirs():
        for _dirpath, _dirs, files in os.walk(root):
            if any(name.startswith("liblive555_plugin") for name in files):
                return True
    return False


def vlc_can_open(url: str) -> bool:
    """libvlc is available and handles this URL's scheme here."""
    scheme = _scheme(url)
    if scheme in _RTSP_SCHEMES:
        return vlc_available() and live555_available()
    return scheme in _VLC_SCHEMES and vlc_available()


def backend_for(url: str, backend: VideoBackend = "auto") -> Literal["vlc", "av"]:
    """The backend that plays `url`: "vlc" or "av" (an explicit "vlc" falls back to "av" without libvlc)."""
    if backend not in get_args(VideoBackend):
        raise ValueError(f"unknown video backend {backend!r}; expected one of {get_args(VideoBackend)}")
    if backend == "av":
        return "av"
    if backend == "vlc":
        return "vlc" if vlc_available() else "av"
    return "vlc" if vlc_can_open(url) else "av"


def create_player(url: str, backend: VideoBackend = "auto", **kw: Any) -> VideoPlayer:
    """A player for `url` (not started). `kw`: network_caching_ms, target_size, stall_after_s, login (the camera's
    login lookup, ``media.stream_login.camera_login_lookup``), and any backend-specific option of the chosen
    class."""
    if backend_for(url, backend) == "vlc":
        from c4desk.media.vlc_player import VlcPlayer

        return VlcPlayer(url, **kw)
    from c4desk.media.av_player import AvPlayer

    return AvPlayer(url, **kw)
