// Package logctx makes every log line of a request say which request (and trace) it belongs
// to, and writes durations as seconds: the slog handler reads the request id and the span
// from the context the line is logged with, so code deep in account/ or a store needs only
// to log with its ctx.
package logctx

import (
	"context"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id WithRequestID put in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewHandler wraps h: each record gains request_id (from WithRequestID) and, when ctx
// carries a valid span, trace_id and span_id; every duration attribute "x" becomes "x_s", a
// number of seconds (slog's own JSON writes unit-less nanoseconds).
func NewHandler(h slog.Handler) slog.Handler { return &handler{h} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if id := RequestID(ctx); id != "" && !hasAttr(r, "request_id") {
		out.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		out.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(seconds(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	conv := make([]slog.Attr, len(as))
	for i, a := range as {
		conv[i] = seconds(a)
	}
	return &handler{h.next.WithAttrs(conv)}
}

func (h *handler) WithGroup(name string) slog.Handler { return &handler{h.next.WithGroup(name)} }

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

// seconds rewrites a duration attribute (also inside groups) as key_s = seconds.
func seconds(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindDuration:
		key := a.Key
		if !strings.HasSuffix(key, "_s") {
			key += "_s"
		}
		return slog.Float64(key, v.Duration().Seconds())
	case slog.KindGroup:
		as := v.Group()
		conv := make([]any, len(as))
		for i, g := range as {
			conv[i] = seconds(g)
		}
		return slog.Group(a.Key, conv...)
	}
	return slog.Attr{Key: a.Key, Value: v}
}
