package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/sqlite"
)

// The sign-in cache against real stores: two account services on one database stand for
// two passkeyd instances (PostgreSQL: each with a pool of its own; SQLite: one handle, as
// SQLite has one server process), sharing their challenges as they would through Redis.

// backend opens the stores of two instances on one fresh database.
type backend struct {
	name string
	open func(t testing.TB) (a, b passkeyd.Store)
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) (passkeyd.Store, passkeyd.Store) {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, db
		}},
		{"postgres", func(t testing.TB) (passkeyd.Store, passkeyd.Store) {
			url := pgtest.URL(t)
			open := func() *postgres.DB {
				db, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			return open(), open()
		}},
	}
}

// reads counts the store reads of the sign-in path.
type reads struct {
	passkeyd.Store
	n atomic.Int64
}

func (r *reads) Passkey(ctx context.Context, id []byte) (*passkeyd.Passkey, error) {
	r.n.Add(1)
	return r.Store.Passkey(ctx, id)
}

func (r *reads) UserByID(ctx context.Context, id string) (*passkeyd.User, error) {
	r.n.Add(1)
	return r.Store.UserByID(ctx, id)
}

// instance is one account service with what the tests watch of it.
type instance struct {
	*account.Service
	reads    *reads
	mu       sync.Mutex
	outcomes []string // of its sign-in cache lookups
}

func (in *instance) took() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.outcomes
	in.outcomes = nil
	return out
}

type instanceOptions struct {
	cache  int    // account.Config.SignInCache
	policy string // the counter policy
}

func newInstance(t testing.TB, store passkeyd.Store, challenges passkeyd.ChallengeStore, o instanceOptions) *instance {
	t.Helper()
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{reads: &reads{Store: store}}
	svc, err := account.New(context.Background(), in.reads, challenges, rp, account.Config{
		CounterPolicy: o.policy,
		Passwords:     password.New(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1}),
		SignInCache:   o.cache,
		OnSignInCache: func(outcome string) {
			in.mu.Lock()
			in.outcomes = append(in.outcomes, outcome)
			in.mu.Unlock()
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	in.Service = svc
	return in
}

// pair is two instances on one database; a's cache is as the test asks, b's the default.
func pair(t testing.TB, be backend, a instanceOptions) (*instance, *instance, passkeyd.Store) {
	t.Helper()
	sa, sb := be.open(t)
	challenges := memory.NewChallenges()
	t.Cleanup(func() { challenges.Close() })
	b := instanceOptions{policy: a.policy}
	return newInstance(t, sa, challenges, a), newInstance(t, sb, challenges, b), sa
}

func register(t testing.TB, svc *account.Service, name string, a *softauthn.Authenticator) *account.Registered {
	t.Helper()
	ctx := context.Background()
	opts, err := svc.BeginSignUp(ctx, account.SignUpRequest{Username: name})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"publicKey": opts})
	cred, err := a.Register(raw)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.FinishRegistration(ctx, nil, cred, "")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// assertion is a usernameless sign-in's response, for options svc issued; tamper, when
// set, replays a counter.
func assertion(t testing.TB, svc *account.Service, a *softauthn.Authenticator, replay *uint32) json.RawMessage {
	t.Helper()
	opts, err := svc.BeginLogin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"publicKey": opts})
	cred, err := a.LoginWith(raw, softauthn.Tamper{SignCount: replay})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func signIn(t testing.TB, svc *account.Service, a *softauthn.Authenticator, replay *uint32) (*account.LoggedIn, error) {
	t.Helper()
	return svc.FinishLogin(context.Background(), assertion(t, svc, a, replay))
}

func counter(n uint32) *uint32 { return &n }

// signInOutcome is what a sign-in did, as far as a client and the database tell.
type signInOutcome struct {
	Code         passkeyd.Code // "" for a sign-in
	Name         string        // the passkey's, in the answer
	SignCount    uint32        // in the answer
	StoredCount  uint32
	CloneWarning bool // stored
	NewSessions  int
}

