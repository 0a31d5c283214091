#!/bin/sh
# Install the Debian libraries Qt, Xvfb and the PDF tests need, and only the missing ones.
set -eu
# The list is package data (the desktop app names the same packages when Qt cannot start).
LIST="$(dirname "$0")/../careplan/resources/debian-packages.txt"
PKGS=$(grep -v '^[[:space:]]*#' "$LIST")
# --test: also what only the tests need (a PostgreSQL server for the team server's tests).
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS $(grep -v '^[[:space:]]*#' "$(dirname "$0")/test-debian-packages.txt")"
fi

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
