#!/usr/bin/env bash
# Runs `patroni --validate-config` on patroni.yml (Debian's patroni) inside a network
# namespace of its own: the validator connects to the etcd hosts the sample names
# (10.0.0.41-43) and binds its listen ports, so the namespace holds those addresses on its
# loopback with a listener on each, and no connection can leave this machine.
set -euo pipefail
cd "$(dirname "$0")"
exec unshare --net bash -euo pipefail -c '
  ip link set lo up
  for h in 10.0.0.41 10.0.0.42 10.0.0.43; do ip addr add "$h/32" dev lo; done
  python3 -c "
import socket, threading, time
for h in (\"10.0.0.41\", \"10.0.0.42\", \"10.0.0.43\"):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((h, 2379)); s.listen(16)
    threading.Thread(target=lambda s=s: [s.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
time.sleep(60)
" >/dev/null 2>&1 &
  trap "kill $! 2>/dev/null" EXIT
  for _ in $(seq 50); do python3 -c "import socket; socket.create_connection((\"10.0.0.43\", 2379), 0.2)" 2>/dev/null && break; sleep 0.1; done
  out=$(patroni --validate-config patroni.yml 2>&1) || { echo "$out"; exit 1; }
  if [ -n "$out" ]; then echo "$out"; exit 1; fi
  echo "patroni --validate-config: ok"
'
