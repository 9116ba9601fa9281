#!/bin/sh
# $BROWSER for OAuth tests: runs oauth-browser.mjs (headless Chromium signing in on the local
# PDS's authorize page) with the Node 22 that tests/network/setup.sh installs.
#   BROWSER=tests/network/oauth-browser.sh  ...  (the app calls: $BROWSER <authorize-url>)
# See oauth-browser.mjs for the STRATOS_TEST_OAUTH_* variables.
here=$(cd "$(dirname "$0")" && pwd) || exit 1
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "oauth-browser.sh: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
node="$here/../.node/node_modules/node-linux-$arch/bin/node"
if [ ! -x "$node" ] || [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "oauth-browser.sh: Node 22 or playwright-core missing; run tests/network/setup.sh first" >&2
  exit 1
fi
exec "$node" "$here/oauth-browser.mjs" "$@"
