#!/usr/bin/env bash
# Runs every Stratos test against a real local PDS network and a real Secret Service.
#
# 1. installs missing packages (apt) and the test network (Node 22 + @atproto/pds, locally);
# 2. starts ONE network and ONE private session bus with an unlocked gnome-keyring for the run;
# 3. checks formatting and lints, then runs all unit, integration, CLI and WebDriver E2E tests.
# Everything it started stops when it exits, on success or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/deps.sh test
node22=$(tests/network/setup.sh | tail -n1)

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-test.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The network: its first stdout line (JSON) means it is ready.
info="$run_dir/testnet.json"
exec {net_fd}< <(exec "$node22" tests/network/network.mjs --info "$info" --ignore-stdin)
pids+=($!)
read -r -t 180 -u "$net_fd" ready || { echo "the test network did not start" >&2; exit 1; }
export STRATOS_TESTNET_INFO="$info"
echo "test network: $ready" >&2

# A private session bus with a real, unlocked Secret Service for the core and CLI tests.
mkdir -m 700 "$run_dir/bus" "$run_dir/home"
exec {bus_fd}< <(exec dbus-daemon --session --nofork --print-address=1 --address="unix:dir=$run_dir/bus")
pids+=($!)
read -r -t 30 -u "$bus_fd" DBUS_SESSION_BUS_ADDRESS || { echo "dbus-daemon did not start" >&2; exit 1; }
export DBUS_SESSION_BUS_ADDRESS
# Tests get a private HOME (the keyring lives there); cargo and rustup stay where they were.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME="$run_dir/home" XDG_RUNTIME_DIR="$run_dir/bus"
gnome-keyring-daemon --foreground --unlock --components=secrets <<<"stratos-test" >/dev/null 2>&1 &
pids+=($!)
gdbus wait --session --timeout 30 org.freedesktop.secrets

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast "$@"
