package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
)

// Metrics are the webhook counters and outbox gauges.
type Metrics struct {
	attempts      *prometheus.CounterVec
	pending, dead prometheus.Gauge
	oldestPending prometheus.Gauge
}

// NewMetrics registers passkeyd_webhook_deliveries_total{outcome} (delivered, failed: one
// per failed attempt, dead: deliveries given up on) and the gauges
// passkeyd_webhook_outbox_pending, passkeyd_webhook_outbox_dead and
// passkeyd_webhook_outbox_oldest_pending_seconds in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passkeyd_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: delivered (2xx), failed (anything else; retried), dead (given up; an operator may retry).",
		}, []string{"outcome"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "passkeyd_webhook_outbox_pending", Help: "Webhook deliveries waiting to be sent or retried."}),
		dead:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "passkeyd_webhook_outbox_dead", Help: "Dead-lettered webhook deliveries (GET /admin/v1/webhooks/dead)."}),
		oldestPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "passkeyd_webhook_outbox_oldest_pending_seconds",
			Help: "Age of the oldest webhook delivery not yet sent (0 when none): how far receivers lag behind.",
		}),
	}
	for _, o := range []string{"delivered", "failed", "dead"} {
		m.attempts.WithLabelValues(o) // present from the start, so rates work
	}
	reg.MustRegister(m.attempts, m.pending, m.dead, m.oldestPending)
	return m
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.attempts.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) set(st passkeyd.OutboxStats, now time.Time) {
	m.pending.Set(float64(st.Pending))
	m.dead.Set(float64(st.Dead))
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = max(0, now.Sub(st.OldestPending).Seconds())
	}
	m.oldestPending.Set(age)
}
