package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"time"

	"github.com/passkeyd/passkeyd/config"
)

// checkWebhooks checks that each webhook receiver can be reached: a TCP connection, and for
// https a TLS handshake with certificate verification. It sends no request: an unsigned
// probe would be an event the receiver must refuse. Only scheme and host are printed, as a
// URL's path or query may hold a receiver's token.
func (d *doctorReport) checkWebhooks(ctx context.Context, cfg *config.Config) {
	if len(cfg.WebhookURLs) == 0 {
		d.ok("webhooks", "not configured")
		return
	}
	for _, raw := range cfg.WebhookURLs {
		u, err := url.Parse(raw) // config.Load has checked the form
		if err != nil {
			d.fail("webhooks", "fix PASSKEYD_WEBHOOK_URLS", "a webhook URL does not parse: %v", err)
			continue
		}
		where := u.Scheme + "://" + u.Host
		port := u.Port()
		if port == "" {
			port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
		}
		start := time.Now()
		if err := dialReceiver(ctx, u.Scheme, u.Hostname(), port); err != nil {
			d.fail("webhooks", "check that the receiver runs and this host may reach it (DNS, firewall, certificate); deliveries are retried meanwhile and dead-lettered after a while",
				"%s cannot be reached: %v", where, err)
			continue
		}
		d.ok("webhooks", "%s reachable in %v", where, time.Since(start).Round(time.Microsecond))
	}
}

func dialReceiver(ctx context.Context, scheme, host, port string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addr := net.JoinHostPort(host, port)
	if scheme == "https" {
		conn, err := (&tls.Dialer{Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}
