#!/usr/bin/env bash
# Start-up and memory benchmark: Stratos against a minimal Tauri v2 app (bench/minimal-app) on the
# same tauri version and WebKitGTK. Not a test: it prints figures, see docs/benchmarks.md.
#
#   scripts/bench-startup.sh              # 10 launches of each, 30 s idle before the memory reading
#   BENCH_RUNS=3 BENCH_IDLE=5 scripts/bench-startup.sh   # a quick look
#
# It builds both apps in release mode (into $CARGO_TARGET_DIR, default target/), starts the test
# network and a private keyring as scripts/test.sh does, signs one account in with the CLI, then
# launches each app under its own Xvfb and times exec → first paint and reads the idle memory
# (bench/startup.py). Installs what it needs with scripts/deps.sh bench.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/testenv.sh

runs=${BENCH_RUNS:-10}
idle=${BENCH_IDLE:-30}
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
export CARGO_TARGET_DIR=$target

scripts/deps.sh bench
scripts/deps.sh --check bench

# The baseline must use the tauri (so wry, webkit2gtk) of the workspace. When the workspace moved
# on, start the fixture's lock from the workspace's again; cargo drops what the fixture does not use.
lock_version() { awk -v n="$2" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$1"; }
fixture=bench/minimal-app
for crate in tauri wry webkit2gtk; do
  if [[ $(lock_version Cargo.lock "$crate") != $(lock_version "$fixture/Cargo.lock" "$crate") ]]; then
    echo "bench: $fixture/Cargo.lock had another $crate than Cargo.lock; re-pinned it (commit the change)" >&2
    cp Cargo.lock "$fixture/Cargo.lock"
    break
  fi
done

echo "bench: building Stratos and the minimal app (release) into $target" >&2
cargo build --release -p stratos-app -p stratos-cli
cargo build --release --manifest-path "$fixture/Cargo.toml"
for crate in tauri wry webkit2gtk; do
  [[ $(lock_version Cargo.lock "$crate") == $(lock_version "$fixture/Cargo.lock" "$crate") ]] ||
    { echo "bench: the minimal app does not build with the workspace's $crate" >&2; exit 1; }
done

webkit=$(pkg-config --modversion webkit2gtk-4.1 2>/dev/null || echo "?")
label="tauri $(lock_version Cargo.lock tauri), WebKitGTK $webkit, $(nproc) cores"

node22=$(tests/network/setup.sh | tail -n1)
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-bench.XXXXXX")
pids=()
trap stop_test_env EXIT
trap 'exit 130' INT TERM
# The bus and its activated services (portals, a11y) are chatty on stderr: keep that in a log.
start_test_env "$node22" 2>"$run_dir/env.log" || { cat "$run_dir/env.log" >&2; exit 1; }
mkdir "$run_dir/bench"

python3 bench/startup.py \
  --stratos "$target/release/stratos-app" \
  --minimal "$target/release/stratos-bench-minimal" \
  --cli "$target/release/stratos" \
  --workdir "$run_dir/bench" --runs "$runs" --idle "$idle" --label "$label"
