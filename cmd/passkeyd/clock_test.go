package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd/postgres"
)

// offsetClock is a database clock set off from this host's by a fixed amount.
type offsetClock time.Duration

func (o offsetClock) ServerTime(context.Context) (time.Time, error) {
	return time.Now().Add(time.Duration(o)), nil
}

// TestClockWatch: a database clock 10 s off shows in passkeyd_clock_skew_seconds and as
// /readyz's clock note; one within the allowance shows no note.
func TestClockWatch(t *testing.T) {
	for _, c := range []struct {
		offset time.Duration
		note   bool
	}{{10 * time.Second, true}, {-10 * time.Second, true}, {500 * time.Millisecond, false}} {
		ctx, cancel := context.WithCancel(context.Background())
		reg := prometheus.NewRegistry()
		w := startClockWatch(ctx, offsetClock(c.offset), reg, slog.New(slog.DiscardHandler))
		deadline := time.Now().Add(2 * time.Second)
		for !w.measured.Load() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := gauge(t, reg, "passkeyd_clock_skew_seconds"); got < c.offset.Seconds()-0.5 || got > c.offset.Seconds()+0.5 {
			t.Errorf("offset %v: passkeyd_clock_skew_seconds = %v", c.offset, got)
		}
		if note := w.note(); (note != "") != c.note || (c.note && !strings.Contains(note, "NTP")) {
			t.Errorf("offset %v: note %q", c.offset, note)
		}
		cancel()
	}
}

// TestClockWatchAgainstPostgres: the real database's clock, on this same host, agrees.
func TestClockWatchAgainstPostgres(t *testing.T) {
	pg := envOr("PASSKEYD_TEST_POSTGRES_URL", "postgres://127.0.0.1:5432/test?sslmode=disable")
	db, err := postgres.Open(context.Background(), pg)
	if err == nil {
		err = db.Ping(context.Background())
	}
	if err != nil {
		if strings.Contains(getenvReal("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer db.Close()
	skew, err := measureSkew(context.Background(), db)
	if err != nil || skew > time.Second || skew < -time.Second {
		t.Fatalf("skew against a database on this host: %v %v", skew, err)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) == 1 {
			return f.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
