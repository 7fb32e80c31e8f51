#!/usr/bin/env bash
# compare.sh runs passkeyd-load against servers one after the other in the same session,
# each under /usr/bin/time -v (CPU seconds and peak RSS), and prints one line per server.
# Usage: bench/compare.sh CONCURRENCY DURATION USERS NAME=COMMAND...
# USERS is how many users passkeyd-load signs up first, or a population file that
# `passkeyd-load -seed` wrote into the servers' database (it then logs in as random users of
# all of it). Each line ends with the machine's one-minute load average at the end of the run.
# where COMMAND starts a server listening on http://localhost:PORT given in PORT=… first:
#   bench/compare.sh 8 10s 64 \
#     ref="/tmp/bin/refserver -addr 127.0.0.1:8090" \
#     passkeyd="env PASSKEYD_DATABASE_URL=sqlite://$(mktemp -d)/p.db PASSKEYD_ADDR=127.0.0.1:8091 … /tmp/bin/passkeyd serve"
# Each server's address must be in its command as PASSKEYD_ADDR=127.0.0.1:PORT or -addr 127.0.0.1:PORT. With
# PGCPU=1 the CPU time of the whole local PostgreSQL server during the run (from /proc; see
# pgticks) is reported too, as pg_cpu_us_per_login.
set -euo pipefail

# pgticks prints the CPU clock ticks PostgreSQL has used so far: the postmaster's own and
# its reaped children's (backends that exited during the run are counted there: the kernel
# adds a child's time to its parent's when it is reaped), plus every live child's. So a pool
# connection that opens and closes during a run is counted, and whole-server work (WAL
# writer, checkpointer) too. It counts every client of the server: run nothing else on it.
pgticks() {
	local pm pid total
	pm=$(pgrep -o -x postgres) # the postmaster: the oldest postgres process
	total=$(awk '{print $14+$15+$16+$17}' /proc/$pm/stat)
	for pid in $(pgrep -P "$pm"); do
		[ -r /proc/$pid/stat ] && total=$((total + $(awk '{print $14+$15}' /proc/$pid/stat)))
	done
	echo "$total"
}
conc=$1 duration=$2 users=$3
shift 3
load=${LOAD:-passkeyd-load}
who=(-users "$users")
case $users in *[!0-9]*) who=(-population "$users") ;; esac
for spec in "$@"; do
	name=${spec%%=*} cmd=${spec#*=}
	port=$(grep -oE '(ADDR=|-addr )127\.0\.0\.1:[0-9]+' <<<"$cmd" | head -1 | cut -d: -f2)
	out=$(mktemp)
	/usr/bin/time -v -o "$out.time" $cmd >"$out.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	[ -n "${PGCPU:-}" ] && pgticks >"$out.pg0"
	result=$($load -url "http://localhost:$port" -c "$conc" "${who[@]}" -duration "$duration" 2>&1 | tail -1 || true)
	loadavg=$(cut -d' ' -f1 /proc/loadavg)
	# With PASSKEYD_METRICS_ADDR in the command: SQLite writes per commit (fsync).
	perCommit=""
	metrics=$(grep -oE 'METRICS_ADDR=127\.0\.0\.1:[0-9]+' <<<"$cmd" | cut -d= -f2 || true)
	if [ -n "$metrics" ]; then
		perCommit=$(curl -s "http://$metrics/metrics" | awk '/^passkeyd_sqlite_commits_total/{c=$2} /^passkeyd_sqlite_writes_total/{w=$2} END{if (c>0) printf " writes_per_commit=%.2f commits=%d", w/c, c}')
	fi
	pgcpu=""
	if [ -n "${PGCPU:-}" ]; then
		ticks=$(($(pgticks) - $(cat "$out.pg0")))
		logins0=$(grep -o 'logins=[0-9]*' <<<"$result" | cut -d= -f2 || true)
		pgcpu=" pg_cpu_us_per_login=$(awk -v t="$ticks" -v n="${logins0:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN{if (n>0) printf "%.0f", t/hz*1e6/n; else print "?"}')"
	fi
	# the server is the child of time: stop it (SIGTERM: background jobs ignore SIGINT), and time reports
	pkill -TERM -P $pid || true
	wait $pid || true
	cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$out.time")
	rss=$(awk -F': ' '/Maximum resident/{print $2}' "$out.time")
	logins=$(grep -o 'logins=[0-9]*' <<<"$result" | cut -d= -f2 || true)
	per=$(awk -v c="$cpu" -v n="${logins:-0}" 'BEGIN{if (n>0) printf "%.0f", c*1e6/n; else print "?"}')
	echo "$name c=$conc $result cpu_s=$cpu cpu_us_per_login=$per maxrss_kb=$rss$pgcpu$perCommit load=$loadavg"
	rm -f "$out" "$out.time" "$out.log" "$out.pg0"
done
