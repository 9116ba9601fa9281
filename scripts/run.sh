#!/usr/bin/env bash
# Builds and runs the Stratos desktop app, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/deps.sh --check build
exec cargo run -p stratos-app --release "$@"
