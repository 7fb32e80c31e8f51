// Package account holds passkeyd's use cases: sign up with a passkey, add, rename and delete
// passkeys, sign in with or without a username, and sessions. It ties the ceremony package
// to the stores and owns the rules that span them: single-use challenges, the binding of an
// add-passkey ceremony to its session, the signature counter policy, and answers that do
// not reveal which usernames exist.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/keyring"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/trust"
)

// Config is the account policy.
type Config struct {
	SessionTTL time.Duration
	// ReauthWindow is how recent a session's authentication must be for the changes that
	// decide who can get into the account (see requireRecent). Zero means 5 minutes.
	ReauthWindow time.Duration
	// CounterPolicy is "refuse" (default: a credential whose counter went backwards is
	// refused until the user deletes it or an operator clears the flag) or "warn" (it may
	// sign in; every use is logged as a possible clone).
	CounterPolicy string
	// RecoveryCodes enables the recovery_code fallback: ten single-use codes generated with
	// an account's first authenticator, and sign-in with one.
	RecoveryCodes bool
	// Passwords enables the password fallback with this hasher; nil disables it.
	Passwords *password.Hasher
	// PasswordPolicy decides which new passwords are acceptable; nil is
	// password.DefaultPolicy.
	PasswordPolicy *password.Policy
	// TOTP enables TOTP as a second factor after a password.
	TOTP bool
	// Keys encrypt the secrets the service keeps at rest (TOTP seeds, sealed with the aad
	// "totp:"+user id); nil or empty stores them as they are.
	Keys *keyring.Keyring
	// PasskeySecondFactor is the "passkeys as second factor" deployment: passwords are the
	// primary sign-in, a passkey (or TOTP) is asked for after one, and a passkey alone
	// neither signs in nor signs up.
	PasskeySecondFactor bool
	// Lockout limits guessing of passwords, TOTP and recovery codes; nil disables it. A
	// shared store is wrapped in LockoutFallback, so that its outage is no unlimited window.
	Lockout LockoutStore
	// AccountLimiter is a token bucket per username on the endpoints that name one (sign-up,
	// username sign-in options, password and recovery sign-in), shared through Redis when
	// it is configured (wrapped in ratelimit.Fallback); nil disables it. It complements the per-IP limit against attacks
	// spread over many addresses.
	AccountLimiter ratelimit.Limiter
	// OnEvent, when set, sees every audit event as it happens (metrics count them).
	OnEvent func(*passkeyd.AuditEvent)
	// OnGuess, when set, hears each time a guessable factor ("password", "totp",
	// "recovery_code") is actually checked against what is stored, known username or not:
	// the number of evaluations is what the lockout bounds, and tests count it.
	OnGuess func(factor string)
	// Webhooks, when set, returns the webhook deliveries an audit event causes; they are
	// written to the outbox in the audit event's transaction.
	Webhooks func(*passkeyd.AuditEvent) []*passkeyd.WebhookDelivery
	// OnAttestationFailure, when set, hears the format of every attestation statement that
	// failed verification (metrics count them by format).
	OnAttestationFailure func(format string)
	// Conformance, when set, enables the FIDO2 conformance use cases with this relying
	// party (every algorithm the tools use, their trust policy); see conformance.go.
	Conformance *ceremony.RP
	// AAGUIDs is the AAGUID policy applied at registration: the configured lists and the
	// run-time rules. New fills in a nil policy, and a nil Rules or Now, with the store and
	// the service's clock.
	AAGUIDs *trust.AAGUIDPolicy
	// ClockSkewAllowance is how far in this instance's future a challenge's issue time may
	// be (another instance's clock running ahead) before the challenge is refused; 0 means
	// DefaultClockSkewAllowance.
	ClockSkewAllowance time.Duration
	// OnClockSkew, when set, hears each challenge refused for clock skew, with the skew.
	OnClockSkew func(skew time.Duration)
	// SignInCache is how many passkeys (with their owners) the sign-in cache keeps, so that
	// a passkey signing in again reads nothing from the store (see signincache.go); 0 means
	// DefaultSignInCache, a negative number turns the cache off.
	SignInCache int
	// OnSignInCache, when set, hears the outcome of each passkey sign-in's cache lookup:
	// "hit" or "miss", and "redecided" when a verdict reached on a cached read had to be
	// reached again on a fresh one (the entry was stale, or the verdict was not a success).
	OnSignInCache func(outcome string)
}

// DefaultClockSkewAllowance is the clock difference between instances tolerated by default:
// NTP keeps hosts within milliseconds, and passkeyd doctor already calls 2 s an error.
const DefaultClockSkewAllowance = 2 * time.Second

