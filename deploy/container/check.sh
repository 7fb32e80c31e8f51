#!/usr/bin/env bash
# Checks a built passkeyd image (default passkeyd:ci): its configuration (user, entrypoint,
# port, volume, healthcheck), that it holds no shell, and that the binary taken out of it
# runs: version, then a server that its own healthcheck finds healthy.
set -euo pipefail
image=${1:-passkeyd:ci}
b="buildah ${BUILDAH_FLAGS:-}"
fail() { echo "container check: $*" >&2; exit 1; }

$b inspect --type image "$image" >"${TMPDIR:-/tmp}/passkeyd-image.json"
python3 - "${TMPDIR:-/tmp}/passkeyd-image.json" <<'PY' || fail "image configuration"
import json, sys
c = json.load(open(sys.argv[1]))["Docker"]["config"]
def want(ok, what):
    if not ok:
        sys.exit("container check: %s (config: %s)" % (what, json.dumps(c)))
want(c.get("User") == "65532:65532", "user is not 65532:65532")
want(c.get("Entrypoint") == ["/passkeyd"], "entrypoint is not /passkeyd")
want("8080/tcp" in (c.get("ExposedPorts") or {}), "port 8080 is not exposed")
want("/data" in (c.get("Volumes") or {}), "no /data volume")
want("healthcheck" in (c.get("Healthcheck") or {}).get("Test", []), "no HEALTHCHECK running passkeyd healthcheck")
PY

ctr=$($b from "$image")
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  $b umount "$ctr" >/dev/null 2>&1 || true
  $b rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mnt=$($b mount "$ctr")
for sh in bin/sh bin/bash bin/busybox usr/bin/env; do
  [ ! -e "$mnt/$sh" ] || fail "the image has /$sh"
done
[ "$(stat -c %u "$mnt/data")" = 65532 ] || fail "/data is not owned by the image's user"
grep -q '^nonroot:x:65532:' "$mnt/etc/passwd" || fail "/etc/passwd has no nonroot user"
[ -s "$mnt/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA certificates"
cp "$mnt/passkeyd" "$work/passkeyd"
file "$work/passkeyd" 2>/dev/null | grep -q 'statically linked' || ldd "$work/passkeyd" 2>&1 | grep -q 'not a dynamic' || fail "the binary is not static"

"$work/passkeyd" version | grep -q '^passkeyd ' || fail "passkeyd version"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSKEYD_ADDR=127.0.0.1:$port PASSKEYD_DATABASE_URL=sqlite://$work/p.db PASSKEYD_LOG_FORMAT=json \
  "$work/passkeyd" serve >"$work/out.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  "$work/passkeyd" healthcheck -url "http://127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 0.1
done
"$work/passkeyd" healthcheck -url "http://127.0.0.1:$port" -path /readyz >/dev/null || { cat "$work/out.log"; fail "the binary from the image did not become ready"; }
echo "container check: ok ($image: user 65532, entrypoint /passkeyd, port 8080, /data, no shell, binary serves)"
