package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// algorithms maps the COSE algorithm names accepted in policy.algorithms to their ids.
var algorithms = map[string]int64{
	"ES256": -7, "EdDSA": -8, "ES384": -35, "ES512": -36,
	"RS256": -257, "RS384": -258, "RS512": -259,
	"PS256": -37, "PS384": -38, "PS512": -39,
	"ML-DSA-44": -48, "ML-DSA-65": -49, "ML-DSA-87": -50,
}

// names of every setting as the error messages give them.
func name(key string) string {
	for _, s := range settings {
		if s.key == key {
			return fmt.Sprintf("%s (%s, -%s)", s.key, s.env, s.flag)
		}
	}
	return key
}

// Validate checks every setting and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name(key), fmt.Sprintf(format, args...)))
	}

	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("addr", "%q is not host:port; use e.g. localhost:8080 or :8080", c.Addr)
	}
	c.validateRP(bad)
	if c.RPName == "" {
		bad("rpName", "must not be empty; it is the name authenticators show, e.g. \"Example\"")
	}
	if _, _, err := c.Database(); err != nil {
		bad("databaseURL", "%v", err)
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "redis-sentinel" && u.Scheme != "redis-cluster") {
			bad("redisURL", "%q: use redis://host:6379/0, rediss://… (TLS), redis-sentinel://… or redis-cluster://…, or leave empty for in-process challenges", c.RedisURL)
		}
	}
	for i, f := range c.Fallbacks {
		if f == "none" && len(c.Fallbacks) == 1 {
			c.Fallbacks = c.Fallbacks[:0]
			break
		}
		switch f {
		case "password", "totp", "recovery_code":
		default:
			bad("fallbacks", "unknown fallback %q (item %d); allowed: password, totp, recovery_code, or \"none\" for passkeys only", f, i+1)
		}
	}
	within := func(key string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			bad(key, "%v is outside %v to %v", d, lo, hi)
		}
	}
	if c.PasswordMinScore < 0 || c.PasswordMinScore > 4 {
		bad("passwordMinScore", "%d is outside 0 (off) to 4 (zxcvbn's scores); the default 3 refuses password123-like passwords", c.PasswordMinScore)
	}
	if c.PasswordBreachURL != "" {
		if u, err := url.Parse(c.PasswordBreachURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackName(u.Hostname()))) {
			bad("passwordBreachURL", "%q: use an https URL such as https://api.pwnedpasswords.com (http only on loopback)", c.PasswordBreachURL)
		}
	}
	if c.SignInCache < 0 || c.SignInCache > 1_000_000 {
		bad("signInCache", "%d is outside 0 (off) to 1000000 passkeys; each takes about 1.1 KB of heap, the default 1024 about 1.1 MB", c.SignInCache)
	}
	within("challengeTTL", c.ChallengeTTL, 10*time.Second, 30*time.Minute)
	within("databaseTimeout", c.DatabaseTimeout, 100*time.Millisecond, time.Minute)
	within("redisTimeout", c.RedisTimeout, 50*time.Millisecond, 30*time.Second)
	within("sessionTTL", c.SessionTTL, time.Minute, 8760*time.Hour)
	within("reauthWindow", c.ReauthWindow, time.Second, 24*time.Hour)
	within("shutdownTimeout", c.ShutdownTimeout, 0, 10*time.Minute)
	within("drainTimeout", c.DrainTimeout, 0, 10*time.Minute)
	if c.AccountRateLimit < 0 || c.AccountRateBurst < 1 {
		bad("accountRateLimit", "rate %v/s and burst %d: the rate must be 0 (off) or positive and the burst at least 1", c.AccountRateLimit, c.AccountRateBurst)
	}
	if c.RateLimit < 0 || c.RateBurst < 1 {
		bad("rateLimit", "rate %v/s and burst %d: the rate must be 0 (off) or positive and the burst at least 1", c.RateLimit, c.RateBurst)
	}
	if a := c.Argon2; a.MemoryKiB < 8*1024 || a.MemoryKiB > 256*1024 || a.Time < 1 || a.Time > 10 || a.Threads < 1 || a.Threads > 16 {
		bad("argon2.memoryKiB", "argon2id m=%d KiB, t=%d, p=%d: use 8192–262144 KiB, 1–10 passes, 1–16 lanes (RFC 9106: 65536, 3, 2 is a sound default)", a.MemoryKiB, a.Time, a.Threads)
	}
	if a := c.Argon2; a.Concurrency < 0 || a.Concurrency > 1024 || a.Queue < 0 || a.Queue > 100_000 {
		bad("argon2.concurrency", "concurrency %d and queue %d: use 0 (one per CPU) to 1024 hashes at once and 0 (4×concurrency) to 100000 waiting", a.Concurrency, a.Queue)
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		bad("trustedProxies", "%v; use addresses or CIDR ranges such as 10.0.0.0/8", err)
	}
	oneOf := func(key, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	oneOf("logLevel", c.LogLevel, "debug", "info", "warn", "error")
	oneOf("passkeyRole", c.PasskeyRole, "primary", "second-factor")
	for i, o := range c.CORSOrigins {
		n, err := normalizeOrigin(o)
		if err != nil {
			bad("corsOrigins", "%q is not an origin (scheme://host[:port])", o)
			continue
		}
		c.CORSOrigins[i] = n
	}
	if c.OTLPEndpoint != "" {
		if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("otlpEndpoint", "%q: use the collector's OTLP/HTTP URL, e.g. http://otel-collector:4318", c.OTLPEndpoint)
		}
	}
	if c.AdminToken != "" {
		if bits := tokenBits(c.AdminToken); bits < minTokenBits {
			bad("adminToken", "the admin token is too guessable (about %.0f bits; at least %d are needed, e.g. 22 random base64 or 32 random hex characters without patterns); generate one with: openssl rand -base64 32", bits, minTokenBits)
		}
	}
	if _, err := c.Keyring(); err != nil {
		bad("encryptionKeys", "%v; each key is base64 of 32 random bytes: generate one with openssl rand -base64 32", err)
	}
	for _, raw := range c.WebhookURLs {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			bad("webhookURLs", "%q is not an http(s) URL, e.g. https://app.example.com/passkeyd-events", raw)
		case u.Scheme == "http" && !loopbackName(u.Hostname()):
			bad("webhookURLs", "%q must use https: security events carry user ids and addresses (plain http only on localhost/127.0.0.1/::1)", raw)
		}
	}
	if len(c.WebhookURLs) > 0 && len(c.WebhookSecret) < 32 {
		bad("webhookSecret", "webhooks need a secret of at least 32 bytes, shared with the receivers; generate one with: openssl rand -hex 32")
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("metricsAddr", "%q is not host:port, e.g. 127.0.0.1:9090", c.MetricsAddr)
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		bad("pprof", "the profiler is only served on the metrics listener: set metricsAddr (PASSKEYD_METRICS_ADDR) to a private address too")
	}
	if c.PasskeyRole == "second-factor" && !slices.Contains(c.Fallbacks, "password") {
		bad("passkeyRole", "second-factor needs the password fallback (PASSKEYD_FALLBACKS must include password)")
	}
	c.validateTokens(bad)
	c.validateApps(bad)
	c.validateOIDC(bad)
	oneOf("logFormat", c.LogFormat, "text", "json")
	p := &c.Policy
	oneOf("policy.userVerification", p.UserVerification, "required", "preferred", "discouraged")
	oneOf("policy.residentKey", p.ResidentKey, "required", "preferred", "discouraged")
	oneOf("policy.attestation", p.Attestation, "none", "indirect", "direct", "enterprise")
	oneOf("policy.counter", p.Counter, "refuse", "warn")
	for _, pr := range []struct {
		key string
		p   Profile
	}{{"policy.profiles.platform", p.Profiles.Platform}, {"policy.profiles.crossPlatform", p.Profiles.CrossPlatform}} {
		for _, v := range []string{pr.p.ResidentKey, pr.p.UserVerification} {
			if v != "required" && v != "preferred" && v != "discouraged" {
				errs = append(errs, fmt.Errorf("%s (file only): %q is not one of required, preferred, discouraged", pr.key, v))
			}
		}
	}
	c.validateTrust(bad)
	seenES256 := false
	for _, a := range p.Algorithms {
		if _, ok := algorithms[a]; !ok {
			bad("policy.algorithms", "unknown algorithm %q; allowed: ES256, EdDSA, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, ML-DSA-44, ML-DSA-65, ML-DSA-87", a)
		}
		seenES256 = seenES256 || a == "ES256"
	}
	if !seenES256 {
		bad("policy.algorithms", "must include ES256: it is the one algorithm every platform authenticator supports, without it many devices cannot register")
	}
	return errors.Join(errs...)
}

