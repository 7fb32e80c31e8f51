// Package config loads passkeyd's configuration: defaults, then a YAML file, then
// PASSKEYD_* environment variables, then command-line flags, each overriding the one before.
// It is validated once, at start, and every problem names the setting (file key, variable
// and flag) and how to fix it.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is every setting of the server.
type Config struct {
	Addr         string        `yaml:"addr"`
	RPID         string        `yaml:"rpID"`
	RPName       string        `yaml:"rpName"`
	Origins      []string      `yaml:"origins"`
	DatabaseURL  string        `yaml:"databaseURL"`
	RedisURL     string        `yaml:"redisURL"`
	Fallbacks    []string      `yaml:"fallbacks"`
	ChallengeTTL time.Duration `yaml:"challengeTTL"`
	SessionTTL   time.Duration `yaml:"sessionTTL"`
	// ReauthWindow is how recent a session's sign-in must be for the changes that decide
	// who can get into the account (adding or deleting a passkey, the password, TOTP,
	// recovery codes, deleting the account).
	ReauthWindow    time.Duration `yaml:"reauthWindow"`
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
	// DrainTimeout is how long, after SIGTERM, the listener keeps serving while /readyz
	// already fails: longer than the load balancer takes to notice (HAProxy's inter × fall),
	// so no request is sent to a closed port. ShutdownTimeout follows it.
	DrainTimeout    time.Duration `yaml:"drainTimeout"`
	LogLevel        string        `yaml:"logLevel"`
	LogFormat       string        `yaml:"logFormat"`
	FIDOConformance bool          `yaml:"fidoConformance"`
	// AttestationRoots is a PEM file of extra trusted attestation roots; MDS a FIDO MDS3
	// BLOB (file path or https URL). See config/trust.go.
	AttestationRoots string `yaml:"attestationRoots"`
	MDS              string `yaml:"mds"`
	// RateLimit is the sustained requests per second one client IP may make to the
	// endpoints that need no session; RateBurst the bucket size. 0 disables the limit.
	RateLimit float64 `yaml:"rateLimit"`
	RateBurst int     `yaml:"rateBurst"`
	// AccountRateLimit and AccountRateBurst are the same per username, on the endpoints
	// that name one: it holds when an attack is spread over many addresses.
	AccountRateLimit float64 `yaml:"accountRateLimit"`
	AccountRateBurst int     `yaml:"accountRateBurst"`
	// TrustedProxies are the addresses or CIDR ranges of load balancers whose
	// X-Forwarded-For header gives the client's address.
	TrustedProxies []string `yaml:"trustedProxies"`
	// CORSOrigins are other sites' origins allowed to call the API from a browser (with
	// Bearer tokens).
	CORSOrigins []string `yaml:"corsOrigins"`
	// OTLPEndpoint sends OpenTelemetry traces (one span per request and per store call)
	// to an OTLP/HTTP collector, e.g. http://otel-collector:4318. Empty: tracing off.
	OTLPEndpoint string `yaml:"otlpEndpoint"`
	// AdminToken enables the operator API (/admin/v1/…, `passkeyd admin`) for requests
	// bearing it. Empty: no admin API.
	AdminToken string `yaml:"adminToken"`
	// EncryptionKeys encrypt the secrets passkeyd keeps at rest (TOTP seeds): base64
	// 32-byte keys, the first one sealing new values, every one opening what it sealed, so
	// keys rotate by putting a new one first. Empty: secrets are stored as they are.
	EncryptionKeys []string `yaml:"encryptionKeys"`
	// WebhookURLs receive the security events (sign-ins, factor changes, …) as signed JSON
	// POSTs; empty: no webhooks. WebhookSecret is the HMAC-SHA256 key they are signed with.
	WebhookURLs   []string `yaml:"webhookURLs"`
	WebhookSecret string   `yaml:"webhookSecret"`
	// MetricsAddr serves /metrics on a listener of its own (host:port) instead of the main
	// one, so that it can stay inside the operator's network.
	MetricsAddr string `yaml:"metricsAddr"`
	// Pprof adds Go's profiler (/debug/pprof/) to the metrics listener. Only there: a
	// profile shows memory contents and costs CPU, so it never goes on the public listener,
	// and validation refuses it without MetricsAddr.
	Pprof bool `yaml:"pprof"`
	// DatabaseTimeout bounds each PostgreSQL operation, connection attempt and statement
	// (statement_timeout): a hung or partitioned database fails requests with 503 within it
	// instead of holding them, and their pool connections, to the request deadline.
	DatabaseTimeout time.Duration `yaml:"databaseTimeout"`
	// RedisTimeout bounds each Redis read and write: past it the limits fall back to
	// in-process counts and ceremonies answer 503.
	RedisTimeout time.Duration `yaml:"redisTimeout"`
	// PasskeyRole is "primary" (passkeys sign in on their own; the default) or
	// "second-factor" (a password signs in, then a passkey or TOTP is asked for).
	PasskeyRole string `yaml:"passkeyRole"`
	// Tokens are the signed access tokens and forward authentication.
	Tokens Tokens `yaml:",inline"`
	// Apps are the native apps and related origins that share the RP's passkeys.
	Apps Apps `yaml:"apps"`
	// OIDCClients are the OpenID Connect relying parties (configuration file only); with
	// at least one, passkeyd is also an OpenID provider (docs/oidc.md).
	OIDCClients []OIDCClient `yaml:"oidcClients"`
	// Argon2 is the cost of password hashing (password fallback).
	Argon2 Argon2 `yaml:"argon2"`
	// PasswordMinScore is the least zxcvbn strength (0–4; 0: off) a new password needs.
	PasswordMinScore int `yaml:"passwordMinScore"`
	// PasswordBreachURL is a Pwned-Passwords-compatible range API
	// (https://api.pwnedpasswords.com) asked, by k-anonymity, whether a new password is
	// known from a breach; empty: only the bundled list. It fails open.
	PasswordBreachURL string `yaml:"passwordBreachURL"`
	Policy            Policy `yaml:"policy"`
	// SignInCache is how many passkeys, with their owners, each instance keeps in memory
	// for the sign-in path (about 1.1 KB each), so that a passkey signing in again reads
	// nothing from the database; 0 turns the cache off. The database stays the authority:
	// see "Sign-in cache" in the README.
	SignInCache int `yaml:"signInCache"`

	originsSet bool // origins came from a layer, not the addr-derived default
}