// TestSignInCacheAcrossInstances: instance A has signed in with a passkey (so has it
// cached) when instance B changes the passkey or its account; A's next sign-in then does
// exactly what it does with its cache off.
func TestSignInCacheAcrossInstances(t *testing.T) {
	ctx := context.Background()
	const pw = "a long passphrase nobody guesses 8!"
	cases := []struct {
		name string
		// change runs on B, after two sign-ins on A (counters 1 and 2).
		change func(t *testing.T, b *instance, a *softauthn.Authenticator, reg *account.Registered)
		replay *uint32 // A's final sign-in replays this counter
		want   signInOutcome
		kept   bool // the change left the etags alone: A's cached entry is good
	}{
		{"renamed", func(t *testing.T, b *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if _, err := b.RenamePasskey(ctx, reg.User.ID, reg.Passkey.ID, "Work laptop"); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Name: "Work laptop", SignCount: 3, StoredCount: 3, NewSessions: 1}, false},
		{"revoked by an operator", func(t *testing.T, b *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := b.RevokePasskey(ctx, reg.User.ID, reg.Passkey.ID); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Code: passkeyd.CodeCredentialUnknown}, false},
		{"deleted by its owner", func(t *testing.T, b *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := b.ChangePassword(ctx, reg.Session.Session, "", pw); err != nil {
				t.Fatal(err)
			}
			if err := b.DeletePasskey(ctx, reg.Session.Session, reg.Passkey.ID); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Code: passkeyd.CodeCredentialUnknown}, false},
		{"flagged as cloned", func(t *testing.T, b *instance, a *softauthn.Authenticator, _ *account.Registered) {
			if _, err := signIn(t, b.Service, a, counter(1)); !errors.Is(err, passkeyd.ErrCounterRegression) {
				t.Fatalf("a replayed counter on B: %v", err)
			}
		}, nil, signInOutcome{Code: passkeyd.CodeCounterRegression, StoredCount: 2, CloneWarning: true}, false},
		{"flagged, then cleared by an operator", func(t *testing.T, b *instance, a *softauthn.Authenticator, reg *account.Registered) {
			if _, err := signIn(t, b.Service, a, counter(1)); !errors.Is(err, passkeyd.ErrCounterRegression) {
				t.Fatalf("a replayed counter on B: %v", err)
			}
			if err := b.ClearCloneWarning(ctx, reg.User.ID, reg.Passkey.ID); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Name: "Device passkey", SignCount: 4, StoredCount: 4, NewSessions: 1}, false},
		{"password set", func(t *testing.T, b *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := b.ChangePassword(ctx, reg.Session.Session, "", pw); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Name: "Device passkey", SignCount: 3, StoredCount: 3, NewSessions: 1}, false},
		{"account deleted", func(t *testing.T, b *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := b.DeleteAccount(ctx, reg.Session.Session); err != nil {
				t.Fatal(err)
			}
		}, nil, signInOutcome{Code: passkeyd.CodeCredentialUnknown}, false},
		{"counter moved on, then the next counter", func(t *testing.T, b *instance, a *softauthn.Authenticator, _ *account.Registered) {
			for range 2 {
				if _, err := signIn(t, b.Service, a, nil); err != nil {
					t.Fatal(err)
				}
			}
		}, nil, signInOutcome{Name: "Device passkey", SignCount: 5, StoredCount: 5, NewSessions: 1}, true},
		{"counter moved on, then a counter between A's and the stored one", func(t *testing.T, b *instance, a *softauthn.Authenticator, _ *account.Registered) {
			for range 2 {
				if _, err := signIn(t, b.Service, a, nil); err != nil {
					t.Fatal(err)
				}
			}
		}, counter(3), signInOutcome{Code: passkeyd.CodeCounterRegression, StoredCount: 4, CloneWarning: true}, false},
	}
	cases = append(cases, struct {
		name   string
		change func(t *testing.T, b *instance, a *softauthn.Authenticator, reg *account.Registered)
		replay *uint32
		want   signInOutcome
		kept   bool
	}{"revoked, and registered again under the same credential id", func(t *testing.T, b *instance, a *softauthn.Authenticator, reg *account.Registered) {
		if err := b.RevokePasskey(ctx, reg.User.ID, reg.Passkey.ID); err != nil {
			t.Fatal(err)
		}
		// Another key (with a counter starting again) behind the same id: A's cached key
		// fails its signature, and its cached counter would call it a regression.
		old := a.Credentials()[0]
		if !a.Remove(old.ID) {
			t.Fatal("the authenticator lost its credential")
		}
		opts, err := b.BeginAddPasskey(ctx, reg.Session.Session, "")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(map[string]any{"publicKey": opts})
		cred, err := a.RegisterWith(raw, softauthn.Tamper{CredentialID: old.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.FinishRegistration(ctx, reg.Session.Session, cred, "Again"); err != nil {
			t.Fatal(err)
		}
	}, nil, signInOutcome{Name: "Again", SignCount: 1, StoredCount: 1, NewSessions: 1}, false})
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got := map[string]signInOutcome{}
					for _, mode := range []struct {
						name  string
						cache int
					}{{"cached", 0}, {"uncached", -1}} {
						a, b, store := pair(t, be, instanceOptions{cache: mode.cache, policy: "refuse"})
						auth := softauthn.MustNew(softauthn.Options{})
						reg := register(t, b.Service, "alice", auth)
						for i := range 2 {
							before := a.reads.n.Load()
							if _, err := signIn(t, a.Service, auth, nil); err != nil {
								t.Fatal(err)
							}
							if r := a.reads.n.Load() - before; mode.cache == 0 && i == 1 && r != 0 {
								t.Fatalf("%s: the second sign-in on A read the store %d times; want 0", mode.name, r)
							}
						}
						a.took()
						tc.change(t, b, auth, reg)
						sessions := func() int {
							ss, err := store.Sessions(ctx, reg.User.ID, time.Now())
							if err != nil {
								t.Fatal(err)
							}
							return len(ss)
						}
						before := sessions()
						res, err := signIn(t, a.Service, auth, tc.replay)
						var o signInOutcome
						if err != nil {
							o.Code = passkeyd.ErrorCode(err)
						} else {
							o.Name, o.SignCount = res.Passkey.Name, res.Passkey.SignCount
						}
						o.NewSessions = sessions() - before
						if p, err := store.Passkey(ctx, reg.Passkey.ID); err == nil {
							o.StoredCount, o.CloneWarning = p.SignCount, p.CloneWarning
						}
						got[mode.name] = o
						// A decided on its cached entry, and again on a fresh read unless B's
						// change left the passkey's etag alone and the store took the sign-in.
						if lookups := a.took(); mode.cache == 0 && (len(lookups) == 0 || lookups[0] != "hit" || slices.Contains(lookups, "redecided") == tc.kept) {
							t.Errorf("cache lookups %v", lookups)
						}
					}
					if got["cached"] != got["uncached"] {
						t.Fatalf("with the cache: %+v\nwithout:        %+v", got["cached"], got["uncached"])
					}
					if got["cached"] != tc.want {
						t.Fatalf("%+v\nwant %+v", got["cached"], tc.want)
					}
				})
			}
		})
	}
}

