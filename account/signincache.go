package account

import (
	"container/list"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// The sign-in cache keeps the passkeys that signed in on this instance lately, each with its
// owner, so that the next sign-in with one reads neither from the store: its only store
// work is the sign-in's own write. It is never the authority. RecordLogin applies a sign-in
// only while the etags it was decided on are the stored ones (and the counter rule holds),
// and every other verdict reached on a cached read — a refusal, a clone flag, a counter
// regression — is reached again on a fresh read before it counts (see finishLogin). So an
// entry made stale by another instance, or by a change here that raced the entry in, costs
// one more read, never a wrong answer; the changes this instance makes drop their entries
// at once. Only sign-ins that succeeded fill it, so requests with made-up credential ids
// cannot flood it.

// DefaultSignInCache is how many passkeys the sign-in cache holds when Config.SignInCache is
// 0: at about 1 KiB an entry (an ES256 passkey with its owner, index and list overhead
// included), about 1 MiB of heap. Kept small because an entry only pays when its passkey
// signs in again on the same instance within maxAge: with logins spread over 100,000 users
// a cache of 4,096 hit a few percent of them and added ~8 MB of resident memory.
const DefaultSignInCache = 1024

// signInCacheMaxAge bounds how long an entry not confirmed by a sign-in is kept: not for
// correctness (the etags are), but so that the data of an account another instance deleted
// does not stay in this one's memory for long.
const signInCacheMaxAge = 10 * time.Minute

// signInCache is a bounded LRU of passkeys by credential id, with their owners by user id.
// The nil cache is a cache that is off. It is safe for concurrent use.
type signInCache struct {
	mu     sync.Mutex
	max    int
	maxAge time.Duration
	lru    list.List                // of *cachedPasskey, most recently used first
	byID   map[string]*list.Element // credential id → its element
	users  map[string]*cachedUser   // user id → the owner of cached passkeys
}

type cachedPasskey struct {
	key  string // the credential id
	pk   passkeyd.Passkey
	user *cachedUser
	at   time.Time // when the store last confirmed it (a read, or a sign-in it applied)
}

type cachedUser struct {
	u    passkeyd.User
	keys []string // the user's cached passkeys
}

// newSignInCache returns a cache of at most max passkeys, or nil (off) when max < 1.
func newSignInCache(max int, maxAge time.Duration) *signInCache {
	if max < 1 {
		return nil
	}
	return &signInCache{max: max, maxAge: maxAge, byID: make(map[string]*list.Element), users: make(map[string]*cachedUser)}
}

// get returns copies of the cached passkey with that credential id and of its owner.
func (c *signInCache) get(id []byte, now time.Time) (*passkeyd.Passkey, *passkeyd.User, bool) {
	if c == nil {
		return nil, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[string(id)]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*cachedPasskey)
	if now.Sub(e.at) > c.maxAge || now.Before(e.at.Add(-c.maxAge)) {
		c.remove(el)
		return nil, nil, false
	}
	c.lru.MoveToFront(el)
	pk, u := e.pk, e.user.u
	return &pk, &u, true
}

// put caches (copies of) a passkey and its owner as the store confirmed them at now,
// evicting the least recently used passkeys beyond the bound.
func (c *signInCache) put(pk *passkeyd.Passkey, owner *passkeyd.User, now time.Time) {
	if c == nil || pk.UserID != owner.ID {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[string(pk.ID)]; ok {
		c.remove(el)
	}
	cu, ok := c.users[owner.ID]
	if !ok {
		cu = &cachedUser{}
		c.users[owner.ID] = cu
	}
	// The newer read of the owner serves all of its passkeys; were it older after all, the
	// etag check would send the next sign-in to the store.
	cu.u = *owner
	key := string(pk.ID)
	cu.keys = append(cu.keys, key)
	c.byID[key] = c.lru.PushFront(&cachedPasskey{key: key, pk: *pk, user: cu, at: now})
	for c.lru.Len() > c.max {
		c.remove(c.lru.Back())
	}
}

// dropPasskey forgets a passkey: this instance changed or deleted it.
func (c *signInCache) dropPasskey(id []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[string(id)]; ok {
		c.remove(el)
	}
}

// dropUser forgets a user and their passkeys: this instance changed or deleted the account.
func (c *signInCache) dropUser(userID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cu, ok := c.users[userID]
	if !ok {
		return
	}
	for len(cu.keys) > 0 {
		c.remove(c.byID[cu.keys[0]])
	}
}

// remove unlinks one entry, and its owner with their last passkey. The caller holds mu.
func (c *signInCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cachedPasskey)
	delete(c.byID, e.key)
	cu := e.user
	for i, k := range cu.keys {
		if k == e.key {
			cu.keys = append(cu.keys[:i], cu.keys[i+1:]...)
			break
		}
	}
	if len(cu.keys) == 0 && c.users[e.pk.UserID] == cu {
		delete(c.users, e.pk.UserID)
	}
}

// len says how many passkeys and users are cached.
func (c *signInCache) len() (passkeys, users int) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), len(c.users)
}
