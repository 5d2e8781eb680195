# Shared by install.sh and test.sh: idempotent installation of system packages and the virtual environment.
# Sourced, not run.  Each step checks first, so a second run takes seconds.

set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${C4DESK_VENV:-$REPO/.venv}"

# What the workstation needs from the system: Qt's X11/EGL/WebEngine runtime libraries, libvlc, FFmpeg,
# and GStreamer's RTSP server (run by Debian's python3-gi) for the demo city's cameras.
RUNTIME_PACKAGES=(
  python3 python3-venv python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  vlc-bin vlc-plugin-base vlc-plugin-video-output libvlc5 ffmpeg fonts-dejavu-core
  libgl1 libegl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libnss3 libxcomposite1
  libxdamage1 libxrandr2 libxtst6 libxshmfence1 libgbm1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxkbfile1 libxss1
)

_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Ubuntu 24.04 renamed some libraries (t64); take whichever name the archive has.
_alt_name() {
  case "$1" in
    libasound2) echo libasound2t64 ;;
    *) echo "" ;;
  esac
}

_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

apt_ensure() {
  local missing=() pkg
  for pkg in "$@"; do
    _installed "$pkg" || { [ -n "$(_alt_name "$pkg")" ] && _installed "$(_alt_name "$pkg")"; } || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing system packages: ${missing[*]}"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    _sudo apt-get update -q
  fi
  local resolved=()
  for pkg in "${missing[@]}"; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then resolved+=("$pkg");
    elif [ -n "$(_alt_name "$pkg")" ]; then resolved+=("$(_alt_name "$pkg")");
    else echo "    (no package $pkg in this archive; skipping)"; fi
  done
  _sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${resolved[@]}"
}

venv_ensure() {
  # $1: pip extras spec, e.g. "." or ".[test]"
  local spec="$1" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
  fi
  stamp="$VENV/.c4desk-$(echo "$spec" | tr -c 'a-z' '_')-$(sha256sum "$REPO/pyproject.toml" | cut -c1-16)"
  if [ ! -e "$stamp" ]; then
    echo "==> installing c4desk$spec into $VENV"
    (cd "$REPO" && "$VENV/bin/python" -m pip install -q -e "$spec")
    touch "$stamp"
  fi
}
