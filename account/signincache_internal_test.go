package account

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func cachedPair(user string, n int) (*passkeyd.Passkey, *passkeyd.User) {
	return &passkeyd.Passkey{ID: []byte(fmt.Sprintf("%s-cred-%d", user, n)), UserID: user, Name: "Phone", SignCount: uint32(n)},
		&passkeyd.User{ID: user, Username: user}
}

func TestSignInCacheBound(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newSignInCache(4, time.Minute)
	// Ten passkeys of three users into room for four: the four last used stay.
	for i := range 10 {
		pk, u := cachedPair(fmt.Sprintf("u%d", i%3), i)
		c.put(pk, u, now)
		if i == 6 {
			// Used again: it outlives u0-cred-6, put after it.
			if _, _, ok := c.get([]byte("u0-cred-3"), now); !ok {
				t.Fatal("u0-cred-3 missing right after it was put")
			}
		}
	}
	if n, users := c.len(); n != 4 || users != 3 {
		t.Fatalf("%d passkeys of %d users cached; want 4 of 3", n, users)
	}
	for _, id := range []string{"u0-cred-3", "u1-cred-7", "u2-cred-8", "u0-cred-9"} {
		if _, _, ok := c.get([]byte(id), now); !ok {
			t.Errorf("%s was evicted; the least recently used should have gone", id)
		}
	}
	for _, id := range []string{"u0-cred-0", "u2-cred-5", "u0-cred-6"} {
		if _, _, ok := c.get([]byte(id), now); ok {
			t.Errorf("%s is still cached", id)
		}
	}

	// Dropping a user drops their passkeys; dropping a user's last passkey drops the user.
	c.dropUser("u0")
	if n, users := c.len(); n != 2 || users != 2 {
		t.Fatalf("after dropping u0: %d passkeys of %d users; want 2 of 2", n, users)
	}
	c.dropPasskey([]byte("u1-cred-7"))
	if n, users := c.len(); n != 1 || users != 1 {
		t.Fatalf("after dropping u1's only passkey: %d passkeys of %d users; want 1 of 1", n, users)
	}

	// What get returns is a copy.
	pk, u, _ := c.get([]byte("u2-cred-8"), now)
	pk.Name, pk.CloneWarning, u.Username = "changed", true, "changed"
	if pk, u, _ := c.get([]byte("u2-cred-8"), now); pk.Name != "Phone" || pk.CloneWarning || u.Username != "u2" {
		t.Fatalf("the cached entry changed with the copy: %+v %+v", pk, u)
	}

	// A credential id registered again to another user moves to that user.
	moved, other := cachedPair("u9", 0)
	moved.ID = []byte("u2-cred-8")
	c.put(moved, other, now)
	if n, users := c.len(); n != 1 || users != 1 {
		t.Fatalf("after the move: %d passkeys of %d users; want 1 of 1", n, users)
	}
	if _, u, _ := c.get([]byte("u2-cred-8"), now); u.ID != "u9" {
		t.Fatalf("owner %s, want u9", u.ID)
	}

	// An entry no sign-in confirmed for longer than the maximum age is gone.
	if _, _, ok := c.get([]byte("u2-cred-8"), now.Add(time.Minute+time.Second)); ok {
		t.Fatal("an entry past its maximum age was returned")
	}
	if n, users := c.len(); n != 0 || users != 0 {
		t.Fatalf("the expired entry is still held: %d passkeys of %d users", n, users)
	}

	// Off is off.
	var off *signInCache = newSignInCache(0, time.Minute)
	off.put(moved, other, now)
	if _, _, ok := off.get(moved.ID, now); ok || off != nil {
		t.Fatal("a cache of size 0 cached")
	}
}

// TestSignInCacheConcurrent: gets, puts and drops from many goroutines (run with -race) keep
// the bound and the user index consistent.
func TestSignInCacheConcurrent(t *testing.T) {
	now := time.Now()
	c := newSignInCache(64, time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				pk, u := cachedPair(fmt.Sprintf("u%d", (g*7+i)%50), i%5)
				switch i % 7 {
				case 0:
					c.dropUser(u.ID)
				case 1:
					c.dropPasskey(pk.ID)
				case 2, 3:
					c.get(pk.ID, now)
				default:
					c.put(pk, u, now)
				}
			}
		}()
	}
	wg.Wait()
	n, users := c.len()
	if n > 64 || users > n {
		t.Fatalf("%d passkeys of %d users in a cache of 64", n, users)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	held := 0
	for id, cu := range c.users {
		for _, k := range cu.keys {
			el, ok := c.byID[k]
			if !ok || el.Value.(*cachedPasskey).user != cu {
				t.Fatalf("user %s lists %s, which is not cached as theirs", id, k)
			}
			held++
		}
	}
	if held != n || len(c.byID) != n {
		t.Fatalf("users list %d passkeys, the index %d, the list %d", held, len(c.byID), n)
	}
}

// BenchmarkSignInCacheMemory reports what a full cache of ES256 passkeys (32-byte credential
// ids, 77-byte COSE keys) with their owners (and a password hash) costs in heap per entry:
// the cache's own structures and the read it keeps alive.
func BenchmarkSignInCacheMemory(b *testing.B) {
	const n = DefaultSignInCache
	random := func(k int) []byte {
		v := make([]byte, k)
		_, _ = rand.Read(v)
		return v
	}
	var perEntry float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := newSignInCache(n, time.Hour)
		now := time.Now()
		for i := range n {
			disc := true
			u := &passkeyd.User{ID: fmt.Sprintf("%022d", i), Handle: random(32), Username: fmt.Sprintf("user%d@example.com", i),
				UsernameKey: fmt.Sprintf("user%d@example.com", i), DisplayName: fmt.Sprintf("User %d", i),
				PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$" + fmt.Sprintf("%022d$%043d", i, i)}
			c.put(&passkeyd.Passkey{ID: random(32), UserID: u.ID, Name: "iCloud Keychain", PublicKey: random(77), Algorithm: -7,
				AAGUID: random(16), Transports: []string{"hybrid", "internal"}, AttestationFormat: "none", AttestationType: "none",
				BackupEligible: true, BackedUp: true, UserVerified: true, Discoverable: &disc}, u, now)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(c)
	}
	b.ReportMetric(perEntry, "heap-B/entry")
}
