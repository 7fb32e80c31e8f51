package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/internal/logctx"
)

// pageCSP allows the reference page its own scripts and styles and nothing else; no inline
// script, so an injected string can never run.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// apiCSP is for JSON: nothing in a response is ever to be rendered as a document.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Values of the headers every response carries, in canonical form, each a slice with
// len == cap (see middleware).
var (
	hdrNosniff    = []string{"nosniff"}
	hdrNoReferrer = []string{"no-referrer"}
	hdrDeny       = []string{"DENY"}
	hdrAPICSP     = []string{apiCSP}
	hdrPageCSP    = []string{pageCSP}
	hdrHSTS       = []string{"max-age=63072000; includeSubDomains"}
	hdrJSON       = []string{"application/json"}
	hdrNoStore    = []string{"no-store"}
)

// middleware wraps every request: a request id, security headers, panic recovery and one
// access-log line. The log never carries bodies, cookies, tokens or query strings.
func (s *server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := requestID(r)
		h := w.Header()
		h.Set("X-Request-Id", rid)
		// The fixed headers share their value slices (full, so an Add elsewhere copies
		// rather than appends into them): no allocation per header per response.
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrNoReferrer
		h["X-Frame-Options"] = hdrDeny
		api := strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/admin/")
		if api {
			h["Content-Security-Policy"] = hdrAPICSP
		} else {
			h["Content-Security-Policy"] = hdrPageCSP
		}
		if s.SecureCookies {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		sw := &statusWriter{ResponseWriter: w}
		ctx, cancel := context.WithTimeout(r.Context(), s.RequestTimeout)
		defer cancel()
		// The mux records the matched pattern on the request it serves: keep that one.
		// Found once: behind proxies it walks X-Forwarded-For, and the log line needs it too.
		client := s.clientIP(r)
		ctx = account.WithClient(ctx, account.ClientInfo{IP: client, UserAgent: r.UserAgent()})
		// Every log line of the request carries its id (see logctx.NewHandler).
		ctx = logctx.WithRequestID(ctx, rid)
		// A caller's W3C trace context (traceparent) makes this request's span its child.
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
		// One server span per request; store calls inside it become its children.
		span := trace.SpanFromContext(ctx)
		if s.Tracing {
			ctx, span = tracer.Start(ctx, "http.request", trace.WithSpanKind(trace.SpanKindServer))
		}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.ErrorContext(r.Context(), "panic serving request", "request_id", rid, "panic", p)
				if sw.status == 0 {
					s.writeError(sw, r, errPanic)
				}
			}
			s.metrics.observeRequest(routeOf(r), sw.status, time.Since(start))
			if s.Tracing {
				span.SetName(routeOf(r))
				span.SetAttributes(attribute.String("http.route", routeOf(r)), attribute.Int("http.response.status_code", sw.status), attribute.String("passkeyd.request_id", rid))
				if sw.status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(sw.status))
				}
				span.End()
			}
			s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", rid),
				slog.String("method", r.Method),
				slog.String("route", routeOf(r)),
				slog.Int("status", sw.status),
				slog.Float64("duration_s", time.Since(start).Seconds()),
				slog.String("client", client),
			)
		}()
		if api && !jsonBody(r) {
			s.writeError(sw, r, passkeyd.Errorf(passkeyd.CodeUnsupportedMediaType, "a request body must be Content-Type: application/json"))
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// jsonBody is the Content-Type rule: a request that declares a body type must declare JSON,
// and one that carries a body must declare it. A cross-site HTML form can only send
// text/plain, urlencoded or multipart bodies, so no form ever reaches a handler.
func jsonBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

var errPanic = &panicError{}

type panicError struct{}

func (*panicError) Error() string { return "internal error" }

// routeOf names the request by its route pattern rather than its path, so credential ids
// in paths stay out of the logs and log cardinality stays bounded.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (unmatched)"
}

// requestID keeps a caller's X-Request-Id when it is short and plain, else makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && plain(id) {
		return id
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// tracer is the global provider's: a no-op unless tracing is configured (PASSKEYD_OTLP_ENDPOINT).
var tracer = otel.Tracer("github.com/passkeyd/passkeyd/httpapi")
