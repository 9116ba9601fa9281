#!/usr/bin/env bash
# Runs every Stratos test against a real local PDS network and a real Secret Service.
#
# 1. installs missing packages (apt) and the test network (Node 22 + @atproto/pds, locally);
# 2. starts ONE network and ONE private session bus with an unlocked gnome-keyring for the run;
# 3. checks formatting and lints, then runs all unit, integration, CLI and WebDriver E2E tests.
# Everything it started stops when it exits, on success or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/testenv.sh

scripts/deps.sh test
node22=$(tests/network/setup.sh | tail -n1)

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-test.XXXXXX")
pids=()
trap stop_test_env EXIT
trap 'exit 130' INT TERM
start_test_env "$node22"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast "$@"
