# Sourced by scripts/test.sh and scripts/dev-env.sh: starts ONE local PDS network and ONE
# private session bus with an unlocked gnome-keyring, and exports what tests need to
# find them (STRATOS_TESTNET_INFO, DBUS_SESSION_BUS_ADDRESS, a private HOME).
# The caller owns `run_dir` (an empty directory) and the `pids` array, and stops them.

# start_test_env NODE22 [NETWORK_ARGS...]  (extra arguments go to network.mjs, e.g. --latency-ms 40)
start_test_env() {
  local node22=$1
  shift
  # The network: its first stdout line (JSON) means it is ready.
  local info="$run_dir/testnet.json" ready
  exec {net_fd}< <(exec "$node22" tests/network/network.mjs --info "$info" --ignore-stdin "$@")
  pids+=($!)
  read -r -t 180 -u "$net_fd" ready || { echo "the test network did not start" >&2; return 1; }
  export STRATOS_TESTNET_INFO="$info"
  echo "test network: $ready" >&2

  # A private session bus with a real, unlocked Secret Service.
  mkdir -m 700 "$run_dir/bus" "$run_dir/home"
  exec {bus_fd}< <(exec dbus-daemon --session --nofork --print-address=1 --address="unix:dir=$run_dir/bus")
  pids+=($!)
  read -r -t 30 -u "$bus_fd" DBUS_SESSION_BUS_ADDRESS || { echo "dbus-daemon did not start" >&2; return 1; }
  export DBUS_SESSION_BUS_ADDRESS
  # Tests get a private HOME (the keyring lives there); cargo and rustup stay where they were.
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export HOME="$run_dir/home" XDG_RUNTIME_DIR="$run_dir/bus"
  gnome-keyring-daemon --foreground --unlock --components=secrets <<<"stratos-test" >/dev/null 2>&1 &
  pids+=($!)
  gdbus wait --session --timeout 30 org.freedesktop.secrets
}

# stop_test_env: stops what start_test_env started, then removes run_dir.
stop_test_env() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$run_dir"
}
