package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/sqlite"
	"github.com/passkeyd/passkeyd/webhook"
)

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func openSQLite(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReceiverFailuresAreRetried: whatever way the receiver fails for a while, every event
// arrives once it recovers, with a valid signature.
func TestReceiverFailuresAreRetried(t *testing.T) {
	t.Run("500 then recovers", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "db"))
		r := newReceiver(t, nil)
		var fails atomic.Int32
		r.fail = func() bool { return fails.Add(1) <= 25 }
		ids := publish(t, db, 20, r.URL)
		start(t, webhook.NewWorker(db, fast()))
		// A 500 is never accepted, so even after retries no event arrives twice.
		r.waitFor(ids, true, 20*time.Second)
		if fails.Load() < 25 {
			t.Fatal("the receiver never failed")
		}
	})
	t.Run("hangs past the timeout then recovers", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "db"))
		r := newReceiver(t, nil)
		began := time.Now()
		r.hang = func() bool { return time.Since(began) < time.Second }
		ids := publish(t, db, 10, r.URL)
		start(t, webhook.NewWorker(db, fast()))
		r.waitFor(ids, true, 20*time.Second)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.requests <= len(ids) {
			t.Fatal("no request hung")
		}
	})
	t.Run("connection refused then listens", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "db"))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens: connection refused
		ids := publish(t, db, 10, "http://"+addr+"/hook")
		reg := prometheus.NewRegistry()
		cfg := fast()
		cfg.Metrics = webhook.NewMetrics(reg)
		start(t, webhook.NewWorker(db, cfg))
		time.Sleep(300 * time.Millisecond)
		if failed := metricValue(t, reg, "passkeyd_webhook_deliveries_total", "failed"); failed == 0 {
			t.Fatal("no failed attempt counted while nothing listened")
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("port %s was taken meanwhile: %v", addr, err)
		}
		r := newReceiver(t, ln)
		r.waitFor(ids, true, 20*time.Second)
		// The counter moves just after the receiver's answer.
		for deadline := time.Now().Add(5 * time.Second); metricValue(t, reg, "passkeyd_webhook_deliveries_total", "delivered") != float64(len(ids)); {
			if time.Now().After(deadline) {
				t.Fatalf("delivered counter %v, want %d", metricValue(t, reg, "passkeyd_webhook_deliveries_total", "delivered"), len(ids))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestStopAndRestartLoseNothing: events enqueued before a stop (the worker, the service and
// the database closed, the receiver down the whole time) are all sent after the same
// SQLite file is opened again.
func TestStopAndRestartLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passkeyd.db")
	r := newReceiver(t, nil)
	var down atomic.Bool
	down.Store(true)
	r.fail = down.Load
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ids := publish(t, db, 15, r.URL)
	stop := start(t, webhook.NewWorker(db, fast()))
	time.Sleep(200 * time.Millisecond)
	stop()
	more := publish(t, db, 5, r.URL) // after the worker stopped, before the database closes
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	db = openSQLite(t, path)
	start(t, webhook.NewWorker(db, fast()))
	r.waitFor(append(ids, more...), true, 20*time.Second)
}

// TestTwoWorkersOnOneSQLiteFile: two instances' workers on one database send every event
// exactly once between them.
func TestTwoWorkersOnOneSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	r := newReceiver(t, nil)
	ids := publish(t, a, 100, r.URL)
	regA, regB := bothWork(t, a, b, fast())
	r.waitFor(ids, true, 30*time.Second)
	bothSent(t, regA, regB, len(ids))
}

// bothWork starts a worker on each store, each counting into a registry of its own.
func bothWork(t *testing.T, a, b passkeyd.OutboxStore, cfg webhook.Config) (*prometheus.Registry, *prometheus.Registry) {
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	ca, cb := cfg, cfg
	ca.Metrics, cb.Metrics = webhook.NewMetrics(regA), webhook.NewMetrics(regB)
	start(t, webhook.NewWorker(a, ca))
	start(t, webhook.NewWorker(b, cb))
	return regA, regB
}

// bothSent checks that the two workers shared the n deliveries: the test proves nothing if
// one of them did all the work.
func bothSent(t *testing.T, regA, regB *prometheus.Registry, n int) {
	t.Helper()
	var a, b float64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		a = metricValue(t, regA, "passkeyd_webhook_deliveries_total", "delivered")
		b = metricValue(t, regB, "passkeyd_webhook_deliveries_total", "delivered")
		if a+b == float64(n) {
			break
		}
	}
	if a+b != float64(n) || a == 0 || b == 0 {
		t.Fatalf("the workers delivered %v and %v, want %d between them, each some", a, b, n)
	}
}
