#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Stratos needs. Usage: scripts/deps.sh build|test|bench
# "build" is enough to compile and run the app; "test" adds the headless desktop, the keychain
# daemon and the WebDriver used by the tests; "bench" adds what scripts/bench-migrate.sh uses
# besides the test environment (GNU time for peak RSS, curl, jq). Installs only what is missing.
set -euo pipefail

build=(build-essential pkg-config libwebkit2gtk-4.1-dev libdbus-1-dev libayatana-appindicator3-1 gnome-keyring)
test=(xvfb xauth dbus dbus-x11 libglib2.0-bin webkit2gtk-driver imagemagick chromium rpm desktop-file-utils)
bench=(time curl jq)

want=("${build[@]}")
[[ "${1:-build}" == "test" || "${1:-build}" == "bench" ]] && want+=("${test[@]}")
[[ "${1:-build}" == "bench" ]] && want+=("${bench[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "Installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
