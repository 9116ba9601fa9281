#!/bin/sh
# Regenerates the raster icons from stratos.svg and the tray sources.
# Needs rsvg-convert (librsvg2-bin), ImageMagick and, for icon.icns, png2icns (icnsutils).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

png() { # png <svg> <size> <out>
  rsvg-convert -w "$2" -h "$2" "$1" -o "$tmp/raw.png"
  convert "$tmp/raw.png" PNG32:"$3"
}

png stratos.svg 32 32x32.png
png stratos.svg 128 128x128.png
png stratos.svg 256 128x128@2x.png
png stratos.svg 512 icon.png

for s in 16 24 32 48 64 128 256; do png stratos.svg "$s" "$tmp/ico-$s.png"; done
convert "$tmp"/ico-16.png "$tmp"/ico-24.png "$tmp"/ico-32.png "$tmp"/ico-48.png \
        "$tmp"/ico-64.png "$tmp"/ico-128.png "$tmp"/ico-256.png icon.ico

if command -v png2icns >/dev/null 2>&1; then
  for s in 16 32 48 128 256 512; do png stratos.svg "$s" "$tmp/icns-$s.png"; done
  png2icns icon.icns "$tmp"/icns-16.png "$tmp"/icns-32.png "$tmp"/icns-48.png \
           "$tmp"/icns-128.png "$tmp"/icns-256.png "$tmp"/icns-512.png >/dev/null
fi

for v in tray tray-warning tray-error; do png "$v.svg" 64 "$v.png"; done
cp stratos.svg ../ui/logo.svg
# The sidebar's 28 px logo as a bitmap (2x): an SVG image costs WebKit a document of its own to
# draw, on the first screen's path.
png stratos.svg 56 ../ui/brand.png
