#!/usr/bin/env bash
# Runs every Stratos test against a real local PDS network and a real Secret Service.
#
# 1. installs missing packages (apt), checks that each brings what the steps use, and the test network (Node 22 + @atproto/pds, locally);
# 2. checks formatting and lints, builds every test, and packages the app they built (.deb, .rpm);
# 3. starts ONE network and ONE private session bus with an unlocked gnome-keyring for the run;
# 4. runs all unit, integration, CLI, package and WebDriver E2E tests.
# Everything it started stops when it exits, on success or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/testenv.sh

scripts/deps.sh test
scripts/deps.sh --check test
node22=$(tests/network/setup.sh | tail -n1)

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# The package test (tests/package) checks the .deb and .rpm of the very binary the other tests
# run: build every test first, then package that build (no rebuild, about 40 s), so the
# `cargo test` below compiles nothing. The packages register the deep-link scheme of the made-up
# client in docs/client-metadata.example.json (https://stratos.example.org/…, reversed).
export STRATOS_DEEP_LINK_SCHEME=org.example.stratos
cargo test --workspace --locked --no-run
scripts/bundle.sh --debug --bundles deb,rpm

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-test.XXXXXX")
pids=()
trap stop_test_env EXIT
trap 'exit 130' INT TERM
start_test_env "$node22"

cargo test --workspace --locked --no-fail-fast "$@"
