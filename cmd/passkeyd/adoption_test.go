package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/sqlite"
)

// countingStore counts AdoptionStats calls, to show that scrapes do not query.
type countingStore struct {
	passkeyd.Store
	calls atomic.Int64
}

func (s *countingStore) AdoptionStats(ctx context.Context) (*passkeyd.AdoptionStats, error) {
	s.calls.Add(1)
	return s.Store.AdoptionStats(ctx)
}

func aaguid(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("aaguid %s", s)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// adoptionFixture: four users, three with passkeys: two Apple Passwords (platform), one
// Google Password Manager (hybrid), one unnamed security key, one with no transports.
func adoptionFixture(t *testing.T) *countingStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	apple := aaguid(t, "fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	google := aaguid(t, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
	now := time.Now().UTC()
	pk := func(user string, model []byte, transports ...string) *passkeyd.Passkey {
		return &passkeyd.Passkey{ID: randomBytes(16), UserID: user, Name: "k", PublicKey: randomBytes(77), Algorithm: -7,
			AAGUID: model, Transports: transports, AttestationFormat: "none", AttestationType: "none", CreatedAt: now}
	}
	user := func(name string, p func(id string) []*passkeyd.Passkey) {
		u := &passkeyd.User{ID: name, Handle: randomBytes(32), Username: name, UsernameKey: name, DisplayName: name, PasswordHash: "x", CreatedAt: now}
		keys := p(u.ID)
		a := passkeyd.NewAccount{User: u}
		if len(keys) > 0 {
			a.Passkey = keys[0]
		}
		if err := db.CreateAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys[min(1, len(keys)):] {
			if err := db.AddPasskey(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
	}
	user("alice", func(id string) []*passkeyd.Passkey {
		return []*passkeyd.Passkey{pk(id, apple, "internal", "hybrid"), pk(id, randomBytes(16), "usb")}
	})
	user("bob", func(id string) []*passkeyd.Passkey {
		return []*passkeyd.Passkey{pk(id, apple, "internal"), pk(id, google, "hybrid")}
	})
	user("carol", func(id string) []*passkeyd.Passkey { return []*passkeyd.Passkey{pk(id, make([]byte, 16))} })
	user("dave", func(string) []*passkeyd.Passkey { return nil })
	return &countingStore{Store: db}
}

func TestAdoptionGauges(t *testing.T) {
	store := adoptionFixture(t)
	c := newAdoptionCollector(store, 2)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if n := testutil.CollectAndCount(reg); n != 0 {
		t.Fatalf("%d series before the first refresh, want none (no false zeros)", n)
	}
	if err := c.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Top 2: Apple Passwords (2), then "unknown" (2: the unnamed key and the all-zero
	// AAGUID) — ties by name put Apple first; Google (1) is folded into "other".
	want := `
# HELP passkeyd_passkeys Passkeys by device type (platform, security_key, hybrid, unknown) from the transports their authenticators reported.
# TYPE passkeyd_passkeys gauge
passkeyd_passkeys{device_type="hybrid"} 1
passkeyd_passkeys{device_type="platform"} 2
passkeyd_passkeys{device_type="security_key"} 1
passkeyd_passkeys{device_type="unknown"} 1
# HELP passkeyd_passkeys_by_provider Passkeys by provider (named from their AAGUID): the most common providers, "unknown" for unnamed AAGUIDs, "other" for the rest.
# TYPE passkeyd_passkeys_by_provider gauge
passkeyd_passkeys_by_provider{provider="Apple Passwords"} 2
passkeyd_passkeys_by_provider{provider="other"} 1
passkeyd_passkeys_by_provider{provider="unknown"} 2
# HELP passkeyd_users User accounts (every instance reports the same count: aggregate with max, not sum).
# TYPE passkeyd_users gauge
passkeyd_users 4
# HELP passkeyd_users_with_passkey User accounts with at least one passkey.
# TYPE passkeyd_users_with_passkey gauge
passkeyd_users_with_passkey 3
`
	names := []string{"passkeyd_users", "passkeyd_users_with_passkey", "passkeyd_passkeys", "passkeyd_passkeys_by_provider"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Scrapes read the snapshot: the store is asked once per refresh, not per scrape.
	for range 5 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("AdoptionStats called %d times for one refresh and six scrapes, want 1", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var at float64
	for _, mf := range mfs {
		if mf.GetName() == "passkeyd_adoption_refresh_timestamp_seconds" {
			at = mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if d := time.Since(time.Unix(int64(at), 0)); d < -time.Second || d > time.Minute {
		t.Fatalf("refresh timestamp %v is not now", at)
	}
}

func TestTopProvidersKeepsAllWhenFew(t *testing.T) {
	apple := [16]byte(aaguid(t, "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))
	got := topProviders(map[[16]byte]int{apple: 3, {}: 1}, 20)
	if fmt.Sprint(got) != "[{Apple Passwords 3} {unknown 1}]" {
		t.Fatalf("%v", got)
	}
}

// TestAdoptionMetricsServed: the server refreshes the gauges at start and serves them on
// /metrics.
func TestAdoptionMetricsServed(t *testing.T) {
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_DRAIN_TIMEOUT": "0s",
		"PASSKEYD_ADDR":          fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":  "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var body string
		if resp, err := http.Get(fmt.Sprintf("http://localhost:%d/metrics", port)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		}
		if strings.Contains(body, "\npasskeyd_users 0\n") && strings.Contains(body, `passkeyd_passkeys{device_type="platform"} 0`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics has no adoption gauges:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAdoptionRefreshStops(t *testing.T) {
	store := adoptionFixture(t)
	stop := startAdoptionMetrics(context.Background(), store, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(5 * time.Second)
	for store.calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no refresh at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
}
