// Package httpapi is passkeyd's HTTP layer: routes, JSON encoding, problem+json errors,
// sessions in cookies and bearer tokens, the CSRF rule and the middleware around them. It
// is the one place where errors become status codes.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/token"
	"github.com/passkeyd/passkeyd/webhook"
)

// Deps is what the HTTP server needs.
type Deps struct {
	Accounts *account.Service
	// Origins are the web origins allowed to make cookie-authenticated state-changing
	// requests (the CSRF rule), normalised as scheme://host[:port].
	Origins []string
	// SecureCookies sets the Secure attribute on the session cookie; false only for plain
	// http on loopback names.
	SecureCookies bool
	Logger        *slog.Logger
	// Checks are the readiness probes of /readyz, by dependency name.
	Checks map[string]func(context.Context) error
	// Notes are shown in /readyz as "degraded" when they return an error, without making
	// it fail (e.g. "metadata": the last MDS refresh failed).
	Notes map[string]func() error
	// Draining, when it reports true, makes /readyz answer 503 "draining" at once: the
	// instance is shutting down and the load balancer should stop sending it requests,
	// which it still serves meanwhile. Nil: never.
	Draining func() bool
	// ClockNote, when it returns a note, is shown as /readyz's "clock" (this host's clock
	// is off from the database's). It does not fail readiness. Nil: none.
	ClockNote func() string
	// Web serves the reference pages and browser SDK (GET / and /assets/).
	Web http.Handler
	// OpenAPI is the document served at /api/openapi.json.
	OpenAPI []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics is the Prometheus registry the server's metrics go to; nil makes one with the
	// Go runtime and process collectors.
	Metrics *prometheus.Registry
	// RateLimit is the sustained rate, per client IP, of requests to the endpoints that
	// need no session (ceremony options and verifies); 0 disables it. RateBurst is the
	// bucket size.
	RateLimit float64
	RateBurst int
	// Limiter, when set, replaces the in-process per-IP limit (RateLimit, RateBurst).
	Limiter RateLimiter
	// Limits are the health of the limits shared through another store (ip, account,
	// lockout), each falling back to in-process counts when that store fails: /readyz says
	// when one is degraded, and /metrics exports passkeyd_limit_degraded and
	// passkeyd_limit_fallback_total. Empty: every limit is in process.
	Limits map[string]*ratelimit.Breaker
	// CORSOrigins are other origins (apps on other sites) allowed to call the API from a
	// browser. They get CORS headers without credentials: such apps use Bearer tokens,
	// never the session cookie.
	CORSOrigins []string
	// AdminToken enables the operator API (/admin/v1/…) for requests bearing it; empty
	// disables it.
	AdminToken string
	// SessionSecretLimiter and AccountSecretLimiter, when set, replace the in-process
	// buckets (per session, per account) of the endpoints where a signed-in session
	// presents a secret (PUT /api/v1/password, POST /api/v1/totp/confirm); Redis-backed
	// ones make the limit hold across instances.
	SessionSecretLimiter RateLimiter
	AccountSecretLimiter RateLimiter
	// AdminLimiter, when set, replaces the in-process per-IP bucket of the operator API.
	AdminLimiter RateLimiter
	// Webhooks, when set, is the webhook worker whose dead letters the operator API lists
	// and retries.
	Webhooks *webhook.Worker
	// MetricsElsewhere keeps /metrics off this handler (it is served on its own listener).
	MetricsElsewhere bool
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed when finding
	// a client's address (for rate limits and logs).
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds every request's work, store calls included: a request that
	// cannot be served in time (a saturated or unreachable database) gets 503 unavailable
	// instead of hanging. Zero means 10 seconds.
	RequestTimeout time.Duration
	// Tracing makes a server span of every request (PASSKEYD_OTLP_ENDPOINT is set). Without
	// it no span is started: a caller's trace context is still carried through to outbound
	// calls and log lines, at none of the cost of spans nobody records.
	Tracing bool
	// Tokens signs access tokens and publishes its keys (POST /api/v1/session/token,
	// /.well-known/jwks.json, GET /api/v1/authz); nil disables those endpoints.
	Tokens *token.Issuer
	// LoginURL is where forward authentication sends a browser without a session (an
	// absolute URL or a path on the first origin); empty: only requests with ?rd=.
	LoginURL string
	// OIDC, when set, is the OpenID provider (oidc.Provider.Handler): the discovery
	// document and /oidc/…; OIDCClients manages its clients for the operator API.
	OIDC        http.Handler
	OIDCClients OIDCClients
	// CookieDomain is the Domain attribute of the session cookie; empty: host-only. Hosts
	// under it are also allowed as return targets after sign-in.
	CookieDomain string
	// Apps are the related origins and native apps published under /.well-known/.
	Apps Apps
}

