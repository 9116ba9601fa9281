#!/usr/bin/env bash
# For development: starts the same network and keyring as scripts/test.sh and keeps them
# running until interrupted, so single tests can be run by hand:
#   scripts/dev-env.sh /tmp/stratos-dev &      # prints "ready" when up
#   source /tmp/stratos-dev/env.sh && cargo test -p stratos-core --test core migrate
# Stop it with kill (or Ctrl-C); it removes the directory it was given.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/testenv.sh

run_dir=${1:?usage: scripts/dev-env.sh DIR}
node22=$(tests/network/setup.sh | tail -n1)
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
pids=()
trap stop_test_env EXIT
trap 'exit 130' INT TERM
start_test_env "$node22"
cat >"$run_dir/env.sh" <<ENV
export STRATOS_TESTNET_INFO='$STRATOS_TESTNET_INFO'
export DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS'
export CARGO_HOME='$CARGO_HOME' RUSTUP_HOME='$RUSTUP_HOME'
export HOME='$HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR'
ENV
echo "ready: source $run_dir/env.sh" >&2
wait