// Service runs the account use cases. It is safe for concurrent use.
type Service struct {
	store      passkeyd.Store
	challenges passkeyd.ChallengeStore
	rp         *ceremony.RP
	cfg        Config
	log        *slog.Logger
	decoyKey   []byte
	auditQ     chan auditItem
	signIns    *signInCache // nil when off
	flushMu    sync.Mutex   // one audit flush at a time: two interleaved barriers would deadlock
	closeOnce  sync.Once
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// New returns a Service. It loads (or creates) the server secret that derives decoy
// credential ids, shared by every instance through the store.
func New(ctx context.Context, store passkeyd.Store, challenges passkeyd.ChallengeStore, rp *ceremony.RP, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 14 * 24 * time.Hour
	}
	if cfg.ReauthWindow <= 0 {
		cfg.ReauthWindow = 5 * time.Minute
	}
	if cfg.ClockSkewAllowance <= 0 {
		cfg.ClockSkewAllowance = DefaultClockSkewAllowance
	}
	if cfg.CounterPolicy == "" {
		cfg.CounterPolicy = "refuse"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := store.Secret(ctx, "decoy-credentials", randomBytes(32))
	if err != nil {
		return nil, fmt.Errorf("load server secret: %w", err)
	}
	if cfg.SignInCache == 0 {
		cfg.SignInCache = DefaultSignInCache
	}
	s := &Service{store: store, challenges: challenges, rp: rp, cfg: cfg, log: log, decoyKey: key, Now: time.Now, auditQ: make(chan auditItem, 4096),
		signIns: newSignInCache(cfg.SignInCache, signInCacheMaxAge)}
	if s.cfg.AAGUIDs == nil {
		s.cfg.AAGUIDs = &trust.AAGUIDPolicy{}
	}
	if s.cfg.AAGUIDs.Rules == nil {
		s.cfg.AAGUIDs.Rules = store
	}
	if s.cfg.AAGUIDs.Now == nil {
		s.cfg.AAGUIDs.Now = func() time.Time { return s.Now() }
	}
	for i := 0; i < auditWriters; i++ {
		go s.runAuditWriter()
	}
	return s, nil
}

// RP returns the relying party the service runs ceremonies for.
func (s *Service) RP() *ceremony.RP { return s.rp }

// NewSession is a session just created, with the bearer token that is shown exactly once.
type NewSession struct {
	*passkeyd.Session
	Token string
}

// signIn is what a new session stands on: how the user signed in, with which passkey (if
// any), and whether that proved the user.
type signIn struct {
	method       passkeyd.SessionMethod
	credentialID []byte
	userVerified bool
	amr          []string
}

// RFC 8176 authentication method references. A passkey is a proof of possession of a
// hardware-protected key ("hwk"); with user verification the authenticator also tested
// the user ("user"). Recovery codes are one-time codes ("otp").
func passkeySignIn(credID []byte, uv bool) signIn {
	amr := []string{"hwk"}
	if uv {
		amr = append(amr, "user")
	}
	return signIn{method: passkeyd.MethodPasskey, credentialID: credID, userVerified: uv, amr: amr}
}

var (
	passwordSignIn     = signIn{method: passkeyd.MethodPassword, amr: []string{"pwd"}}
	recoveryCodeSignIn = signIn{method: passkeyd.MethodRecoveryCode, amr: []string{"otp"}}
)

// secondFactorSignIn is a password plus a second factor: that proves the user.
func secondFactorSignIn(method passkeyd.SessionMethod, second signIn) signIn {
	amr := append([]string{"pwd"}, second.amr...)
	amr = append(amr, "mfa")
	return signIn{method: method, credentialID: second.credentialID, userVerified: true, amr: amr}
}

func (s *Service) newSession(ctx context.Context, userID string, in signIn) NewSession {
	token := randomID(32)
	now := s.Now().UTC()
	c, _ := ctx.Value(clientKey{}).(ClientInfo)
	return NewSession{
		Session: &passkeyd.Session{
			ID:              orderedID(now),
			TokenHash:       HashToken(token),
			UserID:          userID,
			Method:          in.method,
			AuthenticatedAt: now,
			CreatedAt:       now,
			ExpiresAt:       now.Add(s.cfg.SessionTTL),
			CredentialID:    in.credentialID,
			UserVerified:    in.userVerified,
			AMR:             in.amr,
			UserAgent:       c.UserAgent,
			IP:              c.IP,
		},
		Token: token,
	}
}

// HashToken is how session tokens are stored: a database read yields no usable token.
// Tokens carry 256 bits of entropy, so an unsalted fast hash is enough.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Authenticate returns the live session and user for a bearer token, or
// passkeyd.ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*passkeyd.Session, *passkeyd.User, error) {
	if token == "" || len(token) > 128 {
		return nil, nil, passkeyd.ErrUnauthenticated
	}
	sess, err := s.store.SessionByTokenHash(ctx, HashToken(token), s.Now())
	if err != nil {
		return nil, nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	return sess, u, nil
}

// SignOut revokes a session.
func (s *Service) SignOut(ctx context.Context, sess *passkeyd.Session) error {
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil {
		return err
	}
	s.audit(ctx, sess.UserID, "sign_out", string(sess.Method), nil, nil)
	return nil
}

// consume takes the challenge a response signed, whatever the outcome of the ceremony: a
// challenge is good for one verify attempt.
func (s *Service) consume(ctx context.Context, value []byte, c passkeyd.Ceremony) (*passkeyd.Challenge, error) {
	if len(value) == 0 || len(value) > 64 {
		return nil, passkeyd.ErrChallengeUnknown
	}
	now := s.Now()
	ch, err := s.challenges.ConsumeChallenge(ctx, value, now)
	if err != nil {
		return nil, notFoundAs(err, passkeyd.ErrChallengeUnknown)
	}
	if err := s.checkIssued(ctx, ch, now); err != nil {
		return nil, err
	}
	if ch.Ceremony != c {
		return nil, passkeyd.ErrChallengeUnknown
	}
	return ch, nil
}

// checkIssued refuses a challenge issued in this instance's future by more than the
// allowance: the issuer's clock is ahead of this one's, so its expiry means nothing here
// either (the challenge would live longer than the configured timeout). The operator needs
// to hear it, and the client a retryable answer, not challenge_unknown.
func (s *Service) checkIssued(ctx context.Context, ch *passkeyd.Challenge, now time.Time) error {
	if ch.IssuedAt.IsZero() {
		return nil
	}
	skew := ch.IssuedAt.Sub(now)
	if skew <= s.cfg.ClockSkewAllowance {
		return nil
	}
	s.log.ErrorContext(ctx, "challenge refused: it was issued in this instance's future; the clocks of the passkeyd instances disagree (check NTP)",
		"skew", skew.Round(time.Millisecond).String(), "allowance", s.cfg.ClockSkewAllowance.String(), "ceremony", string(ch.Ceremony))
	if s.cfg.OnClockSkew != nil {
		s.cfg.OnClockSkew(skew)
	}
	return passkeyd.Errorf(passkeyd.CodeUnavailable, "the challenge was issued by a server whose clock is %v ahead of this one's; start the ceremony again", skew.Round(time.Second))
}

func (s *Service) newChallenge(c passkeyd.Ceremony) *passkeyd.Challenge {
	now := s.Now()
	return &passkeyd.Challenge{
		Value:     randomBytes(32),
		Ceremony:  c,
		ExpiresAt: now.Add(s.rp.Timeout()),
		IssuedAt:  now.UTC(),
	}
}

// notFoundAs maps a store's ErrNotFound to the error the caller's contract names, and
// leaves other errors (unavailable stores) alone.
func notFoundAs(err error, as error) error {
	if errors.Is(err, passkeyd.ErrNotFound) {
		return as
	}
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (it panics inside if the OS
	// source breaks, which is the right outcome for an auth server).
	_, _ = rand.Read(b)
	return b
}

func randomID(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// sortableBase32 is base32 with the extended-hex alphabet in lower case: its characters
// sort in the order of the bytes they encode, so ids keep their byte order as strings.
var sortableBase32 = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// orderedID is a unique id whose leading bytes are the time in milliseconds (then 80
// random bits), for the rows every sign-in inserts (sessions, audit events): ids made
// around the same time sort together, so a commit's inserts land in the same few pages of
// the id index instead of one random page each. These ids name rows; they grant nothing
// (the session token does), so that they reveal when they were made is no secret.
func orderedID(at time.Time) string {
	var b [16]byte
	ms := uint64(at.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return sortableBase32.EncodeToString(b[:])
}

// limitAccount takes a token from the username's bucket. A shared limiter comes wrapped in
// ratelimit.Fallback (cmd/passkeyd), so an outage of its store limits with this instance's
// buckets; one that still cannot decide refuses (unavailable): a limit must not fail open.
func (s *Service) limitAccount(ctx context.Context, usernameKey string) error {
	if s.cfg.AccountLimiter == nil {
		return nil
	}
	ok, wait, err := s.cfg.AccountLimiter.Allow(ctx, "acct:"+usernameKey)
	if err != nil {
		s.log.WarnContext(ctx, "account limiter unavailable; request refused", "err", err)
		return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the rate limiter is unavailable; retry shortly", Err: err}
	}
	if ok {
		return nil
	}
	return &RetryError{Err: &passkeyd.Error{Code: passkeyd.CodeRateLimited, Detail: "too many requests for this account; retry shortly"}, RetryAfter: wait}
}
