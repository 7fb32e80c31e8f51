package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/sqlite"
)

// storeMetrics exports how well SQLite's group commit groups: writes per commit is
// passkeyd_sqlite_writes_total / passkeyd_sqlite_commits_total (a sign-in is one write).
func storeMetrics(reg *prometheus.Registry, store passkeyd.Store) {
	db, ok := store.(*sqlite.DB)
	if !ok {
		return
	}
	counter := func(name, help string, f func(sqlite.CommitStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(db.CommitStats())) })
	}
	reg.MustRegister(
		counter("passkeyd_sqlite_commits_total", "Durable commits (each one fsync of the WAL) of the SQLite writer.", func(s sqlite.CommitStats) uint64 { return s.Commits }),
		counter("passkeyd_sqlite_writes_total", "Writes (a sign-in, a sign-up, …) made durable by those commits.", func(s sqlite.CommitStats) uint64 { return s.Writes }),
		counter("passkeyd_sqlite_checkpoints_total", "WAL checkpoints run by the background checkpointer.", func(s sqlite.CommitStats) uint64 { return s.Checkpoints }),
	)
}
