package account_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/softauthn"
)

// calls records which store methods a use case calls, in order, so that the work for a
// known and an unknown username can be compared exactly (timing alone is too noisy to
// assert on).
type calls struct {
	passkeyd.Store
	mu  sync.Mutex
	log []string
}

func (c *calls) note(name string) {
	c.mu.Lock()
	c.log = append(c.log, name)
	c.mu.Unlock()
}

func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.log
	c.log = nil
	return out
}

func (c *calls) UserByUsername(ctx context.Context, key string) (*passkeyd.User, error) {
	c.note("UserByUsername")
	return c.Store.UserByUsername(ctx, key)
}

func (c *calls) Passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	c.note("Passkeys")
	return c.Store.Passkeys(ctx, userID)
}

func (c *calls) UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error {
	c.note("UseRecoveryCode")
	return c.Store.UseRecoveryCode(ctx, userID, hash, now)
}

func (c *calls) UserByID(ctx context.Context, id string) (*passkeyd.User, error) {
	c.note("UserByID")
	return c.Store.UserByID(ctx, id)
}

func newService(t *testing.T) (*account.Service, *calls) {
	t.Helper()
	store := &calls{Store: memory.NewStore()}
	challenges := memory.NewChallenges()
	t.Cleanup(func() { challenges.Close() })
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(context.Background(), store, challenges, rp, account.Config{RecoveryCodes: true, Lockout: account.NewLockout()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc, store
}

func signUp(t *testing.T, svc *account.Service, name string, a *softauthn.Authenticator) []string {
	t.Helper()
	return register(t, svc, name, a).RecoveryCodes
}

// TestSameStoreWorkForUnknownUsernames: authentication options and a wrong recovery code do
// the same store calls for a known username, a known one without a passkey and an unknown
// one; the medians of 200 interleaved timings are reported (not asserted: this machine is
// shared and noisy).
func TestSameStoreWorkForUnknownUsernames(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	signUp(t, svc, "alice", softauthn.MustNew(softauthn.Options{}))
	store.take()

	names := []string{"alice", "nobody-here"}
	var want []string
	for _, name := range names {
		if _, err := svc.BeginLogin(ctx, name); err != nil {
			t.Fatal(err)
		}
		got := store.take()
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Fatalf("options for %q: store calls %v, for alice %v", name, got, want)
		}
	}
	want = nil
	for _, name := range names {
		_, _, err := svc.RecoveryLogin(ctx, name, "AAAA-BBBB-CCCC-DDDD")
		if passkeyd.ErrorCode(err) != passkeyd.CodeInvalidCredentials {
			t.Fatalf("recovery login %q: %v", name, err)
		}
		got := store.take()
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Fatalf("wrong recovery code for %q: store calls %v, for alice %v", name, got, want)
		}
	}

	// Timing: 200 interleaved samples of each (a fresh username for the recovery codes, so
	// the lockout does not end the run).
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	var optKnown, optUnknown, recKnown, recUnknown []time.Duration
	for i := 0; i < 200; i++ {
		for j, name := range names {
			start := time.Now()
			_, _ = svc.BeginLogin(ctx, name)
			if d := time.Since(start); j == 0 {
				optKnown = append(optKnown, d)
			} else {
				optUnknown = append(optUnknown, d)
			}
		}
	}
	// Four real accounts with recovery codes and four unknown names, cycled (the service has
	// a lockout, so each name gets few guesses before it locks: the same for both kinds).
	for i := 0; i < 4; i++ {
		signUp(t, svc, "known"+string(rune('a'+i)), softauthn.MustNew(softauthn.Options{}))
	}
	for i := 0; i < 200; i++ {
		for j, name := range []string{"known" + string(rune('a'+i%4)), "ghost" + string(rune('a'+i%4))} {
			start := time.Now()
			_, _, _ = svc.RecoveryLogin(ctx, name, "AAAA-BBBB-CCCC-DDDD")
			if d := time.Since(start); j == 0 {
				recKnown = append(recKnown, d)
			} else {
				recUnknown = append(recUnknown, d)
			}
		}
	}
	known, _ := svc.BeginLogin(ctx, names[0])
	unknown, _ := svc.BeginLogin(ctx, names[1])
	t.Logf("authentication options, median of 200: known %v (%d credentials), unknown %v (%d decoys)", median(optKnown), len(known.AllowCredentials), median(optUnknown), len(unknown.AllowCredentials))
	t.Logf("wrong recovery code, median of 200: known %v, unknown %v", median(recKnown), median(recUnknown))
}

// TestDecoysLookLikeRealLists: decoy lists are stable per username and drawn from the
// distribution of real ones: 1–4 credentials, real id lengths, transports in canonical
// (sorted) order, as stored transports are.
func TestDecoysLookLikeRealLists(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	counts, lengths := map[int]int{}, map[int]int{}
	for i := 0; i < 2000; i++ {
		name := "ghost" + strings.Repeat("y", i%7) + string(rune('a'+i%26)) + string(rune('a'+(i/26)%26)) + string(rune('a'+i/676))
		opts, err := svc.BeginLogin(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := svc.BeginLogin(ctx, name)
		if len(opts.AllowCredentials) != len(again.AllowCredentials) || string(opts.AllowCredentials[0].ID) != string(again.AllowCredentials[0].ID) {
			t.Fatalf("decoys for %q are not stable", name)
		}
		counts[len(opts.AllowCredentials)]++
		for _, d := range opts.AllowCredentials {
			lengths[len(d.ID)]++
			if !slices.IsSorted(d.Transports) || len(d.Transports) == 0 {
				t.Fatalf("decoy transports %v are not in canonical order", d.Transports)
			}
		}
	}
	for n := 1; n <= 4; n++ {
		if counts[n] == 0 {
			t.Fatalf("no decoy list of %d credentials in 2000: %v", n, counts)
		}
	}
	if counts[1] < counts[2] || counts[2] < counts[3] {
		t.Fatalf("decoy counts %v: most real accounts have one passkey", counts)
	}
	for _, l := range []int{16, 20, 32, 64} {
		if lengths[l] == 0 {
			t.Fatalf("no decoy id of %d bytes: %v", l, lengths)
		}
	}
	t.Logf("decoy list sizes %v, id lengths %v", counts, lengths)
}