// TestSignInCacheLocalChanges: a change made through an instance drops what its cache holds
// of the passkey or account at once, so the next sign-in reads the store instead of
// deciding on the old entry and being sent back by the store.
func TestSignInCacheLocalChanges(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, a *instance, auth *softauthn.Authenticator, reg *account.Registered)
		want   passkeyd.Code
	}{
		{"renamed", func(t *testing.T, a *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if _, err := a.RenamePasskey(ctx, reg.User.ID, reg.Passkey.ID, "Laptop"); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"revoked", func(t *testing.T, a *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := a.RevokePasskey(ctx, reg.User.ID, reg.Passkey.ID); err != nil {
				t.Fatal(err)
			}
		}, passkeyd.CodeCredentialUnknown},
		{"password set", func(t *testing.T, a *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := a.ChangePassword(ctx, reg.Session.Session, "", "a long passphrase nobody guesses 8!"); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"account deleted", func(t *testing.T, a *instance, _ *softauthn.Authenticator, reg *account.Registered) {
			if err := a.DeleteAccount(ctx, reg.Session.Session); err != nil {
				t.Fatal(err)
			}
		}, passkeyd.CodeCredentialUnknown},
		{"flag cleared", func(t *testing.T, a *instance, auth *softauthn.Authenticator, reg *account.Registered) {
			// Flagged on this instance (which drops the entry too), then cleared.
			if _, err := signIn(t, a.Service, auth, counter(1)); !errors.Is(err, passkeyd.ErrCounterRegression) {
				t.Fatal(err)
			}
			if err := a.ClearCloneWarning(ctx, reg.User.ID, reg.Passkey.ID); err != nil {
				t.Fatal(err)
			}
		}, ""},
	}
	be := backends()[0]
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := pair(t, be, instanceOptions{policy: "refuse"})
			auth := softauthn.MustNew(softauthn.Options{})
			reg := register(t, a.Service, "alice", auth)
			for range 2 {
				if _, err := signIn(t, a.Service, auth, nil); err != nil {
					t.Fatal(err)
				}
			}
			tc.change(t, a, auth, reg)
			a.took()
			_, err := signIn(t, a.Service, auth, nil)
			if code := passkeyd.Code(""); err != nil {
				code = passkeyd.ErrorCode(err)
				if code != tc.want {
					t.Fatalf("sign-in: %v, want %s", err, tc.want)
				}
			} else if tc.want != "" {
				t.Fatalf("signed in, want %s", tc.want)
			}
			if lookups := a.took(); !slices.Equal(lookups, []string{"miss"}) {
				t.Fatalf("cache lookups %v, want [miss]", lookups)
			}
		})
	}
}

