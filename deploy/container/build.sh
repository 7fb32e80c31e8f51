#!/usr/bin/env bash
# Builds passkeyd's container image FROM scratch with buildah, without a registry:
#   deploy/container/build.sh [TAG]          (default passkeyd:dev)
# Environment: GOARCH (default the host's), BUILDAH_FLAGS (e.g. "--storage-driver vfs").
# The version stamped into the binary is `git describe` of the checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-passkeyd:dev}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

root=$ctx/rootfs
mkdir -p "$root/etc/ssl/certs" "$root/data"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/passkeyd/passkeyd/internal/buildinfo
CGO_ENABLED=0 go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.date=$date" \
  -o "$root/passkeyd" ./cmd/passkeyd

# The unprivileged user (65532, as distroless's "nonroot") and its group.
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:passkeyd:/data:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
certs=${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
cp "$certs" "$root/etc/ssl/certs/ca-certificates.crt"
cp deploy/container/Containerfile "$ctx/Containerfile"

# docker format: OCI image configs have no HEALTHCHECK.
# shellcheck disable=SC2086
buildah ${BUILDAH_FLAGS:-} bud --isolation chroot --format docker --layers=false \
  -f "$ctx/Containerfile" -t "$tag" "$ctx"
