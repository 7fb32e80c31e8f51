package instrument_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/instrument"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/storetest"
)

// The wrappers are stores: they pass the shared suite.
func TestWrappedStorePassesTheSuite(t *testing.T) {
	in := instrument.New(prometheus.NewRegistry())
	storetest.Run(t, func(t *testing.T) passkeyd.Store { return in.WrapStore(memory.NewStore()) })
	storetest.RunChallenges(t, func(t *testing.T) passkeyd.ChallengeStore { return in.WrapChallenges(memory.NewChallenges()) })
}

func TestSpansAndLatency(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	reg := prometheus.NewRegistry()
	in := instrument.New(reg)
	in.Tracing = true
	s := in.WrapStore(memory.NewStore())
	ctx := context.Background()
	if _, err := s.UserByID(ctx, "nobody"); err == nil {
		t.Fatal("found nobody")
	}
	u := &passkeyd.User{ID: "u", Handle: []byte("h"), Username: "u", UsernameKey: "u", DisplayName: "u", CreatedAt: time.Now()}
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: u}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: u}); err == nil {
		t.Fatal("created twice")
	}
	var names []string
	for _, sp := range rec.Ended() {
		names = append(names, sp.Name()+"/"+sp.Status().Code.String())
	}
	if got := strings.Join(names, " "); got != "store.UserByID/Unset store.CreateAccount/Unset store.CreateAccount/Error" {
		t.Fatalf("spans: %s", got)
	}
	if n := testutil.CollectAndCount(reg, "passkeyd_store_duration_seconds"); n != 3 {
		t.Fatalf("%d latency series, want 3 (UserByID not_found, CreateAccount ok and error)", n)
	}
}

// TestNoSpansWithoutTracing: with tracing off a store call starts no span (even under a
// provider that would record one) and still observes its latency.
func TestNoSpansWithoutTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	reg := prometheus.NewRegistry()
	s := instrument.New(reg).WrapStore(memory.NewStore())
	if _, err := s.UserByID(context.Background(), "nobody"); err == nil {
		t.Fatal("found nobody")
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans with tracing off", n)
	}
	if n := testutil.CollectAndCount(reg, "passkeyd_store_duration_seconds"); n != 1 {
		t.Fatalf("%d latency series, want 1", n)
	}
}
