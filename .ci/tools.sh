#!/usr/bin/env bash
# Installs the release and deployment tools at pinned versions from the Go module proxy into
# a cache that survives between CI runs, and skips what is already there; also generates
# the Kubernetes JSON Schemas kubeconform checks the Helm chart with. Sourced by .ci/run;
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
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0

# kubeconform's JSON Schemas (deploy/kubeconform_test.go), made offline from authoritative
# inputs that the Go module proxy serves: the OpenAPI document of the Kubernetes release the
# chart targets and the Prometheus Operator's ServiceMonitor CRD, converted by
# deploy/internal/k8sschema. Rebuilt when a pin or the converter changes.
K8S_MODULE=k8s.io/kubernetes@v1.37.2
PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0
export PASSKEYD_K8S_SCHEMAS=$PASSKEYD_CI_CACHE/k8s-schemas

module_dir() { # module@version: its directory in the module cache, downloaded if need be
  local tmp info dir
  tmp=$(mktemp -d) # outside the project, so its go.mod and go.sum stay as they are
  info=$(cd "$tmp" && go mod download -json "$1") || true
  rmdir "$tmp"
  dir=$(echo "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ ! -d "$dir" ]; then echo "ci: go mod download $1 failed: $info" >&2; return 1; fi
  echo "$dir"
}

k8s_schemas() {
  local root stamp=$PASSKEYD_CI_CACHE/.k8s-schemas.version want k8s po
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  want="$K8S_MODULE $PROMETHEUS_OPERATOR_MODULE $(cat "$root"/deploy/internal/k8sschema/*.go "$root"/deploy/internal/k8sschema/cmd/k8sschema/*.go | sha256sum | cut -c1-16)"
  if [ -f "$PASSKEYD_K8S_SCHEMAS/sources.txt" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "ci: generating Kubernetes JSON Schemas ($K8S_MODULE, $PROMETHEUS_OPERATOR_MODULE)"
  k8s=$(module_dir "$K8S_MODULE")
  po=$(module_dir "$PROMETHEUS_OPERATOR_MODULE")
  (cd "$root" && go run ./deploy/internal/k8sschema/cmd/k8sschema \
    -openapi "$k8s/api/openapi-spec/swagger.json" \
    -crd "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
    -out "$PASSKEYD_K8S_SCHEMAS")
  echo "$want" >"$stamp"
}
k8s_schemas
