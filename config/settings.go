package config

import (
	"strconv"
	"strings"
	"time"
)

// setting ties one configuration value to its file key, environment variable and flag, so
// the three layers and the usage text cannot drift apart.
type setting struct {
	key, env, flag, help string
	set                  func(c *Config, v string) error
	get                  func(c *Config) string
}

// binding reads and writes one field of Config from and to its string form.
type binding struct {
	set func(c *Config, v string) error
	get func(c *Config) string
}

func str(p func(c *Config) *string) binding {
	return binding{func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil },
		func(c *Config) string { return *p(c) }}
}

func dur(p func(c *Config) *time.Duration) binding {
	return binding{func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	},
		func(c *Config) string { return p(c).String() }}
}

func boolean(p func(c *Config) *bool) binding {
	return binding{func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return err
		}
		*p(c) = b
		return nil
	},
		func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func mk(key, env, flag, help string, b binding) setting {
	return setting{key: key, env: env, flag: flag, help: help, set: b.set, get: b.get}
}

var settings = []setting{
	mk("addr", "PASSKEYD_ADDR", "addr", "listen address host:port",
		str(func(c *Config) *string { return &c.Addr })),
	mk("rpID", "PASSKEYD_RP_ID", "rp-id", "WebAuthn relying party ID: the registrable domain passkeys are bound to",
		str(func(c *Config) *string { return &c.RPID })),
	mk("rpName", "PASSKEYD_RP_NAME", "rp-name", "relying party name shown by authenticators",
		str(func(c *Config) *string { return &c.RPName })),
	{key: "origins", env: "PASSKEYD_ORIGINS", flag: "origins", help: "comma-separated origins allowed to run ceremonies (https, or http on localhost)",
		set: func(c *Config, v string) error { c.Origins, c.originsSet = splitList(v), true; return nil },
		get: func(c *Config) string { return strings.Join(c.Origins, ",") }},
	mk("databaseURL", "PASSKEYD_DATABASE_URL", "database-url", "sqlite://path/file.db or postgres://…",
		str(func(c *Config) *string { return &c.DatabaseURL })),
	mk("databaseTimeout", "PASSKEYD_DATABASE_TIMEOUT", "database-timeout", "bound on each PostgreSQL operation, connect and statement (100ms to 60s)",
		dur(func(c *Config) *time.Duration { return &c.DatabaseTimeout })),
	mk("redisURL", "PASSKEYD_REDIS_URL", "redis-url", "Redis for challenges, shared rate limits and lockouts (empty: in process)",
		str(func(c *Config) *string { return &c.RedisURL })),
	mk("redisTimeout", "PASSKEYD_REDIS_TIMEOUT", "redis-timeout", "bound on each Redis read and write (50ms to 30s)",
		dur(func(c *Config) *time.Duration { return &c.RedisTimeout })),
	{key: "fallbacks", env: "PASSKEYD_FALLBACKS", flag: "fallbacks", help: "comma-separated fallbacks: password, totp, recovery_code (empty: passkeys only)",
		set: func(c *Config, v string) error { c.Fallbacks = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Fallbacks, ",") }},
	mk("challengeTTL", "PASSKEYD_CHALLENGE_TTL", "challenge-ttl", "how long a ceremony challenge stays valid (10s to 30m)",
		dur(func(c *Config) *time.Duration { return &c.ChallengeTTL })),
	mk("sessionTTL", "PASSKEYD_SESSION_TTL", "session-ttl", "session lifetime (1m to 8760h)",
		dur(func(c *Config) *time.Duration { return &c.SessionTTL })),
	mk("reauthWindow", "PASSKEYD_REAUTH_WINDOW", "reauth-window", "how recent a sign-in must be to change passkeys, password, TOTP or recovery codes, or delete the account (1s to 24h)",
		dur(func(c *Config) *time.Duration { return &c.ReauthWindow })),
	mk("shutdownTimeout", "PASSKEYD_SHUTDOWN_TIMEOUT", "shutdown-timeout", "how long in-flight requests may run after SIGTERM",
		dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })),
	mk("drainTimeout", "PASSKEYD_DRAIN_TIMEOUT", "drain-timeout", "after SIGTERM, how long /readyz fails while requests are still served, before shutdownTimeout starts (longer than the load balancer's check interval × fall)",
		dur(func(c *Config) *time.Duration { return &c.DrainTimeout })),
	mk("logLevel", "PASSKEYD_LOG_LEVEL", "log-level", "debug, info, warn or error",
		str(func(c *Config) *string { return &c.LogLevel })),
	mk("logFormat", "PASSKEYD_LOG_FORMAT", "log-format", "text or json",
		str(func(c *Config) *string { return &c.LogFormat })),
	mk("fidoConformance", "PASSKEYD_FIDO_CONFORMANCE", "fido-conformance", "expose the FIDO2 conformance API",
		boolean(func(c *Config) *bool { return &c.FIDOConformance })),
	{key: "rateLimit", env: "PASSKEYD_RATE_LIMIT", flag: "rate-limit", help: "requests per second per client IP to the session-less endpoints (0: no limit)",
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			c.RateLimit = f
			return err
		},
		get: func(c *Config) string { return strconv.FormatFloat(c.RateLimit, 'f', -1, 64) }},
	{key: "rateBurst", env: "PASSKEYD_RATE_BURST", flag: "rate-burst", help: "burst size of the per-IP limit",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.RateBurst = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.RateBurst) }},
	{key: "accountRateLimit", env: "PASSKEYD_ACCOUNT_RATE_LIMIT", flag: "account-rate-limit", help: "requests per second per username to the endpoints that name one (0: no limit)",
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			c.AccountRateLimit = f
			return err
		},
		get: func(c *Config) string { return strconv.FormatFloat(c.AccountRateLimit, 'f', -1, 64) }},
	{key: "accountRateBurst", env: "PASSKEYD_ACCOUNT_RATE_BURST", flag: "account-rate-burst", help: "burst size of the per-username limit",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.AccountRateBurst = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.AccountRateBurst) }},
	{key: "trustedProxies", env: "PASSKEYD_TRUSTED_PROXIES", flag: "trusted-proxies", help: "comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed",
		set: func(c *Config, v string) error { c.TrustedProxies = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.TrustedProxies, ",") }},
	{key: "corsOrigins", env: "PASSKEYD_CORS_ORIGINS", flag: "cors-origins", help: "comma-separated origins of other sites allowed to call the API (Bearer tokens)",
		set: func(c *Config, v string) error { c.CORSOrigins = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.CORSOrigins, ",") }},
	mk("otlpEndpoint", "PASSKEYD_OTLP_ENDPOINT", "otlp-endpoint", "OTLP/HTTP collector for traces, e.g. http://otel-collector:4318 (empty: off)",
		str(func(c *Config) *string { return &c.OTLPEndpoint })),
	mk("adminToken", "PASSKEYD_ADMIN_TOKEN", "admin-token", "Bearer token of the operator API (empty: disabled; at least 128 bits, e.g. openssl rand -base64 32)",
		str(func(c *Config) *string { return &c.AdminToken })),
	{key: "encryptionKeys", env: "PASSKEYD_ENCRYPTION_KEYS", flag: "encryption-keys", help: "comma-separated base64 32-byte keys encrypting secrets at rest; the first seals (openssl rand -base64 32)",
		set: func(c *Config, v string) error { c.EncryptionKeys = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.EncryptionKeys, ",") }},
	{key: "webhookURLs", env: "PASSKEYD_WEBHOOK_URLS", flag: "webhook-urls", help: "comma-separated URLs that receive security events as signed POSTs (https, or http on loopback; empty: none)",
		set: func(c *Config, v string) error { c.WebhookURLs = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.WebhookURLs, ",") }},
	mk("webhookSecret", "PASSKEYD_WEBHOOK_SECRET", "webhook-secret", "HMAC-SHA256 key of the webhook signatures (at least 32 bytes)",
		str(func(c *Config) *string { return &c.WebhookSecret })),
	mk("metricsAddr", "PASSKEYD_METRICS_ADDR", "metrics-addr", "serve /metrics on this host:port instead of the main listener",
		str(func(c *Config) *string { return &c.MetricsAddr })),
	mk("pprof", "PASSKEYD_PPROF", "pprof", "serve Go's profiler at /debug/pprof/ on the metrics listener (needs metricsAddr)",
		boolean(func(c *Config) *bool { return &c.Pprof })),
	mk("passkeyRole", "PASSKEYD_PASSKEY_ROLE", "passkey-role", "primary (passkeys sign in) or second-factor (after a password)",
		str(func(c *Config) *string { return &c.PasskeyRole })),
	mk("issuer", "PASSKEYD_ISSUER", "issuer", "iss of signed tokens (and the OpenID issuer); empty: the first origin",
		str(func(c *Config) *string { return &c.Tokens.Issuer })),
	{key: "tokenAudience", env: "PASSKEYD_TOKEN_AUDIENCE", flag: "token-audience", help: "comma-separated aud of access tokens: the apps they are for (empty: the issuer)",
		set: func(c *Config, v string) error { c.Tokens.Audience = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Tokens.Audience, ",") }},
	mk("tokenLifetime", "PASSKEYD_TOKEN_LIFETIME", "token-lifetime", "lifetime of an access token (10s to 1h)",
		dur(func(c *Config) *time.Duration { return &c.Tokens.Lifetime })),
	mk("signingAlgorithm", "PASSKEYD_SIGNING_ALGORITHM", "signing-algorithm", "algorithm of signed tokens: ES256 or EdDSA",
		str(func(c *Config) *string { return &c.Tokens.SigningAlgorithm })),
	mk("signingKeyRotation", "PASSKEYD_SIGNING_KEY_ROTATION", "signing-key-rotation", "how long one signing key signs before the next takes over (1s to 8760h)",
		dur(func(c *Config) *time.Duration { return &c.Tokens.SigningKeyRotation })),
	mk("loginURL", "PASSKEYD_LOGIN_URL", "login-url", "sign-in page forward authentication sends browsers without a session to (empty: only with ?rd=)",
		str(func(c *Config) *string { return &c.Tokens.LoginURL })),
	mk("cookieDomain", "PASSKEYD_COOKIE_DOMAIN", "cookie-domain", "Domain of the session cookie: the RP ID or a parent of it (empty: host-only)",
		str(func(c *Config) *string { return &c.Tokens.CookieDomain })),
	{key: "apps.relatedOrigins", env: "PASSKEYD_RELATED_ORIGINS", flag: "related-origins", help: "comma-separated origins on other domains allowed to use the RP ID (published at /.well-known/webauthn)",
		set: func(c *Config, v string) error { c.Apps.RelatedOrigins = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Apps.RelatedOrigins, ",") }},
	{key: "apps.android", env: "PASSKEYD_ANDROID_APPS", flag: "android-apps", help: "comma-separated package.name:SHA256-fingerprint of Android apps (assetlinks.json, android:apk-key-hash origins)",
		set: func(c *Config, v string) error { c.Apps.Android = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Apps.Android, ",") }},
	{key: "apps.ios", env: "PASSKEYD_IOS_APPS", flag: "ios-apps", help: "comma-separated TEAMID.bundle.id of iOS apps (apple-app-site-association webcredentials)",
		set: func(c *Config, v string) error { c.Apps.IOS = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Apps.IOS, ",") }},
	{key: "argon2.memoryKiB", env: "PASSKEYD_ARGON2_MEMORY_KIB", flag: "argon2-memory-kib", help: "argon2id memory per password hash, KiB",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			c.Argon2.MemoryKiB = uint32(n)
			return err
		},
		get: func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2.MemoryKiB), 10) }},
	{key: "argon2.time", env: "PASSKEYD_ARGON2_TIME", flag: "argon2-time", help: "argon2id passes per password hash",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			c.Argon2.Time = uint32(n)
			return err
		},
		get: func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2.Time), 10) }},
	{key: "argon2.threads", env: "PASSKEYD_ARGON2_THREADS", flag: "argon2-threads", help: "argon2id lanes per password hash",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 8)
			c.Argon2.Threads = uint8(n)
			return err
		},
		get: func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2.Threads), 10) }},
	{key: "argon2.concurrency", env: "PASSKEYD_ARGON2_CONCURRENCY", flag: "argon2-concurrency", help: "password hashes computed at once (0: GOMAXPROCS)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.Argon2.Concurrency = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.Argon2.Concurrency) }},
	{key: "argon2.queue", env: "PASSKEYD_ARGON2_QUEUE", flag: "argon2-queue", help: "password hashes that may wait for a free slot (0: 4×concurrency); beyond it 503",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.Argon2.Queue = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.Argon2.Queue) }},
	{key: "passwordMinScore", env: "PASSKEYD_PASSWORD_MIN_SCORE", flag: "password-min-score", help: "least zxcvbn strength (0-4) of a new password; 0: only the length and the bundled breach list",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.PasswordMinScore = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.PasswordMinScore) }},
	{key: "signInCache", env: "PASSKEYD_SIGNIN_CACHE", flag: "signin-cache", help: "passkeys (with their owners) kept in memory for sign-ins, about 1.1 KB each (0: off; 0 to 1000000)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			c.SignInCache = n
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.SignInCache) }},
	mk("passwordBreachURL", "PASSKEYD_PASSWORD_BREACH_URL", "password-breach-url", "Pwned-Passwords-compatible range API checked for new passwords, e.g. https://api.pwnedpasswords.com (empty: off; fails open)",
		str(func(c *Config) *string { return &c.PasswordBreachURL })),
	mk("policy.userVerification", "PASSKEYD_USER_VERIFICATION", "user-verification", "required, preferred or discouraged",
		str(func(c *Config) *string { return &c.Policy.UserVerification })),
	mk("policy.residentKey", "PASSKEYD_RESIDENT_KEY", "resident-key", "required, preferred or discouraged (passkeys are discoverable: required)",
		str(func(c *Config) *string { return &c.Policy.ResidentKey })),
	mk("policy.attestation", "PASSKEYD_ATTESTATION", "attestation", "attestation conveyance: none, indirect, direct or enterprise",
		str(func(c *Config) *string { return &c.Policy.Attestation })),
	{key: "policy.algorithms", env: "PASSKEYD_ALGORITHMS", flag: "algorithms", help: "allowed COSE algorithms in preference order (must include ES256)",
		set: func(c *Config, v string) error { c.Policy.Algorithms = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Policy.Algorithms, ",") }},
	mk("policy.counter", "PASSKEYD_COUNTER_POLICY", "counter-policy", "signature counter regression: refuse or warn",
		str(func(c *Config) *string { return &c.Policy.Counter })),
}
