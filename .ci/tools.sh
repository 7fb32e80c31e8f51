#!/usr/bin/env bash
# Installs the release and deployment tools at pinned versions from the Go module proxy into
# a cache that survives between CI runs, and skips what is already there. Sourced by .ci/run;
# also usable by hand: `bash .ci/tools.sh` then PATH=$HOME/.cache/passkeyd-ci/bin:$PATH.
set -euo pipefail

PASSKEYD_CI_CACHE=${PASSKEYD_CI_CACHE:-$HOME/.cache/passkeyd-ci}
export PASSKEYD_CI_BIN=$PASSKEYD_CI_CACHE/bin
mkdir -p "$PASSKEYD_CI_BIN"

# tool name, module path@version: a stamp file per version so a bump reinstalls.
go_tool() { # name package@version
  local name=$1 pkg=$2 stamp="$PASSKEYD_CI_BIN/.$1.version"
  if [ -x "$PASSKEYD_CI_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ]; then
    return 0
  fi
  echo "ci: installing $pkg"
  GOBIN=$PASSKEYD_CI_BIN GOFLAGS=-mod=mod go install "$pkg"
  echo "$pkg" >"$stamp"
}

go_tool helm helm.sh/helm/v3/cmd/helm@v3.22.0
go_tool cyclonedx-gomod github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
go_tool goreleaser github.com/goreleaser/goreleaser/v2@v2.15.1
