package token

import (
	"container/list"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// DefaultCacheSize is how many sessions' tokens CachedAccessToken keeps when Config.CacheSize
// is zero. An entry is about 1.2 KiB of heap (half of it the token itself), so the cache stays
// near 12 MiB however many sessions there are.
const DefaultCacheSize = 10_000

// CachedAccessToken returns an access token for the user of a live session, reusing the one
// it minted for an earlier call while that token still says exactly what a new one would
// and has more than half of its lifetime left. It is for forward authentication, where a
// proxy asks about every request of a browsing user and a signature each time would be the
// whole cost of the answer.
//
// The caller must have checked the session against the store for this very request, as it
// would before AccessToken: the cache decides which token to hand out, never whether the
// session is still good, so a revoked or expired session gets nothing from it.
//
// A token is reused only for the same session, user id, username, authentication time,
// method, user verification and amr, signed by the key that signs now: a re-authentication,
// a step-up or a rotation mints a new one. The issuer's other claims (iss, aud) and the
// lifetime are fixed for the life of the Issuer, which owns the cache. Concurrent calls for
// the same session share one signature. The returned token must not be modified.
func (i *Issuer) CachedAccessToken(ctx context.Context, sess *passkeyd.Session, u *passkeyd.User) (*AccessToken, error) {
	if i.reuse == nil {
		return i.AccessToken(ctx, sess, u)
	}
	// A caller that waited for another's signature looks again: the token is then ready, or
	// (the signature failed, the key changed meanwhile) it mints one itself. Three rounds
	// are enough unless other callers keep failing; it then mints without the cache.
	for range 3 {
		s, err := i.keys(ctx)
		if err != nil {
			return nil, err
		}
		now := i.cfg.Now()
		k, o, err := s.current(now)
		if err != nil {
			return nil, err
		}
		tok, e, mine := i.reuse.lookup(sess, fingerprintOf(k.ID, sess, u), AMR(sess), now)
		switch {
		case tok != nil:
			return tok.at(now), nil
		case mine:
			return i.mintInto(e, now, o, sess, u)
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return i.AccessToken(ctx, sess, u)
}

// mintInto mints the token of entry e and finishes e however minting ends, so that the
// callers waiting for it are never left hanging.
func (i *Issuer) mintInto(e *entry, now time.Time, o *opened, sess *passkeyd.Session, u *passkeyd.User) (at *AccessToken, err error) {
	defer func() { i.reuse.finish(e, at) }()
	return i.mint(now, o, sess, u)
}

// fingerprint is everything in an access token that comes from the session, the user and
// the signing key but its amr (kept beside it, as a slice is not comparable). Two calls
// with equal fingerprints and amr would mint tokens that differ only in their times and jti.
type fingerprint struct {
	kid      string
	sub      string
	username string
	authTime int64 // AuthenticatedAt in nanoseconds: a re-authentication within a second counts
	method   passkeyd.SessionMethod
	verified bool
}

func fingerprintOf(kid string, sess *passkeyd.Session, u *passkeyd.User) fingerprint {
	return fingerprint{
		kid: kid, sub: u.ID, username: u.Username, authTime: sess.AuthenticatedAt.UnixNano(),
		method: sess.Method, verified: sess.UserVerified,
	}
}

// reuse is a bounded, least-recently-used map from session id to the last token minted for
// it. One entry per session: a new fingerprint replaces the old entry instead of adding one.
type reuse struct {
	mu      sync.Mutex
	size    int
	minLeft time.Duration // a token with no more than this left is not handed out again
	lru     list.List     // of *entry, most recently used first
	bySID   map[string]*list.Element
}

// entry is a session's token, or its signature in progress (done open, token nil).
type entry struct {
	sid   string
	fp    fingerprint
	amr   []string
	done  chan struct{} // closed when the signature is over, whatever its outcome
	token *cached       // nil until the signature succeeded; under reuse.mu
	ready bool          // the signature is over; under reuse.mu
}

// cached is a minted token with its expiry and not-before as instants.
type cached struct {
	tok       *AccessToken
	expiry    time.Time
	notBefore time.Time
}

func newReuse(size int, lifetime time.Duration) *reuse {
	return &reuse{size: size, minLeft: lifetime / 2, bySID: make(map[string]*list.Element)}
}

// lookup finds the token of the session that may be handed out at now. Without one, it
// returns the signature in progress for the same fingerprint to wait for, or else (mine)
// a new entry that the caller must mint the token for and finish; the callers that come
// meanwhile wait for it.
func (r *reuse) lookup(sess *passkeyd.Session, fp fingerprint, amr []string, now time.Time) (tok *cached, e *entry, mine bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.bySID[sess.ID]; ok {
		e := el.Value.(*entry)
		same := e.fp == fp && slices.Equal(e.amr, amr)
		if same && !e.ready {
			return nil, e, false
		}
		if same && e.token.usable(sess, now, r.minLeft) {
			r.lru.MoveToFront(el)
			return e.token, nil, false
		}
		r.remove(el)
	}
	// A copy: the session's slice is the store's, or the caller's.
	e = &entry{sid: sess.ID, fp: fp, amr: slices.Clone(amr), done: make(chan struct{})}
	r.bySID[sess.ID] = r.lru.PushFront(e)
	r.trim(now)
	return nil, e, true
}

// finish records the outcome of the signature of e (at is nil when it failed) and releases
// the callers waiting for it. A failure is not kept: the next call tries again.
func (r *reuse) finish(e *entry, at *AccessToken) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at != nil {
		// A copy: the caller's token is its own.
		c := *at
		e.token = &cached{tok: &c, expiry: time.Unix(at.Claims.Expiry, 0), notBefore: time.Unix(at.Claims.NotBefore, 0)}
	} else if el, ok := r.bySID[e.sid]; ok && el.Value.(*entry) == e {
		r.remove(el)
	}
	e.ready = true
	close(e.done)
}

// trim evicts the least recently used entries beyond the size, and those at the cold end
// whose token can no longer be handed out (a few at a time, so that a call never pays for
// a sweep of the whole cache).
func (r *reuse) trim(now time.Time) {
	for r.lru.Len() > r.size {
		r.remove(r.lru.Back())
	}
	for range 2 {
		el := r.lru.Back()
		if el == nil {
			return
		}
		e := el.Value.(*entry)
		if !e.ready || e.token != nil && e.token.expiry.Sub(now) > r.minLeft {
			return
		}
		r.remove(el)
	}
}

func (r *reuse) remove(el *list.Element) {
	delete(r.bySID, el.Value.(*entry).sid)
	r.lru.Remove(el)
}

// usable reports whether the token may be handed out at now for sess: more than minLeft of
// it is left, it does not outlive the session (whose end may have moved closer since), and
// it is already valid (a clock stepped back would otherwise hand out a token from the
// future).
func (c *cached) usable(sess *passkeyd.Session, now time.Time, minLeft time.Duration) bool {
	return c != nil && c.expiry.Sub(now) > minLeft && !c.expiry.After(sess.ExpiresAt) && !now.Before(c.notBefore)
}

// at is the token as handed out at now: a copy, with the lifetime it has left.
func (c *cached) at(now time.Time) *AccessToken {
	at := *c.tok
	at.ExpiresIn = c.expiry.Sub(now).Truncate(time.Second)
	return &at
}