// Tokens configures the signed access tokens, their keys and forward authentication.
type Tokens struct {
	// Issuer is the iss claim (and the OpenID issuer); empty: the first origin.
	Issuer string `yaml:"issuer"`
	// Audience is the aud claim: the apps the tokens are for; empty: the issuer.
	Audience []string `yaml:"tokenAudience"`
	// Lifetime of an access token.
	Lifetime time.Duration `yaml:"tokenLifetime"`
	// SigningAlgorithm is ES256 or EdDSA.
	SigningAlgorithm string `yaml:"signingAlgorithm"`
	// SigningKeyRotation is how long one key signs.
	SigningKeyRotation time.Duration `yaml:"signingKeyRotation"`
	// LoginURL is where forward authentication sends a browser without a session; empty:
	// only requests with an rd parameter are redirected (to passkeyd's own page).
	LoginURL string `yaml:"loginURL"`
	// CookieDomain is the Domain attribute of the session cookie (the RP ID or a parent of
	// it), so that apps on sibling subdomains behind a forward-auth proxy receive it.
	CookieDomain string `yaml:"cookieDomain"`
}

// Argon2 are argon2id's parameters for password hashes.
type Argon2 struct {
	MemoryKiB uint32 `yaml:"memoryKiB"`
	Time      uint32 `yaml:"time"`
	Threads   uint8  `yaml:"threads"`
	// Concurrency is how many hashes run at once (0: one per CPU, GOMAXPROCS); Queue how
	// many more may wait for one (0: 4×concurrency). Past that, and past a request's
	// deadline, password endpoints answer 503 unavailable with Retry-After.
	Concurrency int `yaml:"concurrency"`
	Queue       int `yaml:"queue"`
}

// Policy is the WebAuthn policy of the relying party.
type Policy struct {
	UserVerification string   `yaml:"userVerification"`
	ResidentKey      string   `yaml:"residentKey"`
	Attestation      string   `yaml:"attestation"`
	Algorithms       []string `yaml:"algorithms"`
	// Counter is what happens to a passkey whose signature counter went backwards:
	// "refuse" it until deleted or cleared, or "warn" and let it sign in.
	Counter  string   `yaml:"counter"`
	Profiles Profiles `yaml:"profiles"`
	// AttestationTrust ("any", "roots", "metadata"), SelfAttestation and NoneAttestation
	// ("allow", "refuse"; empty: allow under "any", refuse otherwise) are the attestation
	// trust policy of the default profile; see config/trust.go.
	AttestationTrust string `yaml:"attestationTrust"`
	SelfAttestation  string `yaml:"selfAttestation"`
	NoneAttestation  string `yaml:"noneAttestation"`
	// AAGUIDAllow and AAGUIDDeny are allow and deny lists of authenticator models.
	AAGUIDAllow []string `yaml:"aaguidAllow"`
	AAGUIDDeny  []string `yaml:"aaguidDeny"`
}

// Profiles are the authenticator selections of the two attachments a client can ask for.
type Profiles struct {
	Platform      Profile `yaml:"platform"`
	CrossPlatform Profile `yaml:"crossPlatform"`
}

// Profile is the authenticator selection for one attachment.
type Profile struct {
	ResidentKey      string `yaml:"residentKey"`
	UserVerification string `yaml:"userVerification"`
	// The attestation policy of the profile; empty values inherit policy.* .
	Attestation      string `yaml:"attestation"`
	AttestationTrust string `yaml:"attestationTrust"`
	SelfAttestation  string `yaml:"selfAttestation"`
	NoneAttestation  string `yaml:"noneAttestation"`
}

