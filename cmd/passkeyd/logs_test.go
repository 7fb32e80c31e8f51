package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// TestJSONLogs: with logFormat=json everything the server writes is JSON; the access line's
// duration is seconds (duration_s); a caller's W3C traceparent joins the request's trace and
// its id is in the request's log lines, as is the request id — the account's own line too.
func TestJSONLogs(t *testing.T) {
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_ADDR":              fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":      "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_LOG_FORMAT":        "json",
		"PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1",
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()
	base := fmt.Sprintf("http://localhost:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", base+"/api/v1/password/signup", strings.NewReader(`{"username": "jordan", "password": "a perfectly fine passphrase"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("sign-up: %d", resp.StatusCode)
	}
	rid := resp.Header.Get("X-Request-Id")
	cancel()
	<-done

	if strings.TrimSpace(stdout.String()) != "" {
		t.Errorf("plain text on stdout with JSON logs: %q", stdout.String())
	}
	var access, created map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
			continue
		}
		switch {
		case m["msg"] == "request" && m["route"] == "POST /api/v1/password/signup":
			access = m
		case m["msg"] == "account created":
			created = m
		}
	}
	if access == nil || created == nil {
		t.Fatalf("missing the access or the account line:\n%s", stderr.String())
	}
	if d, ok := access["duration_s"].(float64); !ok || d <= 0 || d > 10 {
		t.Errorf("duration_s = %v (%T), want seconds", access["duration_s"], access["duration_s"])
	}
	if _, ok := access["duration"]; ok {
		t.Error("the access line still has a nanosecond duration")
	}
	for name, m := range map[string]map[string]any{"access": access, "account": created} {
		if m["request_id"] != rid || rid == "" {
			t.Errorf("%s line: request_id %v, response X-Request-Id %q", name, m["request_id"], rid)
		}
		if m["trace_id"] != traceID {
			t.Errorf("%s line: trace_id %v, want the caller's %s", name, m["trace_id"], traceID)
		}
	}
}

// TestOutboundTraceContext: calls passkeyd makes (breach lookups, webhooks) carry the
// request's trace context as a W3C traceparent.
func TestOutboundTraceContext(t *testing.T) {
	stop, err := startTracing(context.Background(), "") // sets the propagator, no exporter
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Get("traceparent") }))
	defer srv.Close()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := outboundClient(5 * time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tp := <-got; tp != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("traceparent %q", tp)
	}
}
