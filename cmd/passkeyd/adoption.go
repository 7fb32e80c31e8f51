package main

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
)

// The adoption gauges are aggregates over whole tables: they are refreshed in the background
// every minute, never per scrape, so a scraper (or several) cannot load the database.
const (
	adoptionInterval = time.Minute
	adoptionTimeout  = 30 * time.Second
	// adoptionTopProviders bounds the provider label: the most common providers keep their
	// name and the long tail is "other", so an odd authenticator cannot add a series.
	adoptionTopProviders = 20
)

var (
	usersDesc = prometheus.NewDesc("passkeyd_users",
		"User accounts (every instance reports the same count: aggregate with max, not sum).", nil, nil)
	usersWithPasskeyDesc = prometheus.NewDesc("passkeyd_users_with_passkey",
		"User accounts with at least one passkey.", nil, nil)
	passkeysDesc = prometheus.NewDesc("passkeyd_passkeys",
		"Passkeys by device type (platform, security_key, hybrid, unknown) from the transports their authenticators reported.", []string{"device_type"}, nil)
	passkeysByProviderDesc = prometheus.NewDesc("passkeyd_passkeys_by_provider",
		`Passkeys by provider (named from their AAGUID): the most common providers, "unknown" for unnamed AAGUIDs, "other" for the rest.`, []string{"provider"}, nil)
	adoptionRefreshDesc = prometheus.NewDesc("passkeyd_adoption_refresh_timestamp_seconds",
		"When the adoption gauges were last refreshed (they are refreshed every 60 s).", nil, nil)
)

type providerCount struct {
	name string
	n    int
}

type adoptionSnapshot struct {
	stats     *passkeyd.AdoptionStats
	providers []providerCount
	at        time.Time
}

// adoptionCollector serves the last snapshot; it exports nothing until the first refresh
// succeeds, so a dashboard shows no data rather than a false zero.
type adoptionCollector struct {
	store passkeyd.StatsStore
	top   int
	last  atomic.Pointer[adoptionSnapshot]
}

func newAdoptionCollector(store passkeyd.StatsStore, top int) *adoptionCollector {
	return &adoptionCollector{store: store, top: top}
}

// startAdoptionMetrics registers the gauges and refreshes them until ctx ends or stop is
// called; stop returns once no query is in flight, so the store can be closed after it.
func startAdoptionMetrics(ctx context.Context, store passkeyd.StatsStore, registry *prometheus.Registry, log *slog.Logger) (stop func()) {
	c := newAdoptionCollector(store, adoptionTopProviders)
	registry.MustRegister(c)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(adoptionInterval)
		defer t.Stop()
		for {
			if err := c.refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("adoption metrics: counting users and passkeys failed; the gauges keep their last values", "error", err.Error())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (c *adoptionCollector) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, adoptionTimeout)
	defer cancel()
	st, err := c.store.AdoptionStats(ctx)
	if err != nil {
		return err
	}
	c.last.Store(&adoptionSnapshot{stats: st, providers: topProviders(st.PasskeysByAAGUID, c.top), at: time.Now()})
	return nil
}

// topProviders names the AAGUIDs now (the metadata in force can rename them), adds up the
// models that share a name, and keeps the top most common names, folding the rest into
// "other". Ties go by name, so the cut is stable between refreshes.
func topProviders(byAAGUID map[[16]byte]int, top int) []providerCount {
	byName := map[string]int{}
	for aaguid, n := range byAAGUID {
		name := passkeyd.ProviderName(aaguid[:])
		if name == "" {
			name = "unknown"
		}
		byName[name] += n
	}
	out := make([]providerCount, 0, len(byName))
	for name, n := range byName {
		out = append(out, providerCount{name, n})
	}
	slices.SortFunc(out, func(a, b providerCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.name, b.name))
	})
	if len(out) > top {
		other := 0
		for _, p := range out[top:] {
			other += p.n
		}
		out = append(out[:top], providerCount{"other", other})
	}
	return out
}

// Describe implements prometheus.Collector.
func (c *adoptionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{usersDesc, usersWithPasskeyDesc, passkeysDesc, passkeysByProviderDesc, adoptionRefreshDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads the snapshot, never the store.
func (c *adoptionCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.last.Load()
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(usersDesc, float64(s.stats.Users))
	gauge(usersWithPasskeyDesc, float64(s.stats.UsersWithPasskey))
	for device, n := range s.stats.PasskeysByDevice {
		gauge(passkeysDesc, float64(n), device)
	}
	for _, p := range s.providers {
		gauge(passkeysByProviderDesc, float64(p.n), p.name)
	}
	gauge(adoptionRefreshDesc, float64(s.at.UnixNano())/1e9)
}
