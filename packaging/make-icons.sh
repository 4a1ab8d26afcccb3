#!/usr/bin/env bash
# Renders the app icon (assets/proctor.svg) to PNGs in the hicolor layout:
# packaging/icons/hicolor/NxN/apps/io.github.proctor.Proctor.png for the
# usual sizes. Run it after changing the SVG and commit the PNGs (the .deb
# and the window icon use them; building needs no SVG renderer).
# Needs rsvg-convert (librsvg2-bin) or, failing that, ImageMagick's convert.
set -euo pipefail
cd "$(dirname "$0")/.."
id=io.github.proctor.Proctor
svg=assets/proctor.svg
for n in 16 32 48 64 128 256 512; do
    dir=packaging/icons/hicolor/${n}x${n}/apps
    mkdir -p "$dir"
    out=$dir/$id.png
    if command -v rsvg-convert >/dev/null; then
        rsvg-convert --width "$n" --height "$n" --output "$out" "$svg"
    else
        convert -background none -density 384 "$svg" -resize "${n}x${n}" "$out"
    fi
    echo "$out"
done
