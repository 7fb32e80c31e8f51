package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/ratelimit"
)

// metrics are the server's Prometheus metrics. Labels are bounded: route patterns, status
// codes, ceremony names and the contract's error codes — never user or credential ids.
type metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	ceremonies      *prometheus.CounterVec
	ceremonyLatency *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, limits map[string]*ratelimit.Breaker) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passkeyd_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "passkeyd_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		ceremonies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passkeyd_ceremonies_total",
			Help: "Completed ceremony verifications by ceremony (registration, authentication), outcome (success, failure) and error code.",
		}, []string{"ceremony", "outcome", "code"}),
		ceremonyLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "passkeyd_ceremony_verify_duration_seconds", Help: "Server time of a ceremony verify request.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"ceremony"}),
	}
	reg.MustRegister(m.requests, m.duration, m.ceremonies, m.ceremonyLatency)
	for name, b := range limits {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "passkeyd_limit_fallback_total", ConstLabels: prometheus.Labels{"limiter": name},
				Help: "Limit decisions made with this instance's counts because the shared store (Redis) could not answer, by limiter (ip, account, lockout).",
			}, func() float64 { return float64(b.Fallbacks()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "passkeyd_limit_degraded", ConstLabels: prometheus.Labels{"limiter": name},
				Help: "1 while the limiter counts in process only because its shared store (Redis) is failing.",
			}, func() float64 {
				if b.Degraded() {
					return 1
				}
				return 0
			}),
		)
	}
	return m
}

func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// observeCeremony records a verify's outcome; err nil is a success.
func (m *metrics) observeCeremony(ceremony passkeyd.Ceremony, start time.Time, err error) {
	outcome, code := "success", ""
	if err != nil {
		outcome, code = "failure", string(passkeyd.ErrorCode(err))
	}
	m.ceremonies.WithLabelValues(string(ceremony), outcome, code).Inc()
	m.ceremonyLatency.WithLabelValues(string(ceremony)).Observe(time.Since(start).Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// PasswordQueueMetrics exports the password hasher's bounded queue in reg: hashes running
// and waiting, the bounds, and refusals (each a 503 to a client). A queue that is often
// full means argon2id costs more than the hardware serves, or someone is flooding it.
func PasswordQueueMetrics(reg *prometheus.Registry, h *password.Hasher) {
	if h == nil {
		return
	}
	gauge := func(name, help string, f func(password.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(h.Stats()) })
	}
	reg.MustRegister(
		gauge("passkeyd_password_hashes_running", "Password hashes (argon2id, bcrypt) computing now.", func(s password.Stats) float64 { return float64(s.Running) }),
		gauge("passkeyd_password_hashes_waiting", "Password hashes queued for a free slot.", func(s password.Stats) float64 { return float64(s.Waiting) }),
		gauge("passkeyd_password_hash_concurrency", "Password hashes that may run at once (argon2.concurrency).", func(s password.Stats) float64 { return float64(s.Concurrency) }),
		gauge("passkeyd_password_hash_queue_size", "Password hashes that may wait (argon2.queue).", func(s password.Stats) float64 { return float64(s.QueueSize) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "passkeyd_password_hashes_rejected_total",
			Help: "Password hashes refused because the queue was full or the request's deadline passed (answered 503 unavailable).",
		}, func() float64 { return float64(h.Stats().Rejected) }),
	)
}

// PasswordBreachMetrics exports the breach lookup's failures: each one let a new password
// through unchecked by the range API (it fails open), so a rising count means the check is
// off in practice.
func PasswordBreachMetrics(reg *prometheus.Registry, c *password.RangeChecker) {
	if c == nil {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "passkeyd_password_breach_check_failures_total",
		Help: "Breach range lookups (passwordBreachURL) that failed, letting the new password through.",
	}, func() float64 { return float64(c.Failures()) }))
}