type server struct {
	Deps
	origins        map[string]bool
	metrics        *metrics
	rateLimiter    RateLimiter
	sessionSecrets RateLimiter
	accountSecrets RateLimiter
	admin          RateLimiter
	// localLimiter is the in-process per-IP bucket, the last resort when rateLimiter errs.
	localLimiter *ratelimit.Local
	cors         map[string]bool
	returns      *returnTarget
	wellKnown    wellKnown
}

// NewServer returns the passkeyd HTTP handler.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 10 * time.Second
	}
	s := &server{Deps: d, origins: map[string]bool{}, metrics: newMetrics(d.Metrics, d.Limits), rateLimiter: d.Limiter}
	s.localLimiter = ratelimit.NewLocal(d.RateLimit, d.RateBurst, d.Now)
	if s.rateLimiter == nil && s.localLimiter != nil {
		s.rateLimiter = s.localLimiter
	}
	s.sessionSecrets = localOr(d.SessionSecretLimiter, SessionSecretRate, SessionSecretBurst, d.Now)
	s.accountSecrets = localOr(d.AccountSecretLimiter, AccountSecretRate, AccountSecretBurst, d.Now)
	s.admin = localOr(d.AdminLimiter, AdminRate, AdminBurst, d.Now)
	for _, o := range d.Origins {
		s.origins[o] = true
	}
	s.returns = &returnTarget{origins: s.origins, cookieDomain: d.CookieDomain, allowHTTP: !d.SecureCookies}
	s.wellKnown = newWellKnown(d.Apps)
	s.cors = map[string]bool{}
	for _, o := range d.CORSOrigins {
		s.cors[o] = true
	}
	mux := http.NewServeMux()
	s.routes(mux)
	return s.middleware(s.corsMiddleware(mux))
}

// EventCounter returns a function that counts account events in reg under
// passkeyd_account_events_total (for account.Config.OnEvent). Call it before NewServer with
// the same registry.
func EventCounter(reg *prometheus.Registry) func(*passkeyd.AuditEvent) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passkeyd_account_events_total",
		Help: "Account events by type, method and outcome: sign-ins by method (fallback and recovery use), failures, clone warnings, factor changes.",
	}, []string{"type", "method", "outcome"})
	reg.MustRegister(c)
	return func(e *passkeyd.AuditEvent) { c.WithLabelValues(e.Type, e.Method, e.Outcome).Inc() }
}

// AttestationFailureCounter returns a function that counts failed attestation statements by
// format in reg (passkeyd_attestation_failures_total), for account.Config.OnAttestationFailure.
func AttestationFailureCounter(reg *prometheus.Registry) func(string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passkeyd_attestation_failures_total",
		Help: "Registrations refused because the attestation statement did not verify, by format.",
	}, []string{"format"})
	reg.MustRegister(c)
	return func(format string) { c.WithLabelValues(format).Inc() }
}

// MetadataRefreshCounter returns a function that counts FIDO metadata loads by outcome
// (passkeyd_metadata_refreshes_total{outcome="ok"|"failed"}) and records the time of the
// last good one (passkeyd_metadata_last_success_timestamp_seconds).
func MetadataRefreshCounter(reg *prometheus.Registry) func(error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passkeyd_metadata_refreshes_total",
		Help: "FIDO MDS3 BLOB loads by outcome; on failure the last good BLOB stays in force.",
	}, []string{"outcome"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "passkeyd_metadata_last_success_timestamp_seconds",
		Help: "Unix time of the last FIDO MDS3 BLOB that loaded and verified.",
	})
	reg.MustRegister(c, g)
	return func(err error) {
		if err != nil {
			c.WithLabelValues("failed").Inc()
			return
		}
		c.WithLabelValues("ok").Inc()
		g.SetToCurrentTime()
	}
}

// MetricsHandler serves the Prometheus registry, for a separate metrics listener.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// feature answers 404 not_found for the endpoints of a feature this deployment has turned
// off (a fallback not listed in PASSKEYD_FALLBACKS, say), as if they did not exist.
func (s *server) feature(on func() bool, what string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !on() {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "%s not enabled on this server", what))
			return
		}
		next.ServeHTTP(w, r)
	})
}
