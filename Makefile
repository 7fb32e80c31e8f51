# The README's commands are the main entry points; these are shortcuts.
.PHONY: run test ci ha-test bench

run:
	go run ./cmd/passkeyd

test:
	go test ./...

ci:
	bash .ci/run

# Fault test: PostgreSQL primary + synchronous replica, Redis master + replica + three
# Sentinels, three passkeyd instances and HAProxy on 127.0.0.1; kills an instance, the Redis
# master and the PostgreSQL primary under load, stalls the network to PostgreSQL, kills a
# SQLite instance with -9, and (-slow, which CI leaves out) restarts every instance in turn
# and skews one instance's clock; then (-patroni) three Patroni members on etcd with the
# settings of deploy/patroni/patroni.yml: an etcd stall, and kill -9 of the leader. Needs root
# and Debian's postgresql-15, redis-server, haproxy, patroni and etcd-server (.ci/run installs
# haproxy; CI runs only `go run ./ha`). About three and a half minutes.
ha-test:
	go run ./ha -slow
	go run ./ha -patroni

bench:
	go test -run '^$$' -bench . -benchtime 2s ./ceremony ./httpapi ./sqlite ./softauthn
