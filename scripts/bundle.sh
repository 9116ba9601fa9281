#!/usr/bin/env bash
# Makes the Stratos installers with the Tauri CLI.
#
#   scripts/bundle.sh [--bundles LIST]   release build, then the bundles (default: every bundle
#                                         this OS can make: deb,rpm,appimage / msi,nsis / app,dmg)
#   scripts/bundle.sh --debug [--bundles LIST]
#                                         packages the debug binary that is ALREADY built (by
#                                         `cargo build -p stratos-app` or `cargo test`), without
#                                         rebuilding it; what scripts/test.sh does for the package test
#
# Bundles land in ${CARGO_TARGET_DIR:-target}/{release,debug}/bundle/<kind>/. On Linux the .deb
# and .rpm also hold the `stratos` command line (the debug one must be built too, by
# `cargo build -p stratos-cli` or `cargo test`), its shell completions and man pages.
#
# The deep-link scheme the bundles declare (Linux .desktop MimeType, Windows installers' registry
# keys, macOS CFBundleURLTypes) is $STRATOS_DEEP_LINK_SCHEME, else the scheme of
# $STRATOS_DEFAULT_OAUTH_CLIENT_ID (its host reversed; the release build compiles that client in),
# else none.
#
# Signed updates (docs/updates.md): with STRATOS_UPDATE_FEED and STRATOS_UPDATE_PUBKEY the app is
# built to check that feed, and with TAURI_SIGNING_PRIVATE_KEY (and _PASSWORD) the release bundles
# come with signed updater artifacts (<bundle>.sig, and the macOS .app.tar.gz).
#
# The CLI is the npm package @tauri-apps/cli (a prebuilt native binary, seconds to install),
# pinned with a lockfile in packaging/cli/ and installed there; `cargo install tauri-cli` would
# compile for about 8 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
bundles=()
while (($#)); do
  case "$1" in
    --debug) mode=debug ;;
    --bundles) bundles=(--bundles "$2"); shift ;;
    --bundles=*) bundles=(--bundles "${1#--bundles=}") ;;
    *) echo "bundle.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
  shift
done

# 1. The CLI, from the lockfile, only when the lockfile changed.
cli_dir=packaging/cli
stamp_file=$cli_dir/node_modules/.stratos-stamp
stamp=$(sha256sum "$cli_dir/package-lock.json" 2>/dev/null || shasum -a 256 "$cli_dir/package-lock.json")
stamp=${stamp%% *}
if [[ ! -f "$stamp_file" || "$(cat "$stamp_file")" != "$stamp" ]]; then
  echo "bundle.sh: installing the Tauri CLI into $cli_dir" >&2
  (cd "$cli_dir" && npm ci --no-audit --no-fund >&2)
  echo "$stamp" >"$stamp_file"
fi
tauri=("$PWD/$cli_dir/node_modules/.bin/tauri")

# 2. On Linux, the `stratos` command line goes into the .deb and .rpm beside the app, with its
#    bash/zsh/fish completions and a man page per verb, which the binary writes from its own clap
#    definitions (a hidden `generate-package-files` verb), so they always match the verbs. The
#    config script below maps them into the packages (bundle.linux.{deb,rpm}.files).
if [[ $(uname -s) == Linux ]]; then
  target_dir=${CARGO_TARGET_DIR:-target}
  [[ $target_dir == /* ]] || target_dir=$PWD/$target_dir
  if [[ $mode == release ]]; then
    cargo build --release --locked -p stratos-cli
  fi
  export STRATOS_CLI_BINARY=$target_dir/$mode/stratos
  export STRATOS_CLI_FILES=$target_dir/$mode/cli-package-files
  if [[ ! -x $STRATOS_CLI_BINARY ]]; then
    echo "bundle.sh: no $STRATOS_CLI_BINARY: build it first (cargo build -p stratos-cli)" >&2
    exit 1
  fi
  rm -rf "$STRATOS_CLI_FILES"
  "$STRATOS_CLI_BINARY" generate-package-files "$STRATOS_CLI_FILES" >/dev/null
  gzip -n -9 "$STRATOS_CLI_FILES"/man/*.1
fi

# 3. The config the CLI reads (src-tauri/tauri.conf.json, generated, with the scheme; see there).
node packaging/tauri-cli-config.mjs

# 4. The bundles. The CLI runs in src-tauri, beside the app's Cargo.toml.
cd src-tauri
start=$SECONDS
if [[ $mode == debug ]]; then
  # Not patching keeps the packaged binary byte for byte the one the tests built (the patch only
  # records the bundle kind for the updater, and these debug packages are never published).
  "${tauri[@]}" bundle --debug --ci --no-sign --no-binary-patching ${bundles[@]+"${bundles[@]}"}
else
  "${tauri[@]}" build --ci ${bundles[@]+"${bundles[@]}"}
fi
echo "bundle.sh: $mode bundles made in $((SECONDS - start)) s" >&2
