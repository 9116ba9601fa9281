#!/usr/bin/env bash
# Installs, or checks, the Debian/Ubuntu packages Stratos needs.
#
#   scripts/deps.sh [build|test|bench]          install what is missing
#   scripts/deps.sh --check [build|test|bench]  install nothing; name every missing piece
#
# "build" compiles and runs the app; "test" adds what scripts/test.sh uses (the packaging step,
# the headless desktop, the keychain daemon, WebDriver, the OAuth browser robot, the package
# test); "bench" adds what the benchmark scripts use. Each group includes the ones before it.
#
# One table says, for each package, what it brings that Stratos's steps use: a pkg-config module
# (pc:), a shared library the app loads at run time (lib:), or a program (bin:). Installing reads
# the package column; --check reads the rest, so a package that is installed but no longer brings
# what is needed (or a renamed one) is caught in seconds, not minutes later inside another tool.
set -euo pipefail

# group  package                        what Stratos uses from it
table='
build  build-essential                  bin:cc bin:c++ bin:make
build  pkg-config                       bin:pkg-config
build  libgtk-3-dev                     pc:gtk+-3.0 pc:gdk-3.0
build  libwebkit2gtk-4.1-dev            pc:webkit2gtk-4.1 pc:javascriptcoregtk-4.1 pc:libsoup-3.0
build  libdbus-1-dev                    pc:dbus-1
build  libayatana-appindicator3-dev     pc:ayatana-appindicator3-0.1 lib:libayatana-appindicator3.so.1
build  gnome-keyring                    bin:gnome-keyring-daemon
test   python3                          bin:python3
test   xvfb                             bin:Xvfb
test   xauth                            bin:xauth
test   dbus                             bin:dbus-daemon
test   dbus-x11                         bin:dbus-launch
test   libglib2.0-bin                   bin:gdbus
test   webkit2gtk-driver                bin:WebKitWebDriver
test   imagemagick                      bin:convert
test   chromium                         bin:chromium
test   rpm                              bin:rpm2archive
test   desktop-file-utils               bin:desktop-file-validate
test   dpkg                             bin:dpkg-deb
bench  time                             bin:/usr/bin/time
bench  curl                             bin:curl
bench  jq                               bin:jq
'

check=false
if [[ "${1:-}" == "--check" ]]; then
  check=true
  shift
fi
group=${1:-build}
case "$group" in
  build) groups="build" ;;
  test) groups="build test" ;;
  bench) groups="build test bench" ;;
  *) echo "usage: scripts/deps.sh [--check] [build|test|bench]" >&2; exit 2 ;;
esac

# rows: the table's lines for the chosen groups, as "package item item ...".
rows=()
while read -r g pkg items; do
  [[ -n "$g" && " $groups " == *" $g "* ]] && rows+=("$pkg $items")
done <<<"$table"

# has ITEM: whether one pc:/lib:/bin: item is present on this machine.
has() {
  local kind=${1%%:*} name=${1#*:}
  case "$kind" in
    pc) pkg-config --exists "$name" 2>/dev/null ;;
    # Not `grep -q`: it stops reading at the first match, ldconfig then dies of SIGPIPE, and
    # with pipefail the present library reads as missing (it happened, once in a while).
    lib) /sbin/ldconfig -p 2>/dev/null | grep -F "$name " >/dev/null ;;
    bin) [[ "$name" == /* ]] && [[ -x "$name" ]] || command -v "$name" >/dev/null 2>&1 ;;
  esac
}

if $check; then
  missing=0
  for row in "${rows[@]}"; do
    read -r pkg items <<<"$row"
    for item in $items; do
      if ! has "$item"; then
        case "${item%%:*}" in
          pc) what="pkg-config module ${item#pc:}" ;;
          lib) what="shared library ${item#lib:}" ;;
          bin) what="program ${item#bin:}" ;;
        esac
        echo "deps.sh: missing $what (apt-get install $pkg)" >&2
        missing=$((missing + 1))
      fi
    done
  done
  if ((missing > 0)); then
    echo "deps.sh: $missing missing for '$group'; scripts/deps.sh $group installs them" >&2
    exit 1
  fi
  echo "deps.sh: everything '$group' needs is present (${#rows[@]} packages checked)" >&2
  exit 0
fi

missing=()
for row in "${rows[@]}"; do
  pkg=${row%% *}
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "Installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
