#!/usr/bin/env bash
# Installs whatever is missing on a Debian/Ubuntu machine for the workstation and the demo city.
# Idempotent: a second run checks and returns in seconds.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
apt_ensure "${RUNTIME_PACKAGES[@]}" libasound2
venv_ensure "."
echo "==> c4desk installed: $VENV/bin/c4desk"
