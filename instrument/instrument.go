// Package instrument wraps passkeyd's stores with OpenTelemetry spans and a Prometheus
// latency histogram per call, so a slow database shows up in traces and on dashboards
// without each store implementing it. store_gen.go holds one wrapper per store method,
// written from store.go by a script; the compiler checks that the wrappers implement the
// interfaces, so a change there fails the build until they are regenerated.
package instrument

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/passkeyd/passkeyd"
)

// Instruments is what wrapped stores report to.
type Instruments struct {
	// Tracing makes a span of every store call (tracing is configured); without it only
	// the latency histogram is kept, and no span is started that nothing would record.
	Tracing bool
	tracer  trace.Tracer
	latency *prometheus.HistogramVec
}

// New registers passkeyd_store_duration_seconds{store, op, outcome} in reg and traces with
// the global tracer provider (a no-op unless tracing is configured).
func New(reg prometheus.Registerer) *Instruments {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "passkeyd_store_duration_seconds",
		Help:    "Latency of store calls by store (database, challenges), operation and outcome (ok, not_found, error).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"store", "op", "outcome"})
	reg.MustRegister(h)
	return &Instruments{tracer: otel.Tracer("github.com/passkeyd/passkeyd/store"), latency: h}
}

// Store wraps a passkeyd.Store.
type Store struct {
	next passkeyd.Store
	in   *Instruments
	name string
}

// Challenges wraps a passkeyd.ChallengeStore.
type Challenges struct {
	next passkeyd.ChallengeStore
	in   *Instruments
	name string
}

var (
	_ passkeyd.Store          = (*Store)(nil)
	_ passkeyd.ChallengeStore = (*Challenges)(nil)
)

// WrapStore instruments s.
func (in *Instruments) WrapStore(s passkeyd.Store) *Store {
	return &Store{next: s, in: in, name: "database"}
}

// WrapChallenges instruments c.
func (in *Instruments) WrapChallenges(c passkeyd.ChallengeStore) *Challenges {
	return &Challenges{next: c, in: in, name: "challenges"}
}

func (in *Instruments) start(ctx context.Context, store, op string) (context.Context, func(time.Time, error)) {
	if !in.Tracing {
		return ctx, func(t time.Time, err error) {
			in.latency.WithLabelValues(store, op, outcomeOf(err)).Observe(time.Since(t).Seconds())
		}
	}
	ctx, span := in.tracer.Start(ctx, "store."+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("passkeyd.store", store)))
	return ctx, func(t time.Time, err error) {
		outcome := outcomeOf(err)
		if outcome == "error" {
			span.RecordError(err)
			span.SetStatus(codes.Error, string(passkeyd.ErrorCode(err)))
		}
		in.latency.WithLabelValues(store, op, outcome).Observe(time.Since(t).Seconds())
		span.End()
	}
}

// outcomeOf is the outcome label of a store call's error.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, passkeyd.ErrNotFound):
		return "not_found" // an answer, not a failure
	}
	return "error"
}

func (s *Store) start(ctx context.Context, op string) (context.Context, func(time.Time, error)) {
	return s.in.start(ctx, s.name, op)
}

func (s *Challenges) start(ctx context.Context, op string) (context.Context, func(time.Time, error)) {
	return s.in.start(ctx, s.name, op)
}

// Ping implements passkeyd.Store.
func (s *Store) Ping(ctx context.Context) error { return s.next.Ping(ctx) }

// Close implements passkeyd.Store.
func (s *Store) Close() error { return s.next.Close() }
