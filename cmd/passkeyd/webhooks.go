package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/webhook"
)

// webhookDeliveries is what turns audit events into outbox rows when webhooks are
// configured (nil otherwise). Every command that writes audit events uses it, so an event
// is never recorded without its webhooks.
func webhookDeliveries(cfg *config.Config) func(*passkeyd.AuditEvent) []*passkeyd.WebhookDelivery {
	if len(cfg.WebhookURLs) == 0 {
		return nil
	}
	return (&webhook.Publisher{URLs: cfg.WebhookURLs}).Deliveries
}

// webhooks is the running delivery worker of serve.
type webhooks struct {
	w      *webhook.Worker
	cancel context.CancelFunc
	done   chan struct{}
}

// startWebhooks runs the delivery worker until ctx ends; nil when no URL is configured.
// Every instance runs one: leases keep them from sending a delivery twice.
func startWebhooks(ctx context.Context, cfg *config.Config, store passkeyd.OutboxStore, log *slog.Logger, reg prometheus.Registerer) *webhooks {
	if len(cfg.WebhookURLs) == 0 {
		return nil
	}
	h := &webhooks{
		w: webhook.NewWorker(store, webhook.Config{
			Secret: []byte(cfg.WebhookSecret), Logger: log.With("component", "webhooks"), Metrics: webhook.NewMetrics(reg),
			// The receiver may follow no redirect (a signed event must reach the URL that was
			// configured), and sees the trace context of the delivery.
			Client: &http.Client{Transport: tracedTransport(http.DefaultTransport), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		}),
		done: make(chan struct{}),
	}
	ctx, h.cancel = context.WithCancel(ctx)
	go func() { h.w.Run(ctx); close(h.done) }()
	log.Info("webhooks on", "receivers", len(cfg.WebhookURLs))
	return h
}

// stop ends the worker (serve's context has usually ended it already) and waits for it to
// record its last POSTs.
func (h *webhooks) stop() {
	h.cancel()
	<-h.done
}

func (h *webhooks) worker() *webhook.Worker {
	if h == nil {
		return nil
	}
	return h.w
}
