#!/usr/bin/env bash
# The demo of `scripts/run.sh --demo`: the local test network with two sample accounts, and the
# app signed in to both, apart from the person's own Stratos.
#
#   scripts/lib/demo.sh run BIN_DIR [APP_ARGS...]   the whole demo (what run.sh --demo does)
#   scripts/lib/demo.sh seed                        only the accounts, on a running network
#
# `run` starts the network, a private D-Bus session and an unlocked gnome-keyring of its own
# (scripts/lib/testenv.sh), so the person's keychain, their accounts and a running Stratos (one
# instance per session bus) are never touched; the app gets its own data folder too. With no
# tray on that private bus, closing the window quits the app; then everything stops and the
# demo's folder (its data and keyring) is removed.
#
# `seed` makes the accounts with Stratos's own CLI. It needs STRATOS_CLI (the `stratos`
# binary), STRATOS_TESTNET_INFO (the network), STRATOS_DATA_DIR and STRATOS_KEYRING_SERVICE (the
# demo's Stratos), and a Secret Service on DBUS_SESSION_BUS_ADDRESS; STRATOS_DEMO_SUFFIX makes
# the handles unique on a shared network (the E2E test). What it makes:
#   both                     a backup snapshot (in the demo's data folder)
#   alice<suffix>.test       records and blobs, a recovery key (first rotation key, in the
#                            keychain), an app password, the Devices tab signed in, a second
#                            device and an app (another Stratos signed in through the browser)
#   bob<suffix>.pds2.test    records and blobs, an app password, the Devices tab signed in
set -euo pipefail

demo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# A throwaway password on a throwaway network, shown so the person can try what asks for it.
DEMO_PASSWORD=demo-stratos-Password-2026

# The Node 22 that tests/network/setup.sh installed.
demo_node() {
  local arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "demo: unsupported CPU $(uname -m)" >&2; return 1 ;;
  esac
  echo "$demo_root/tests/.node/node_modules/node-linux-$arch/bin/node"
}

demo_seed() {
  local cli=${STRATOS_CLI:?the stratos binary} sfx=${STRATOS_DEMO_SUFFIX:-}
  local info=${STRATOS_TESTNET_INFO:?the network}
  local node
  node=$(demo_node)
  q() { "$node" -p "const i = require(process.argv[1]); $1" "$info"; }
  STRATOS_PLC_URL=$(q i.plc)
  STRATOS_HANDLE_RESOLVER=$(q i.resolver)
  export STRATOS_PLC_URL STRATOS_HANDLE_RESOLVER
  local pds1 pds2 control
  pds1=$(q 'i.pds[0].url')
  pds2=$(q 'i.pds[1].url')
  control=$(q i.control)
  local alice=alice$sfx.test bob=bob$sfx.pds2.test
  local -a pw=(--password "$DEMO_PASSWORD")

  echo "demo: creating $bob and $alice" >&2
  # Alice last: the account made last is the one the app opens on.
  "$cli" account create --pds-host "$pds2" --handle "$bob" --email "bob$sfx@example.com" \
    "${pw[@]}" >&2
  "$cli" account create --pds-host "$pds1" --handle "$alice" --email "alice$sfx@example.com" \
    "${pw[@]}" --recovery-key k256 >&2
  "$node" "$demo_root/tests/network/demo-records.mjs" "$pds1" "$alice" "$DEMO_PASSWORD" Alice "$control" >&2
  "$node" "$demo_root/tests/network/demo-records.mjs" "$pds2" "$bob" "$DEMO_PASSWORD" Bob "$control" >&2
  "$cli" account app-password create "Phone app" "$alice" >/dev/null
  "$cli" account app-password create "Feed reader" "$bob" >/dev/null
  "$cli" account devices "$alice" "${pw[@]}" >/dev/null
  "$cli" account devices "$bob" "${pw[@]}" >/dev/null

  # A second device with an app: another Stratos (its own folder and keychain service) signed
  # in to alice through the browser, which the network's browser robot drives.
  echo "demo: signing alice in on a second device" >&2
  (
    export STRATOS_DATA_DIR="$STRATOS_DATA_DIR.elsewhere"
    export STRATOS_KEYRING_SERVICE="$STRATOS_KEYRING_SERVICE-elsewhere"
    BROWSER="$demo_root/tests/network/oauth-browser.sh" \
      STRATOS_TEST_OAUTH_USERNAME="$alice" STRATOS_TEST_OAUTH_PASSWORD="$DEMO_PASSWORD" \
      STRATOS_TEST_OAUTH_ACTION=approve \
      "$cli" account login --oauth "$alice" </dev/null >&2
    "$cli" account devices "$alice" "${pw[@]}" >/dev/null
  )
  # A first snapshot of each, in the demo's data folder, for the Backups tab.
  "$cli" backup run --all >/dev/null
  "$cli" account list >&2
  echo "demo: accounts $alice and $bob, password $DEMO_PASSWORD" >&2
}

# demo_run BIN_DIR [APP_ARGS...]: network, private bus and keyring, seed, app; all stopped and
# removed when the app exits (or the script is interrupted).
demo_run() {
  local bin=$1
  shift
  source "$demo_root/scripts/lib/testenv.sh"
  cd "$demo_root"
  local node22 real_home=$HOME real_runtime=${XDG_RUNTIME_DIR:-}
  node22=$(tests/network/setup.sh | tail -n1)
  run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-demo.XXXXXX")
  pids=()
  trap stop_test_env EXIT
  trap 'exit 130' INT TERM
  start_test_env "$node22"
  # The keyring daemon keeps its files in the demo's folder; the app keeps the person's HOME
  # (desktop theme, fonts) and display.
  export HOME=$real_home
  if [[ -n "$real_runtime" ]]; then export XDG_RUNTIME_DIR=$real_runtime; else unset XDG_RUNTIME_DIR; fi
  export STRATOS_CLI="$bin/stratos" STRATOS_DATA_DIR="$run_dir/data" STRATOS_KEYRING_SERVICE=stratos-demo
  demo_seed
  echo "demo: starting Stratos; close its window to end the demo" >&2
  "$bin/stratos-app" "$@"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    seed) demo_seed ;;
    run) shift; demo_run "$@" ;;
    *) echo "usage: scripts/lib/demo.sh run BIN_DIR [APP_ARGS...] | seed" >&2; exit 2 ;;
  esac
fi
