#!/usr/bin/env bash
# Builds and runs the Stratos desktop app, installing what it needs first.
#   scripts/run.sh --demo   the app on a local test network with two sample accounts, apart from
#                           your own (scripts/lib/demo.sh); closing the window ends it
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--demo" ]]; then
  shift
  # The demo runs the test network and its browser robot: the test group's packages.
  scripts/deps.sh test
  scripts/deps.sh --check test
  cargo build --release -p stratos-app -p stratos-cli
  exec scripts/lib/demo.sh run "${CARGO_TARGET_DIR:-$PWD/target}/release" "$@"
fi
scripts/deps.sh build
scripts/deps.sh --check build
exec cargo run -p stratos-app --release "$@"
