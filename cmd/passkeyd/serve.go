package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/instrument"
	"github.com/passkeyd/passkeyd/internal/buildinfo"
	"github.com/passkeyd/passkeyd/internal/logctx"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/openapi"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/sqlite"
	"github.com/passkeyd/passkeyd/token"
	"github.com/passkeyd/passkeyd/trust"
	"github.com/passkeyd/passkeyd/web"
)

func usage() string {
	return "usage: passkeyd [serve|migrate|doctor|import|probe|healthcheck|admin|version] [flags]\n\n" + config.Usage()
}

func loadConfig(args []string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(logctx.NewHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(logctx.NewHandler(slog.NewTextHandler(w, opts)))
}

// openStore opens the database the configuration names and applies pending migrations
// (SQLite at open; PostgreSQL under an advisory lock, so instances starting together are
// safe).
func openStore(ctx context.Context, cfg *config.Config) (passkeyd.Store, error) {
	driver, dsn, err := cfg.Database()
	if err != nil {
		return nil, err
	}
	switch driver {
	case "sqlite":
		return sqlite.Open(ctx, dsn)
	case "postgres":
		db, err := postgres.OpenTimeout(ctx, dsn, cfg.DatabaseTimeout)
		if err != nil {
			return nil, err
		}
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	return nil, fmt.Errorf("database %q is not supported (use sqlite://path or postgres://…)", driver)
}

// challengeStore is the configured challenge store: Redis when PASSKEYD_REDIS_URL is set
// (instances share ceremonies), else in process.
type challengeStore interface {
	passkeyd.ChallengeStore
	passkeyd.TicketStore // the OpenID provider's authorization requests and codes
	Close() error
}

func openChallenges(cfg *config.Config) (challengeStore, func(context.Context) error, error) {
	if cfg.RedisURL == "" {
		return memory.NewChallenges(), nil, nil
	}
	c, err := redis.OpenTimeout(cfg.RedisURL, cfg.RedisTimeout)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Ping, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg) // Open applies pending migrations
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return store.Close()
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	stopTracing, err := startTracing(ctx, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer stopTracing()
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoMetric())
	// Spans are made only when something collects them (startTracing above).
	tracing := cfg.OTLPEndpoint != ""
	instruments := instrument.New(registry)
	instruments.Tracing = tracing
	d, err := openDeps(ctx, cfg, log, &observers{
		onEvent:              httpapi.EventCounter(registry),
		onAttestationFailure: httpapi.AttestationFailureCounter(registry),
		onMetadataRefresh:    httpapi.MetadataRefreshCounter(registry),
		onClockSkew:          clockSkewRefusals(registry),
		onSignInCache:        signInCacheOutcomes(registry),
		instruments:          instruments,
	})
	if err != nil {
		return err
	}
	defer d.close()
	httpapi.PasswordQueueMetrics(registry, d.passwords)
	storeMetrics(registry, d.store)
	defer startAdoptionMetrics(ctx, d.store, registry, log)() // before d.close
	httpapi.PasswordBreachMetrics(registry, d.breaches)
	store, accounts := d.store, d.accounts
	if off, err := testClockOffset(getenv); err != nil {
		return err
	} else if off != 0 {
		log.Warn("PASSKEYD_TEST_CLOCK_OFFSET is set: this instance's clock is shifted, for fault tests only", "offset", off.String())
		accounts.Now = func() time.Time { return time.Now().Add(off) }
	}
	tokens, err := newIssuer(ctx, cfg, d, log)
	if err != nil {
		return err
	}
	provider, err := newOIDC(cfg, d, tokens, log)
	if err != nil {
		return err
	}
	checks := map[string]func(context.Context) error{"database": store.Ping}
	if d.pingChallenges != nil {
		checks["redis"] = d.pingChallenges
	}

	hooks := startWebhooks(ctx, cfg, store, log, registry)
	if hooks != nil {
		defer hooks.stop() // before d.close: the POSTs in flight are recorded
	}

	notes := map[string]func() error{}
	if l := d.anchors.Loader; l != nil {
		notes["metadata"] = l.Err
	}
	var draining atomic.Bool
	var clock *clockWatch
	if sc, ok := store.(serverClock); ok {
		clock = startClockWatch(ctx, sc, registry, log)
	}
	proxies, _ := cfg.TrustedProxyPrefixes() // validated by config.Load
	handler := httpapi.NewServer(httpapi.Deps{
		Accounts:             accounts,
		Origins:              cfg.WebOrigins(),
		SecureCookies:        cfg.SecureCookies(),
		Logger:               log,
		Tracing:              tracing,
		Checks:               checks,
		Notes:                notes,
		Draining:             draining.Load,
		ClockNote:            clock.note,
		Web:                  web.Handler(),
		OpenAPI:              openapi.Document,
		RateLimit:            cfg.RateLimit,
		RateBurst:            cfg.RateBurst,
		TrustedProxies:       proxies,
		CORSOrigins:          cfg.CORSOrigins,
		AdminToken:           cfg.AdminToken,
		Limiter:              d.limiter,
		Limits:               d.limits,
		SessionSecretLimiter: d.sessionSecrets,
		AccountSecretLimiter: d.accountSecrets,
		AdminLimiter:         d.admin,
		Metrics:              registry,
		MetricsElsewhere:     cfg.MetricsAddr != "",
		Tokens:               tokens,
		LoginURL:             cfg.Tokens.LoginURL,
		CookieDomain:         cfg.Tokens.CookieDomain,
		Webhooks:             hooks.worker(),
		Apps:                 publishedApps(cfg),
		OIDC:                 provider.handler(),
		OIDCClients:          provider.clients(),
	})
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (PASSKEYD_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", httpapi.MetricsHandler(registry))
		if cfg.Pprof {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		// A CPU profile or trace streams for ?seconds=N (30 by default): the write
		// timeout has to leave room for it when the profiler is on.
		wt := 30 * time.Second
		if cfg.Pprof {
			wt = 5 * time.Minute
		}
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: wt}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	srv := &http.Server{
		Handler: handler,
		// Bounded reads and writes: a slow client cannot hold a connection (and a
		// goroutine) forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PASSKEYD_ADDR): %w", cfg.Addr, err)
	}
	go sweepSessions(ctx, store, log)

	log.Info("passkeyd listening", "addr", ln.Addr().String(), "rp_id", cfg.RPID, "origins", cfg.Origins, "version", buildinfo.Get().Version, "commit", buildinfo.Get().Commit)
	// With JSON logs every line passkeyd writes is JSON (a collector parses them all): the
	// greeting for a person at a terminal is then a log record too.
	if cfg.LogFormat == "json" {
		log.Info("passkeyd is ready", "url", cfg.PublicURL())
	} else {
		fmt.Fprintf(stdout, "passkeyd is ready: open %s\n", cfg.PublicURL())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: /readyz fails at once while the listener keeps serving, until the load
	// balancer has seen enough failed checks to stop sending here. Closing the port first
	// would fail the requests it sends meanwhile.
	draining.Store(true)
	log.Info("draining: /readyz answers 503, requests are still served", "drain_timeout", cfg.DrainTimeout)
	select {
	case err := <-errc:
		return err
	case <-time.After(cfg.DrainTimeout):
	}
	// Graceful shutdown: stop accepting, let in-flight requests finish within the budget.
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// sweepSessions deletes expired sessions now and then so the table does not grow forever.
func sweepSessions(ctx context.Context, store passkeyd.SessionStore, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := store.DeleteExpiredSessions(ctx, time.Now()); err != nil {
				log.Warn("session sweep failed", "err", err)
			} else if n > 0 {
				log.Debug("expired sessions removed", "count", n)
			}
			// OpenID grants that expired or were revoked (their refresh tokens with them).
			if g, ok := store.(passkeyd.OIDCStore); ok {
				if _, err := g.DeleteExpiredOIDCGrants(ctx, time.Now()); err != nil {
					log.Warn("OpenID grant sweep failed", "err", err)
				}
			}
		}
	}
}

// deps are the server's backing stores and use cases, built from the configuration.
type deps struct {
	limiter httpapi.RateLimiter // nil: in process
	limits  map[string]*ratelimit.Breaker
	// sessionSecrets, accountSecrets and admin are the buckets of the secret checks of a
	// signed-in session and of the operator API; nil: in process.
	sessionSecrets, accountSecrets, admin httpapi.RateLimiter
	passwords                             *password.Hasher
	breaches                              *password.RangeChecker // nil: no breach lookup
	store                                 passkeyd.Store
	challenges                            challengeStore
	pingChallenges                        func(context.Context) error
	accounts                              *account.Service
	// useStore is store as the use cases see it (instrumented when the server runs).
	useStore passkeyd.Store
	anchors  trust.Anchors
}

func (d *deps) close() {
	if d.accounts != nil {
		d.accounts.Close() // writes queued audit events before the store closes
	}
	d.challenges.Close()
	d.store.Close()
}

// observers are the metrics and tracing hooks the server attaches; nil for tools.
type observers struct {
	onEvent              func(*passkeyd.AuditEvent)
	onAttestationFailure func(format string)
	onMetadataRefresh    func(err error)
	onClockSkew          func(time.Duration)
	onSignInCache        func(outcome string)
	instruments          *instrument.Instruments
}

func openDeps(ctx context.Context, cfg *config.Config, log *slog.Logger, obs *observers) (*deps, error) {
	if obs == nil {
		obs = &observers{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	challenges, pingChallenges, err := openChallenges(cfg)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("challenge store (PASSKEYD_REDIS_URL): %w", err)
	}
	d := &deps{store: store, challenges: challenges, pingChallenges: pingChallenges}
	// The service sees instrumented stores (spans, latency); closing uses the real ones.
	var useStore passkeyd.Store = store
	var useChallenges passkeyd.ChallengeStore = challenges
	if obs.instruments != nil {
		useStore, useChallenges = obs.instruments.WrapStore(store), obs.instruments.WrapChallenges(challenges)
	}
	d.useStore = useStore
	var lockouts account.LockoutStore = account.NewLockout()
	var accountLimiter ratelimit.Limiter
	if l := ratelimit.NewLocal(cfg.AccountRateLimit, cfg.AccountRateBurst, nil); l != nil {
		accountLimiter = l
	}
	if rc, ok := challenges.(*redis.Challenges); ok {
		// With Redis, every instance draws from one bucket per client and per account, and
		// counts one lockout. Each falls back to this instance's own counts while Redis
		// cannot answer: a limit fails safe, never open.
		d.limits = map[string]*ratelimit.Breaker{}
		breaker := func(name string) *ratelimit.Breaker {
			b := &ratelimit.Breaker{Name: name, Log: log}
			d.limits[name] = b
			return b
		}
		if local := ratelimit.NewLocal(cfg.RateLimit, cfg.RateBurst, nil); local != nil {
			d.limiter = &ratelimit.Fallback{Shared: rc.NewRateLimiter(cfg.RateLimit, cfg.RateBurst), Local: local, Breaker: breaker("ip")}
		}
		if local := ratelimit.NewLocal(cfg.AccountRateLimit, cfg.AccountRateBurst, nil); local != nil {
			accountLimiter = &ratelimit.Fallback{Shared: rc.NewRateLimiter(cfg.AccountRateLimit, cfg.AccountRateBurst), Local: local, Breaker: breaker("account")}
		}
		shared := func(name string, rate float64, burst int) httpapi.RateLimiter {
			return &ratelimit.Fallback{Shared: rc.NewRateLimiter(rate, burst), Local: ratelimit.NewLocal(rate, burst, nil), Breaker: breaker(name)}
		}
		d.sessionSecrets = shared("session-secrets", httpapi.SessionSecretRate, httpapi.SessionSecretBurst)
		d.accountSecrets = shared("account-secrets", httpapi.AccountSecretRate, httpapi.AccountSecretBurst)
		d.admin = shared("admin", httpapi.AdminRate, httpapi.AdminBurst)
		lockouts = &account.LockoutFallback{Shared: rc.NewLockouts(), Local: account.NewLockout(), Breaker: breaker("lockout")}
	}
	keys, err := cfg.Keyring()
	if err != nil { // validated by config.Load; tools may build a Config by hand
		d.close()
		return nil, fmt.Errorf("encryptionKeys: %w", err)
	}
	anchors, err := openTrust(ctx, cfg, log, obs)
	if err != nil {
		d.close()
		return nil, err
	}
	d.anchors = anchors
	aaguids, err := aaguidLists(cfg)
	if err != nil {
		d.close()
		return nil, err
	}
	rp, err := ceremony.New(ceremony.Config{
		RPID:          cfg.RPID,
		RPName:        cfg.RPName,
		Origins:       cfg.CeremonyOrigins(),
		OpaqueOrigins: cfg.OpaqueOrigins(),
		Algorithms:    cfg.Policy.AlgorithmIDs(),
		Timeout:       cfg.ChallengeTTL,
		Attestation:   cfg.Policy.Attestation,
		Profile: func(attachment string) ceremony.Profile {
			p, a := cfg.Policy.For(attachment), cfg.Policy.AttestationFor(attachment)
			return ceremony.Profile{ResidentKey: p.ResidentKey, UserVerification: p.UserVerification,
				Attestation: a.Conveyance, Trust: trust.PolicyFrom(a.Trust, a.Self, a.None)}
		},
		Trust: anchors,
		// The AAGUID lists are applied by the account service, with the run-time ones.
	})
	if err != nil {
		d.close()
		return nil, err
	}
	conformance, err := conformanceRP(cfg, anchors, log)
	if err != nil {
		d.close()
		return nil, err
	}
	var passwords *password.Hasher
	if slices.Contains(cfg.Fallbacks, "password") {
		passwords = password.NewLimited(
			password.Params{Memory: cfg.Argon2.MemoryKiB, Time: cfg.Argon2.Time, Threads: cfg.Argon2.Threads},
			password.Limits{Concurrency: cfg.Argon2.Concurrency, Queue: cfg.Argon2.Queue})
	}
	d.passwords = passwords
	policy := &password.Policy{MinScore: cfg.PasswordMinScore}
	if cfg.PasswordBreachURL != "" {
		d.breaches = &password.RangeChecker{URL: cfg.PasswordBreachURL, Client: outboundClient(2 * time.Second)}
		policy.Breaches = d.breaches
	}
	d.accounts, err = account.New(ctx, useStore, useChallenges, rp, account.Config{
		SessionTTL:           cfg.SessionTTL,
		ReauthWindow:         cfg.ReauthWindow,
		CounterPolicy:        cfg.Policy.Counter,
		RecoveryCodes:        slices.Contains(cfg.Fallbacks, "recovery_code"),
		Passwords:            passwords,
		PasswordPolicy:       policy,
		TOTP:                 slices.Contains(cfg.Fallbacks, "totp"),
		Keys:                 keys,
		PasskeySecondFactor:  cfg.PasskeyRole == "second-factor",
		Lockout:              lockouts,
		AccountLimiter:       accountLimiter,
		OnEvent:              obs.onEvent,
		OnAttestationFailure: obs.onAttestationFailure,
		OnClockSkew:          obs.onClockSkew,
		SignInCache:          signInCacheSize(cfg.SignInCache),
		OnSignInCache:        obs.onSignInCache,
		Webhooks:             webhookDeliveries(cfg),
		Conformance:          conformance,
		AAGUIDs:              &trust.AAGUIDPolicy{Configured: aaguids, Rules: useStore},
	}, log)
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// redis.Lockouts is the shared account.LockoutStore.
var _ account.LockoutStore = (*redis.Lockouts)(nil)

// newIssuer builds the token issuer; it creates the current and next signing keys when
// they do not exist yet, so only the server (not doctor or import) calls it.
func newIssuer(ctx context.Context, cfg *config.Config, d *deps, log *slog.Logger) (*token.Issuer, error) {
	keys, err := cfg.Keyring() // validated by config.Load
	if err != nil {
		return nil, err
	}
	i, err := token.New(ctx, token.Config{
		Keys: d.useStore,
		// Private signing keys are sealed with the encryptionKeys keyring when one is set.
		Keyring:   keys,
		Algorithm: cfg.Tokens.SigningAlgorithm,
		Rotation:  cfg.Tokens.SigningKeyRotation,
		Lifetime:  cfg.Tokens.Lifetime,
		Issuer:    cfg.TokenIssuer(),
		Audience:  cfg.TokenAudience(),
		Logger:    log,
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return i, nil
}

// buildInfoMetric is passkeyd_build_info: always 1, its labels say which build runs, so a
// dashboard can tell a fleet mid-upgrade from one that is not.
func buildInfoMetric() prometheus.Collector {
	bi := buildinfo.Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "passkeyd_build_info", Help: "Which passkeyd build this is (the value is always 1).",
		ConstLabels: prometheus.Labels{"version": bi.Version, "commit": bi.Commit, "date": bi.Date, "goversion": bi.GoVersion},
	})
	g.Set(1)
	return g
}

// signInCacheSize is the account service's setting for the configured size: the
// configuration's 0 (off) is the service's negative.
func signInCacheSize(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
