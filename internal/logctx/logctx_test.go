package logctx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil))).With("wait", 250*time.Millisecond)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(WithRequestID(context.Background(), "req-1"),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	log.InfoContext(ctx, "account created", "duration", 1500*time.Millisecond, slog.Group("g", "took", time.Second))
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, lines[0])
	}
	for k, want := range map[string]any{
		"request_id": "req-1", "trace_id": tid.String(), "span_id": sid.String(),
		"duration_s": 1.5, "wait_s": 0.25,
	} {
		if m[k] != want {
			t.Errorf("%s = %v (%T), want %v", k, m[k], m[k], want)
		}
	}
	if g, _ := m["g"].(map[string]any); g["took_s"] != 1.0 {
		t.Errorf("group duration: %v", m["g"])
	}
	if _, ok := m["duration"]; ok {
		t.Error("the nanosecond duration is still there")
	}
	var plain map[string]any
	_ = json.Unmarshal([]byte(lines[1]), &plain)
	if _, ok := plain["request_id"]; ok {
		t.Error("a line logged without a request context has a request_id")
	}
}
