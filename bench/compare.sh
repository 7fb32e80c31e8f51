#!/usr/bin/env bash
# compare.sh runs passkeyd-load against servers one after the other in the same session,
# each under /usr/bin/time -v (CPU seconds and peak RSS), and prints one line per server.
# Usage: bench/compare.sh CONCURRENCY DURATION USERS NAME=COMMAND...
# where COMMAND starts a server listening on http://localhost:PORT given in PORT=… first:
#   bench/compare.sh 8 10s 64 \
#     ref="/tmp/bin/refserver -addr 127.0.0.1:8090" \
#     passkeyd="env PASSKEYD_DATABASE_URL=sqlite://$(mktemp -d)/p.db PASSKEYD_ADDR=127.0.0.1:8091 … /tmp/bin/passkeyd serve"
# Each server's address must be in its command as 127.0.0.1:PORT.
set -euo pipefail
conc=$1 duration=$2 users=$3
shift 3
load=${LOAD:-passkeyd-load}
for spec in "$@"; do
	name=${spec%%=*} cmd=${spec#*=}
	port=$(grep -o '127\.0\.0\.1:[0-9]*' <<<"$cmd" | head -1 | cut -d: -f2)
	out=$(mktemp)
	/usr/bin/time -v -o "$out.time" $cmd >"$out.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	result=$($load -url "http://localhost:$port" -c "$conc" -users "$users" -duration "$duration" 2>&1 | tail -1 || true)
	# the server is the child of time: stop it (SIGTERM: background jobs ignore SIGINT), and time reports
	pkill -TERM -P $pid || true
	wait $pid || true
	cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$out.time")
	rss=$(awk -F': ' '/Maximum resident/{print $2}' "$out.time")
	logins=$(grep -o 'logins=[0-9]*' <<<"$result" | cut -d= -f2 || true)
	per=$(awk -v c="$cpu" -v n="${logins:-0}" 'BEGIN{if (n>0) printf "%.0f", c*1e6/n; else print "?"}')
	echo "$name c=$conc $result cpu_s=$cpu cpu_us_per_login=$per maxrss_kb=$rss"
	rm -f "$out" "$out.time" "$out.log"
done