// TestSignInCacheRace: many sign-ins at once on two instances, with increasing counters and
// with replays of each, while an operator clears clone flags on either instance. The
// counter update stays the authority over both caches: no counter is accepted twice (a
// replay never signs in in place of the original), the stored counter never goes back, and
// it ends at the highest counter accepted.
func TestSignInCacheRace(t *testing.T) {
	if testing.Short() {
		t.Skip("many ES256 ceremonies")
	}
	for _, be := range backends() {
		for _, policy := range []string{"warn", "refuse"} {
			t.Run(be.name+"/"+policy, func(t *testing.T) { raceSignIns(t, be, policy) })
		}
	}
}

func raceSignIns(t *testing.T, be backend, policy string) {
	ctx := context.Background()
	const users, each = 4, 16
	a, b, store := pair(t, be, instanceOptions{policy: policy})
	instances := []*instance{a, b}
	type job struct {
		user int
		cred json.RawMessage
		on   *instance
	}
	auths := make([]*softauthn.Authenticator, users)
	regs := make([]*account.Registered, users)
	var jobs []job
	for u := range users {
		auths[u] = softauthn.MustNew(softauthn.Options{})
		regs[u] = register(t, a.Service, fmt.Sprintf("user%d", u), auths[u])
		// Both caches hold every passkey before the race.
		for _, in := range instances {
			if _, err := signIn(t, in.Service, auths[u], nil); err != nil {
				t.Fatal(err)
			}
		}
		for i := range each {
			issuer := instances[i%2]
			fresh := assertion(t, issuer.Service, auths[u], nil)
			n := uint32(2 + 2*i + 1) // the counter fresh carries
			replay := assertion(t, instances[(i+1)%2].Service, auths[u], &n)
			jobs = append(jobs, job{u, fresh, instances[(i+u)%2]}, job{u, replay, instances[(i+u+1)%2]})
		}
	}
	var (
		mu       sync.Mutex
		accepted = make([][]uint32, users)
		warned   int
		refused  int
	)
	stop := make(chan struct{})
	var helpers sync.WaitGroup
	// The operator: clears flags, on either instance, all through the race.
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			r := regs[i%users]
			if err := instances[i%2].ClearCloneWarning(ctx, r.User.ID, r.Passkey.ID); err != nil {
				t.Error(err)
			}
		}
	}()
	// A watcher: the stored counters never go back.
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		last := make([]uint32, users)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for u, r := range regs {
				p, err := store.Passkey(ctx, r.Passkey.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if p.SignCount < last[u] {
					t.Errorf("user%d: the stored counter went from %d back to %d", u, last[u], p.SignCount)
				}
				last[u] = p.SignCount
			}
			time.Sleep(time.Millisecond)
		}
	}()
	work := make(chan job)
	var workers sync.WaitGroup
	for range 8 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range work {
				res, err := j.on.FinishLogin(ctx, j.cred)
				mu.Lock()
				switch {
				case err == nil && !res.Passkey.CloneWarning:
					accepted[j.user] = append(accepted[j.user], res.Passkey.SignCount)
				case err == nil:
					warned++ // the warn policy's sign-in of a flagged passkey: the counter stays
				case errors.Is(err, passkeyd.ErrCounterRegression), passkeyd.ErrorCode(err) == passkeyd.CodeUnavailable:
					refused++
				default:
					t.Errorf("sign-in: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	// Round-robin over users, so each passkey has several sign-ins in flight.
	for i := range each * 2 {
		for u := range users {
			work <- jobs[u*each*2+i]
		}
	}
	close(work)
	workers.Wait()
	close(stop)
	helpers.Wait()

	total := 0
	for u, r := range regs {
		got := accepted[u]
		total += len(got)
		sorted := slices.Sorted(slices.Values(got))
		if len(slices.Compact(slices.Clone(sorted))) != len(sorted) {
			t.Errorf("user%d: a counter was accepted twice: %v", u, sorted)
		}
		p, err := store.Passkey(ctx, r.Passkey.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint32(2); len(sorted) > 0 {
			want = sorted[len(sorted)-1]
			if p.SignCount != want {
				t.Errorf("user%d: stored counter %d, want the highest accepted %d", u, p.SignCount, want)
			}
		} else if p.SignCount != want {
			t.Errorf("user%d: stored counter %d with nothing accepted, want %d", u, p.SignCount, want)
		}
	}
	outcomes := map[string]int{}
	for _, in := range instances {
		for _, o := range in.took() {
			outcomes[o]++
		}
	}
	t.Logf("%d sign-ins: %d accepted, %d warned, %d refused; cache %v", len(jobs), total, warned, refused, outcomes)
	if total == 0 {
		t.Fatal("no sign-in was accepted: the race raced nothing")
	}
}