// validateRP checks the RP ID and origins against each other (WebAuthn §5.1.3: the RP ID
// must be the origin's host or a registrable suffix of it).
func (c *Config) validateRP(bad func(key, format string, args ...any)) {
	rp := c.RPID
	switch {
	case rp == "":
		bad("rpID", "must not be empty; use your site's domain, e.g. example.com")
		return
	case rp != strings.ToLower(rp) || strings.ContainsAny(rp, ":/ ") || net.ParseIP(strings.Trim(rp, "[]")) != nil:
		bad("rpID", "%q must be a lowercase domain name without scheme, port or path (IP addresses cannot be RP IDs)", rp)
		return
	}
	if len(c.Origins) == 0 {
		bad("origins", "at least one origin is required, e.g. https://%s", rp)
	}
	suffix, _ := publicsuffix.PublicSuffix(rp)
	isPublicSuffix := suffix == rp && rp != "localhost"
	for i, raw := range c.Origins {
		if strings.Contains(raw, ":") && !strings.Contains(raw, "://") {
			if strings.HasPrefix(raw, "android:apk-key-hash:") || strings.HasPrefix(raw, "ios:bundle-id:") {
				continue
			}
		}
		o, err := normalizeOrigin(raw)
		if err != nil {
			bad("origins", "%q is not an origin (scheme://host[:port], no path): %v", raw, err)
			continue
		}
		c.Origins[i] = o
		u, _ := url.Parse(o)
		host := u.Hostname()
		if u.Scheme != "https" && !(u.Scheme == "http" && loopbackName(host)) {
			bad("origins", "%q must use https (plain http is allowed only on localhost); use https://… or run behind a TLS-terminating proxy", raw)
		}
		if host != rp && !strings.HasSuffix(host, "."+rp) {
			bad("rpID", "%q is neither the host of origin %s nor a parent domain of it; set PASSKEYD_RP_ID to %q or a parent domain", rp, o, host)
			continue
		}
		if isPublicSuffix && host != rp {
			bad("rpID", "%q is a public suffix; passkeys bound to it would be shared with every site under it. Use your registrable domain (e.g. %s)", rp, host)
		}
	}
}

func loopbackName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "127.0.0.1" || host == "::1"
}

// normalizeOrigin lowercases scheme and host and drops default ports and a trailing slash.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" {
		return "", errors.New("missing scheme or host")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("an origin has no path, query, fragment or user")
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}
