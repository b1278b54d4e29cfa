#!/usr/bin/env bash
# Install the web assets of the browser app (partnersim-app) so that it works offline.
#
# Solara serves its JavaScript and CSS from a cache folder, $PREFIX/share/solara/cdn, and fetches
# whatever is missing from a public CDN, which a classroom may not reach: without these files the
# page stays blank. This script takes the packages from the npm registry (npm pack) and unpacks
# each into the folder named after the URL Solara asks for. It is idempotent and, when everything
# is in place, returns at once without using the network.
#
#   scripts/install-web-assets.sh             # into $VIRTUAL_ENV, or the project's .venv
#   scripts/install-web-assets.sh PREFIX      # into another Python environment
#
# The versions are the ones solara 1.64 asks for with the Vue 2 widgets (ipyvuetify<3, ipyvue<3);
# tests/test_app.py checks them against the installed solara.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${1:-${VIRTUAL_ENV:-$ROOT/.venv}}"
CDN="$PREFIX/share/solara/cdn"

# folder (the path in Solara's URL)         npm package and exact version
ASSETS="
@widgetti/solara-vuetify-app@10.1.1          @widgetti/solara-vuetify-app@10.1.1
@widgetti/vue-grid-layout@2.3.13-alpha.2     @widgetti/vue-grid-layout@2.3.13-alpha.2
requirejs@2.3.6                              requirejs@2.3.6
font-awesome@4.5.0                           font-awesome@4.5.0
vega@5                                       vega@5.33.1
vega-lite@5                                  vega-lite@5.23.0
vega-embed@6                                 vega-embed@6.29.0
"

say() { printf 'install-web-assets: %s\n' "$*" >&2; }

# The version recorded in an unpacked package, or nothing.
installed_version() {
    grep -m 1 -o '"version"[[:space:]]*:[[:space:]]*"[^"]*"' "$1/package.json" 2>/dev/null | sed 's/.*"\([^"]*\)"$/\1/' || true
}

missing=()
while read -r folder spec; do
    [ -n "$folder" ] || continue
    if [ "$(installed_version "$CDN/$folder")" != "${spec##*@}" ]; then
        missing+=("$folder $spec")
    fi
done <<<"$ASSETS"

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    say "npm is needed once to fetch the app's web assets (on Debian: apt-get install npm)"
    exit 1
fi

mkdir -p "$CDN"
work="$(mktemp -d "$CDN/.install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for item in "${missing[@]}"; do
    read -r folder spec <<<"$item"
    say "$spec -> $CDN/$folder"
    tarball="$(cd "$work" && npm pack "$spec" --silent --loglevel=error | tail -n 1)"
    unpacked="$work/${tarball%.tgz}"
    mkdir -p "$unpacked"
    tar -xzf "$work/$tarball" -C "$unpacked" --strip-components=1 --no-same-owner
    # Swap the folder in whole, so a half-unpacked package is never served.
    mkdir -p "$(dirname "$CDN/$folder")"
    rm -rf "$CDN/$folder"
    mv "$unpacked" "$CDN/$folder"
done
say "web assets ready in $CDN"
