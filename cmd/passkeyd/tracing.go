package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/passkeyd/passkeyd/internal/buildinfo"
)

// startTracing sends spans to an OTLP/HTTP collector when endpoint is set; the returned
// function flushes and stops it. With no endpoint the global tracer stays a no-op.
func startTracing(ctx context.Context, endpoint string) (func(), error) {
	// W3C trace context (traceparent, tracestate) and baggage, in and out: a caller's trace
	// continues through passkeyd, and passkeyd's outbound calls continue it further.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if endpoint == "" {
		return func() {}, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing (PASSKEYD_OTLP_ENDPOINT): %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("passkeyd"), semconv.ServiceVersion(buildinfo.Get().Version))),
	)
	otel.SetTracerProvider(tp)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}, nil
}

// tracedTransport injects the request context's trace context into every outbound request,
// with the globally configured propagator (W3C trace context once startTracing ran).
func tracedTransport(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		p := otel.GetTextMapPropagator()
		if len(p.Fields()) > 0 {
			r = r.Clone(r.Context())
			p.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
		}
		return next.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
