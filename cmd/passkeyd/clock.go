package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd/account"
)

// serverClock is a store that can tell its server's time (PostgreSQL): the one clock every
// instance shares, so a skewed instance shows against it.
type serverClock interface {
	ServerTime(ctx context.Context) (time.Time, error)
}

// clockWatch measures this host's clock against the database's now and then, because a
// running instance whose clock drifts would otherwise never notice: sessions, challenges and
// tokens compare instants written by other instances.
type clockWatch struct {
	allowance time.Duration
	skew      atomic.Int64 // nanoseconds, database minus this host; valid once measured
	measured  atomic.Bool
}

const clockWatchInterval = 30 * time.Second

func startClockWatch(ctx context.Context, db serverClock, registry *prometheus.Registry, log *slog.Logger) *clockWatch {
	w := &clockWatch{allowance: account.DefaultClockSkewAllowance}
	registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "passkeyd_clock_skew_seconds",
		Help: "The database server's clock minus this host's, measured every 30 s (0 until measured).",
	}, func() float64 { return time.Duration(w.skew.Load()).Seconds() }))
	go func() {
		t := time.NewTicker(clockWatchInterval)
		defer t.Stop()
		warned := false
		for {
			if skew, err := measureSkew(ctx, db); err == nil {
				w.skew.Store(int64(skew))
				w.measured.Store(true)
				if off := w.off(skew); off && !warned {
					log.Warn("this host's clock is off from the database's: fix NTP (sessions, challenges and tokens compare instants written by other instances)",
						"skew", skew.Round(time.Millisecond).String(), "allowance", w.allowance.String())
				} else if !off && warned {
					log.Info("this host's clock agrees with the database's again", "skew", skew.Round(time.Millisecond).String())
				}
				warned = w.off(skew)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *clockWatch) off(skew time.Duration) bool { return skew > w.allowance || -skew > w.allowance }

// note is /readyz's clock note: empty while the clocks agree. Skew alone does not make the
// instance unready: when the database's clock is the wrong one, every instance would drop
// out at once.
func (w *clockWatch) note() string {
	if w == nil || !w.measured.Load() {
		return ""
	}
	skew := time.Duration(w.skew.Load())
	if !w.off(skew) {
		return ""
	}
	return fmt.Sprintf("skewed: the database's clock is %v from this host's (allowance %v); fix NTP", skew.Round(time.Millisecond), w.allowance)
}

// measureSkew compares the database's clock with the midpoint of the round trip.
func measureSkew(ctx context.Context, db serverClock) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	before := time.Now()
	server, err := db.ServerTime(ctx)
	if err != nil {
		return 0, err
	}
	after := time.Now()
	return server.Sub(before.Add(after.Sub(before) / 2)), nil
}

// clockSkewRefusals counts the challenges refused because another instance's clock is
// ahead of this one's.
func clockSkewRefusals(registry *prometheus.Registry) func(time.Duration) {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "passkeyd_challenge_clock_skew_total",
		Help: "Challenges refused because they were issued in this instance's future beyond the clock-skew allowance (instances' clocks disagree).",
	})
	registry.MustRegister(c)
	return func(time.Duration) { c.Inc() }
}

// testClockOffset is the fault test's hook (ha/, the clock-skew drill): the environment
// variable PASSKEYD_TEST_CLOCK_OFFSET (a Go duration) shifts this instance's ceremony and
// session clock, to run instances with skewed clocks on one host. Not a setting: nothing
// else should set it, and the server warns loudly when it is set.
func testClockOffset(getenv func(string) string) (time.Duration, error) {
	v := getenv("PASSKEYD_TEST_CLOCK_OFFSET")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("PASSKEYD_TEST_CLOCK_OFFSET: %w", err)
	}
	return d, nil
}
