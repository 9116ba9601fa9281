#!/usr/bin/env bash
# Installs what the local test network needs, idempotently:
#   1. Node 22 from the npm registry package node-linux-<arch> into tests/.node/
#      (the machines have Node 20; @atproto/pds needs >= 22);
#   2. `npm ci` in tests/network, compiling better-sqlite3 against Node 22's headers.
# Skips each step when it is already up to date. Progress goes to stderr; the LAST
# line of stdout is the absolute path of the Node 22 binary, e.g.
#   NODE22=$(tests/network/setup.sh | tail -n1)
#   "$NODE22" tests/network/network.mjs --info "$INFO"
#
# Needs: bash, npm (>= 7, any Node to run it), sha256sum, and for the better-sqlite3
# build the Debian packages: build-essential python3
# (both are usually present; nothing else is downloaded outside the npm registry).
set -euo pipefail

NODE_VERSION=22.23.3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(dirname "$here")
node_prefix="$tests/.node"
tmp="$tests/.tmp"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "setup.sh: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
node_pkg="$node_prefix/node_modules/node-linux-$arch"
node_bin="$node_pkg/bin/node"

mkdir -p "$tmp"
export TMPDIR="$tmp"

# 1. Node 22.
if [[ -x "$node_bin" && "$("$node_bin" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  echo "setup.sh: node v$NODE_VERSION already in $node_pkg" >&2
else
  echo "setup.sh: installing node-linux-$arch@$NODE_VERSION into $node_prefix" >&2
  rm -rf "$node_pkg"
  mkdir -p "$node_prefix"
  npm install --prefix "$node_prefix" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-$arch@$NODE_VERSION" >&2
  if [[ "$("$node_bin" --version)" != "v$NODE_VERSION" ]]; then
    echo "setup.sh: $node_bin is not v$NODE_VERSION" >&2
    exit 1
  fi
fi

# 2. node_modules for the network, keyed by the lockfile and the Node version.
stamp_file="$here/node_modules/.stratos-setup-stamp"
stamp="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1) node-v$NODE_VERSION-$arch"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
  echo "setup.sh: tests/network/node_modules is up to date" >&2
else
  echo "setup.sh: npm ci in tests/network (compiles better-sqlite3, about 1-2 min)" >&2
  start=$SECONDS
  (
    cd "$here"
    # Node 22 first on PATH, so npm, node-gyp and install scripts all run on it;
    # nodedir makes node-gyp use its headers (not /usr's Node 20, not a download).
    export PATH="$node_pkg/bin:$PATH"
    export npm_config_nodedir="$node_pkg"
    npm ci --no-audit --no-fund >&2
  )
  # Fail here, not at test time, if the native module does not load under Node 22.
  (cd "$here" && "$node_bin" -e "new (require('better-sqlite3'))(':memory:').close()") >&2
  echo "$stamp" >"$stamp_file"
  echo "setup.sh: npm ci took $((SECONDS - start)) s" >&2
fi

echo "$node_bin"
