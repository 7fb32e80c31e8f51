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
type LockoutStore interface {
	// LockedFor says how long key stays locked; 0 when it is not.
	LockedFor(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failed guess, locking key when there were too many.
	Fail(ctx context.Context, key string) error
	// Clear forgets key's failures after a successful sign-in.
	Clear(ctx context.Context, key string) error
}

var _ LockoutStore = (*Lockout)(nil)

// LockedFor implements LockoutStore.
func (l *Lockout) LockedFor(_ context.Context, key string) (time.Duration, error) {
	var wait time.Duration
	if err := l.check(key, l.clock()); err != nil {
		wait = err.(*RetryError).RetryAfter
	}
	return wait, nil
}

// Fail implements LockoutStore.
func (l *Lockout) Fail(_ context.Context, key string) error {
	l.fail(key, l.clock())
	return nil
}

// Clear implements LockoutStore.
func (l *Lockout) Clear(_ context.Context, key string) error {
	l.succeed(key)
	return nil
}

func (l *Lockout) clock() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

type lockState struct {
	failures    []time.Time
	lockouts    int
	lockedUntil time.Time
}

// NewLockout returns the default policy: 5 failures in 15 minutes lock for 1 minute, then
// 2, 4, … up to an hour.
func NewLockout() *Lockout {
	return &Lockout{MaxFailures: 5, Window: 15 * time.Minute, FirstPause: time.Minute, MaxPause: time.Hour, m: map[string]*lockState{}}
}

// lockCheck, lockFail and lockClear use the configured LockoutStore. A store that cannot
// answer lets the attempt through (and is logged): failing closed would lock everyone out
// whenever Redis blinks.
func (s *Service) lockCheck(ctx context.Context, key string) error {
	if s.cfg.Lockout == nil {
		return nil
	}
	wait, err := s.cfg.Lockout.LockedFor(ctx, key)
	if err != nil {
		s.log.WarnContext(ctx, "lockout store unavailable", "err", err)
		return nil
	}
	if wait > 0 {
		return lockedError(wait)
	}
	return nil
}

func (s *Service) lockFail(ctx context.Context, key string) {
	if s.cfg.Lockout != nil {
		if err := s.cfg.Lockout.Fail(ctx, key); err != nil {
			s.log.WarnContext(ctx, "lockout store unavailable", "err", err)
		}
	}
}

func (s *Service) lockClear(ctx context.Context, key string) {
	if s.cfg.Lockout != nil {
		_ = s.cfg.Lockout.Clear(ctx, key)
	}
}

// check returns account_locked while key is locked.
func (l *Lockout) check(key string, now time.Time) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[key]
	if !ok || !now.Before(st.lockedUntil) {
		return nil
	}
	return lockedError(st.lockedUntil.Sub(now))
}

// fail records a failed guess and locks the key when there were too many.
func (l *Lockout) fail(key string, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[key]
	if !ok {
		if len(l.m) > 1_000_000 {
			l.sweep(now)
		}
		st = &lockState{}
		l.m[key] = st
	}
	recent := st.failures[:0]
	for _, t := range st.failures {
		if now.Sub(t) < l.Window {
			recent = append(recent, t)
		}
	}
	st.failures = append(recent, now)
	if len(st.failures) >= l.MaxFailures {
		pause := l.FirstPause << min(st.lockouts, 16)
		if pause > l.MaxPause || pause <= 0 {
			pause = l.MaxPause
		}
		st.lockouts++
		st.lockedUntil = now.Add(pause)
		st.failures = st.failures[:0]
	}
}

// succeed clears the key's failures (not its lockout history, which decays with sweep).
func (l *Lockout) succeed(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.m[key]; ok {
		st.failures = st.failures[:0]
	}
}

func (l *Lockout) sweep(now time.Time) {
	for k, st := range l.m {
		if !now.Before(st.lockedUntil.Add(l.MaxPause)) && len(st.failures) == 0 {
			delete(l.m, k)
		}
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
