#!/bin/sh
# Install the Debian libraries Qt, Xvfb and the PDF tests need, and only the missing ones.
set -eu
PKGS="libgl1 libegl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 \
libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 \
libxcb-render-util0 libxcb-shape0 libxcb-xkb1 xvfb xauth poppler-utils"

if ! command -v dpkg >/dev/null 2>&1; then
    echo "sysdeps: not a Debian system; make sure Qt's xcb libraries, Xvfb and poppler-utils are installed." >&2
    exit 0
fi

missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "CarePlan needs these system libraries; please run: sudo apt-get update && sudo apt-get install --no-install-recommends$missing" >&2
    exit 1
fi
echo "Installing system libraries:$missing"
DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
