package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Config is how a Worker sends. Zero values are the defaults.
type Config struct {
	Secret []byte
	// Timeout bounds one POST, connection included (default 10s). A receiver that has not
	// answered by then has failed this attempt.
	Timeout time.Duration
	// PollInterval is how often the outbox is checked for due deliveries (default 1s).
	PollInterval time.Duration
	// Batch is how many deliveries one lease takes, all sent at once (default 16).
	Batch int
	// MaxAttempts and MaxAge dead-letter a delivery (defaults 20 and 72h).
	MaxAttempts int
	MaxAge      time.Duration
	// MinBackoff is the pause after the first failure, doubling after each one up to
	// MaxBackoff (defaults 5s and 1h), with jitter so that failed deliveries do not all
	// come back at once.
	MinBackoff, MaxBackoff time.Duration
	// Retention is how long delivered rows stay in the outbox (default 7 days).
	Retention time.Duration
	// Client sends the POSTs; nil is a client that follows no redirects.
	Client *http.Client
	Logger *slog.Logger
	// Metrics receives the counters and gauges; nil counts nothing.
	Metrics *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Worker sends the outbox's due deliveries. Workers on any number of instances may share
// one database: leases keep them from sending the same delivery.
type Worker struct {
	store passkeyd.OutboxStore
	cfg   Config
	wake  chan struct{}
}

// NewWorker returns a worker for store; call Run to start it.
func NewWorker(store passkeyd.OutboxStore, cfg Config) *Worker {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 10*time.Second)
	def(&cfg.PollInterval, time.Second)
	def(&cfg.MaxAge, 72*time.Hour)
	def(&cfg.MinBackoff, 5*time.Second)
	def(&cfg.MaxBackoff, time.Hour)
	def(&cfg.Retention, 7*24*time.Hour)
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.Client == nil {
		// A redirect is an answer that is not 2xx: following it would send signed security
		// events to an address nobody configured.
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{store: store, cfg: cfg, wake: make(chan struct{}, 1)}
}

// lease is how long a leased batch is this worker's: every POST of the batch runs at once
// and ends within Timeout, so twice that plus the store calls is ample; a worker that dies
// leaves its batch to others after it.
func (w *Worker) lease() time.Duration { return 2*w.cfg.Timeout + 30*time.Second }

// Run sends deliveries until ctx ends, then waits for the POSTs in flight to finish (at most
// Timeout) and records their outcome, so that a graceful stop sends nothing twice.
func (w *Worker) Run(ctx context.Context) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	var lastStats, lastPrune time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-w.wake:
		}
		full := w.pass(ctx)
		if now := w.cfg.Now(); now.Sub(lastStats) >= 10*time.Second {
			lastStats = now
			w.observe(ctx)
		}
		if now := w.cfg.Now(); now.Sub(lastPrune) >= time.Hour {
			lastPrune = now
			w.prune(ctx)
		}
		next := w.cfg.PollInterval
		if full {
			next = 0 // more are due: do not wait
		}
		poll.Reset(next)
	}
}

// Notify makes the worker look at the outbox now rather than at its next poll.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pass leases one batch and sends it; it says whether the batch was full.
func (w *Worker) pass(ctx context.Context) bool {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	token := newID()
	ds, err := w.store.LeaseWebhooks(lctx, token, w.cfg.Now(), w.lease(), w.cfg.Batch)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			w.cfg.Logger.Warn("webhook outbox unavailable", "err", err)
		}
		return false
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not cancelled by ctx: a POST under way finishes and is recorded.
			w.deliver(context.WithoutCancel(ctx), d, token)
		}()
	}
	wg.Wait()
	return len(ds) == w.cfg.Batch
}

func (w *Worker) deliver(ctx context.Context, d *passkeyd.WebhookDelivery, token string) {
	err := w.post(ctx, d)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := w.cfg.Now()
	if err == nil {
		w.cfg.Metrics.count("delivered")
		if err := w.store.MarkWebhookDelivered(sctx, d.ID, now); err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
			// It stays leased and comes back after the lease: one duplicate, never a loss.
			w.cfg.Logger.Warn("webhook delivered but not recorded", "delivery", d.ID, "err", err)
		}
		return
	}
	w.cfg.Metrics.count("failed")
	dead, merr := w.store.MarkWebhookFailed(sctx, d.ID, token, passkeyd.WebhookFailure{
		At: now, NextAttempt: now.Add(w.backoff(d.Attempts + 1)), Error: truncate(err.Error(), 500),
		MaxAttempts: w.cfg.MaxAttempts, MaxAge: w.cfg.MaxAge,
	})
	switch {
	case merr != nil && !errors.Is(merr, passkeyd.ErrNotFound):
		w.cfg.Logger.Warn("webhook failure not recorded", "delivery", d.ID, "err", merr)
	case dead:
		w.cfg.Metrics.count("dead")
		w.cfg.Logger.Error("webhook dead-lettered: retry it with passkeyd admin webhook-retry", "delivery", d.ID, "event", d.EventID, "host", host(d.URL), "attempts", d.Attempts+1, "err", err)
	default:
		w.cfg.Logger.Info("webhook attempt failed", "delivery", d.ID, "host", host(d.URL), "attempt", d.Attempts+1, "err", err)
	}
}

// post sends one delivery; nil means the receiver answered 2xx.
func (w *Worker) post(ctx context.Context, d *passkeyd.WebhookDelivery) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "passkeyd-webhooks/1")
	// Signed at each attempt, so that a retry hours later still passes the receiver's
	// replay window; the body (and its id) never changes.
	req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, w.cfg.Now(), d.Body))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a receiver's token: keep it out of logs and the store
		}
		return fmt.Errorf("POST: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// backoff is the pause before attempt n+1 after n failures: MinBackoff doubling, capped at
// MaxBackoff, then drawn from its upper half ("equal jitter") so that retries spread out
// but never come much sooner than planned.
func (w *Worker) backoff(n int) time.Duration {
	d := w.cfg.MinBackoff
	for i := 1; i < n && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.cfg.MaxBackoff)
	return d/2 + mrand.N(d/2+1)
}

func (w *Worker) observe(ctx context.Context) {
	if w.cfg.Metrics == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := w.store.OutboxStats(ctx)
	if err != nil {
		return
	}
	w.cfg.Metrics.set(st, w.cfg.Now())
}

func (w *Worker) prune(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if n, err := w.store.PruneWebhooks(ctx, w.cfg.Now().Add(-w.cfg.Retention)); err != nil {
		w.cfg.Logger.Warn("webhook outbox prune failed", "err", err)
	} else if n > 0 {
		w.cfg.Logger.Debug("delivered webhooks pruned", "count", n)
	}
}

// DeadLetters lists dead deliveries, oldest first (at most 500), for operators.
func (w *Worker) DeadLetters(ctx context.Context) ([]*passkeyd.WebhookDelivery, error) {
	return w.store.DeadWebhooks(ctx, 500)
}

// Retry makes a dead delivery pending again and sends it at once.
func (w *Worker) Retry(ctx context.Context, id string) error {
	if err := w.store.RetryWebhook(ctx, id, w.cfg.Now()); err != nil {
		return err
	}
	w.Notify()
	return nil
}

func host(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