// Default returns the configuration used when nothing is set: one binary on
// http://localhost:8080 with an embedded SQLite database.
func Default() *Config {
	return &Config{
		Addr:             "localhost:8080",
		RPID:             "localhost",
		RPName:           "passkeyd",
		DatabaseURL:      "sqlite://./passkeyd.db",
		Fallbacks:        []string{"password", "totp", "recovery_code"},
		ChallengeTTL:     5 * time.Minute,
		RedisTimeout:     time.Second,
		DatabaseTimeout:  3 * time.Second,
		SessionTTL:       14 * 24 * time.Hour,
		ReauthWindow:     5 * time.Minute,
		ShutdownTimeout:  30 * time.Second,
		DrainTimeout:     5 * time.Second,
		LogLevel:         "info",
		LogFormat:        "text",
		RateLimit:        20,
		RateBurst:        40,
		AccountRateLimit: 2,
		AccountRateBurst: 10,
		TrustedProxies:   []string{},
		PasskeyRole:      "primary",
		CORSOrigins:      []string{},
		EncryptionKeys:   []string{},
		WebhookURLs:      []string{},
		Apps:             Apps{RelatedOrigins: []string{}, Android: []string{}, IOS: []string{}},
		Argon2:           Argon2{MemoryKiB: 64 * 1024, Time: 3, Threads: 2},
		PasswordMinScore: 3,
		SignInCache:      1024, // account.DefaultSignInCache
		Tokens:           Tokens{Audience: []string{}, Lifetime: 5 * time.Minute, SigningAlgorithm: "ES256", SigningKeyRotation: 24 * time.Hour},
		Policy: Policy{
			UserVerification: "preferred",
			ResidentKey:      "required",
			Attestation:      "none",
			Algorithms:       []string{"ES256", "EdDSA", "RS256"},
			Counter:          "refuse",
			Profiles: Profiles{
				Platform:      Profile{ResidentKey: "required", UserVerification: "required"},
				CrossPlatform: Profile{ResidentKey: "preferred", UserVerification: "preferred"},
			},
		},
	}
}

// Load builds the configuration from defaults, the file named by -config or
// PASSKEYD_CONFIG, the environment and args (flags, without the program name), and
// validates it.
func Load(args []string, getenv func(string) string) (*Config, error) {
	c := Default()
	fs, values := flagSet()
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, fmt.Errorf("%w\n\n%s", err, Usage())
		}
		return nil, fmt.Errorf("%v (run with -h for the list of flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (run with -h for the list of flags)", fs.Arg(0))
	}
	path := getenv("PASSKEYD_CONFIG")
	if v, ok := values["config"]; ok {
		path = v
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, err
		}
	}
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		if v := getenv(s.env); v != "" {
			if err := s.set(c, v); err != nil {
				return nil, fmt.Errorf("%s=%q (%s): %s", s.env, v, s.key, plainError(err))
			}
		}
	}
	for _, s := range settings {
		if v, ok := values[s.flag]; ok && s.set != nil {
			if err := s.set(c, v); err != nil {
				return nil, fmt.Errorf("-%s %q (%s): %s", s.flag, v, s.key, plainError(err))
			}
		}
	}
	if !c.originsSet || len(c.Origins) == 0 {
		c.Origins = []string{"http://localhost:" + portOf(c.Addr)}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("configuration file (PASSKEYD_CONFIG / -config): %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a typo in a key is an error, not a silently ignored setting
	c.Origins = nil
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("configuration file %s:\n  %v", path, fileErrors(data, err))
	}
	c.originsSet = len(c.Origins) > 0
	return nil
}

// flagSet registers one string flag per setting; values holds the ones given.
func flagSet() (*flag.FlagSet, map[string]string) {
	fs := flag.NewFlagSet("passkeyd", flag.ContinueOnError)
	values := map[string]string{}
	fs.Func("config", "configuration file (YAML)", func(v string) error { values["config"] = v; return nil })
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		name := s.flag
		fs.Func(name, s.help, func(v string) error { values[name] = v; return nil })
	}
	return fs, values
}

func portOf(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil && port != "" && port != "0" {
		return port
	}
	return "8080"
}

// splitList splits a comma-separated value, trimming spaces and dropping empty items.
func splitList(v string) []string {
	out := []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Usage lists every setting with its file key, variable, flag and default.
func Usage() string {
	d := Default()
	d.Origins = []string{"http://localhost:<port of addr>"}
	var b strings.Builder
	b.WriteString("Settings (file key / environment variable / flag, default):\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "  %-26s %-28s -%-20s %s\n", s.key, s.env, s.flag, s.get(d))
		fmt.Fprintf(&b, "      %s\n", s.help)
	}
	b.WriteString("  -config FILE / PASSKEYD_CONFIG: a YAML file with the keys above (policy.* nest under policy:)\n")
	return b.String()
}
