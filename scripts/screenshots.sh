#!/usr/bin/env bash
# Takes the README's pictures: runs the demo's E2E test (tests/e2e/demo.rs, the accounts of
# `scripts/run.sh --demo`) on a test network of its own, so the handles are plain alice.test
# and bob.pds2.test, then copies the main screens in both themes from
# target/e2e-artifacts/demo/ to docs/screenshots/, scaled from 1280×800 to 960×600 and
# reduced to 256 colours (about 40 KB each). Needs what scripts/test.sh needs
# (scripts/deps.sh test). Look at every picture before committing them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/testenv.sh

node22=$(tests/network/setup.sh | tail -n1)
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/stratos-shots.XXXXXX")
pids=()
trap stop_test_env EXIT
trap 'exit 130' INT TERM
start_test_env "$node22"

cargo build -p stratos-cli
STRATOS_DEMO_SUFFIX='' cargo test -p stratos-app --test e2e -- --exact demo::demo_opens_signed_in_to_both

from=target/e2e-artifacts/demo
to=docs/screenshots
mkdir -p "$to"
for theme in light dark; do
  for screen in overview devices identity backups migrate; do
    shot=$(ls "$from"/*-"$theme-$screen".png)
    convert "$shot" -resize 960x600 -strip -colors 256 "PNG8:$to/$theme-$screen.png"
  done
done
du -ch "$to"/*.png | tail -n1 >&2
