package account

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Lockout limits guessing of the factors that can be guessed — passwords, TOTP and recovery
// codes — per account: after MaxFailures within Window the account's guessable factors are
// refused for a pause that doubles with each lockout (up to MaxPause). Passkey sign-in is
// never locked: an assertion cannot be guessed, so an attacker must not be able to use the
// lockout to keep a user out. The key is the username, for known and unknown usernames
// alike, so that lockouts reveal nothing about which accounts exist.
type Lockout struct {
	MaxFailures int
	Window      time.Duration
	FirstPause  time.Duration
	MaxPause    time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu sync.Mutex
	m  map[string]*lockState
}

// LockoutStore keeps the lockout's failure counts: *Lockout in process, redis.Lockouts
// shared by every instance (so N instances do not allow N times the guesses).
//
// A guess takes a failure slot before it is evaluated, in the same atomic step as the check
// that the key is not locked: checking and counting apart would let N simultaneous guesses
// all pass the check before any is counted. The slot that reaches MaxFailures locks the key
// at once; if a guess of that batch turns out right (Succeed) or is never evaluated
// (Release), the provisional lock is lifted again.
type LockoutStore interface {
	// Reserve atomically checks key and, unless it is locked, counts one failure for the
	// guess about to be evaluated. locked > 0: refused, nothing counted.
	Reserve(ctx context.Context, key string) (locked time.Duration, err error)
	// Succeed: the reserved guess was right: forget the key's failures.
	Succeed(ctx context.Context, key string) error
	// Release: the reserved guess was never evaluated (or was no failure): give the slot
	// back.
	Release(ctx context.Context, key string) error
}

var _ LockoutStore = (*Lockout)(nil)

type lockState struct {
	failures    []time.Time // reserved slots within Window, oldest first
	lockouts    int
	lockedUntil time.Time
}

// NewLockout returns the default policy: 5 failures in 15 minutes lock for 1 minute, then
// 2, 4, … up to an hour.
func NewLockout() *Lockout {
	return &Lockout{MaxFailures: 5, Window: 15 * time.Minute, FirstPause: time.Minute, MaxPause: time.Hour, m: map[string]*lockState{}}
}

func (l *Lockout) clock() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Reserve implements LockoutStore.
func (l *Lockout) Reserve(_ context.Context, key string) (time.Duration, error) {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*lockState{}
	}
	st, ok := l.m[key]
	if !ok {
		if len(l.m) > 1_000_000 {
			l.sweep(now)
		}
		st = &lockState{}
		l.m[key] = st
	}
	if now.Before(st.lockedUntil) {
		return st.lockedUntil.Sub(now), nil
	}
	if !st.lockedUntil.IsZero() {
		// The pause is over: the batch that caused it no longer counts.
		st.lockedUntil, st.failures = time.Time{}, st.failures[:0]
	}
	recent := st.failures[:0]
	for _, t := range st.failures {
		if now.Sub(t) < l.Window {
			recent = append(recent, t)
		}
	}
	st.failures = append(recent, now)
	if len(st.failures) >= max(l.MaxFailures, 1) {
		pause := l.FirstPause << min(st.lockouts, 16)
		if pause > l.MaxPause || pause <= 0 {
			pause = l.MaxPause
		}
		st.lockouts++
		st.lockedUntil = now.Add(pause)
	}
	return 0, nil
}

// Succeed implements LockoutStore. The lockout history is kept (it decays with sweep), but a
// lock the right guess's own batch set is lifted: that batch was not all wrong.
func (l *Lockout) Succeed(_ context.Context, key string) error {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.m[key]; ok {
		st.failures = st.failures[:0]
		l.unlock(st, now)
	}
	return nil
}

// Release implements LockoutStore.
func (l *Lockout) Release(_ context.Context, key string) error {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[key]
	if !ok || len(st.failures) == 0 {
		return nil
	}
	st.failures = st.failures[:len(st.failures)-1]
	if len(st.failures) < max(l.MaxFailures, 1) {
		l.unlock(st, now)
	}
	return nil
}

// lockFor locks key for d from now unless it is locked longer already (a lock the shared
// store reported, kept here for when the store cannot answer).
func (l *Lockout) lockFor(key string, d time.Duration) {
	until := l.clock().Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*lockState{}
	}
	st, ok := l.m[key]
	if !ok {
		st = &lockState{}
		l.m[key] = st
	}
	if until.After(st.lockedUntil) {
		st.lockedUntil = until
	}
}

// unlock lifts a lock that is still in force (one set by reservations of the current batch).
func (l *Lockout) unlock(st *lockState, now time.Time) {
	if now.Before(st.lockedUntil) {
		st.lockedUntil = time.Time{}
		st.lockouts = max(st.lockouts-1, 0)
	}
}

func (l *Lockout) sweep(now time.Time) {
	for k, st := range l.m {
		if !now.Before(st.lockedUntil.Add(l.MaxPause)) && len(st.failures) == 0 {
			delete(l.m, k)
		}
	}
}

// lockReserve takes a failure slot for the guess about to be evaluated, or returns
// account_locked. A store that cannot answer refuses the guess (unavailable): a lockout that
// lets guesses through whenever its store blinks is no lockout. cmd/passkeyd wraps the
// shared store in LockoutFallback so that an outage falls back to this instance's counts
// instead.
func (s *Service) lockReserve(ctx context.Context, key string) error {
	if s.cfg.Lockout == nil {
		return nil
	}
	wait, err := s.cfg.Lockout.Reserve(ctx, key)
	if err != nil {
		s.log.WarnContext(ctx, "lockout store unavailable; guess refused", "err", err)
		return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the lockout store is unavailable; retry shortly, or sign in with a passkey", Err: err}
	}
	if wait > 0 {
		return lockedError(wait)
	}
	return nil
}

// lockSucceed forgets the key's failures after a whole sign-in succeeded.
func (s *Service) lockSucceed(ctx context.Context, key string) {
	if s.cfg.Lockout != nil {
		if err := s.cfg.Lockout.Succeed(ctx, key); err != nil {
			s.log.WarnContext(ctx, "lockout store unavailable; failures not cleared", "err", err)
		}
	}
}

// lockRelease gives back the slot of a guess that was not evaluated, or that was right but
// is not the end of the sign-in (a password before its second factor): it must neither
// count as a failure nor clear the second factor's failures.
func (s *Service) lockRelease(ctx context.Context, key string) {
	if s.cfg.Lockout != nil {
		if err := s.cfg.Lockout.Release(ctx, key); err != nil {
			s.log.WarnContext(ctx, "lockout store unavailable; slot not released", "err", err)
		}
	}
}

// evaluated tells OnGuess that a guess of factor was checked.
func (s *Service) evaluated(_ context.Context, factor string) {
	if s.cfg.OnGuess != nil {
		s.cfg.OnGuess(factor)
	}
}

// RetryError is a refusal that ends by itself (account_locked, rate_limited); RetryAfter is
// how long until the next attempt is allowed.
type RetryError struct {
	Err        *passkeyd.Error
	RetryAfter time.Duration
}

func lockedError(wait time.Duration) error {
	secs := int(wait.Seconds() + 0.999)
	return &RetryError{
		Err:        &passkeyd.Error{Code: passkeyd.CodeAccountLocked, Detail: "too many failed attempts; try again in " + strconv.Itoa(secs) + " s, or sign in with a passkey"},
		RetryAfter: wait,
	}
}

func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap lets errors.As find the contract error.
func (e *RetryError) Unwrap() error { return e.Err }
