// Package storetest is the one behaviour suite every passkeyd store implementation runs:
// memory, SQLite, PostgreSQL and Redis pass the same tests, so the rest of the server can
// rely on the contract in store.go rather than on one implementation.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Run tests a passkeyd.Store. open returns a fresh, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) passkeyd.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s passkeyd.Store)
	}{
		{"CreateAccount stores user, passkey and session", testCreateAccount},
		{"CreateAccount refuses a taken username and stores nothing", testUsernameTaken},
		{"CreateAccount refuses a registered credential and leaves no user", testCreateAccountCredentialExists},
		{"CreateAccount stores a TOTP with the user, or neither", testCreateAccountWithTOTP},
		{"lookups of missing rows are ErrNotFound", testNotFound},
		{"AddPasskey", testAddPasskey},
		{"Passkeys round-trip every field, newest first", testPasskeyFields},
		{"RecordLogin applies the counter rule", testRecordLogin},
		{"RecordLogin lets one of concurrent equal counters win", testRecordLoginConcurrent},
		{"RecordLogin writes counter, session, audit event and webhooks together or not at all", testRecordLoginAtomic},
		{"RecordLogin refuses a use decided on an old read and writes nothing", testRecordLoginStale},
		{"etags: drawn at creation, changed by every change but a sign-in", testETags},
		{"SetCloneWarning", testCloneWarning},
		{"RenamePasskey", testRename},
		{"DeletePasskey enforces the last-way-in rule", testDelete},
		{"DeletePasskey of the last two concurrently leaves one", testDeleteConcurrent},
		{"sessions", testSessions},
		{"sessions keep their details; list, revoke one, re-authenticate in place", testSessionDetails},
		{"DeleteOtherSessions keeps only the named session", testDeleteOtherSessions},
		{"deleting or revoking a passkey ends the sessions it signed in", testPasskeyDeletionEndsItsSessions},
		{"ReplacePassword sets or removes the password and revokes other sessions", testReplacePassword},
		{"ReplacePassword removal races the last passkey's deletion safely", testReplacePasswordRacesDelete},
		{"DeleteAccount deletes everything of the user and anonymises the audit log", testDeleteAccount},
		{"recovery codes are single-use and replaceable", testRecoveryCodes},
		{"password hashes", testPasswordHash},
		{"TOTP: single-use steps, confirm, replace, delete", testTOTP},
		{"audit events, newest first", testAudit},
		{"webhook outbox: leases, oldest first, expire", testOutboxLease},
		{"webhook outbox: delivered rows are never leased again and are pruned", testOutboxDeliveredAndPruned},
		{"webhook outbox: dead letters after max attempts or max age, retried", testOutboxDeadLetters},
		{"webhook outbox: written with the audit event or not at all", testOutboxAtomic},
		{"webhook outbox: concurrent leasers never get the same delivery", testOutboxConcurrentLeases},
		{"operator revocation of passkeys and sessions", testRevocation},
		{"SearchUsers by username prefix", testSearchUsers},
		{"Secret is created once", testSecret},
		{"signing keys: one per slot, listed by NotBefore until they expire", testSigningKeys},
		{"signing keys: concurrent creators of one slot end with one key", testSigningKeysConcurrent},
		{"OpenID clients: add, list by id, refuse a taken id, delete", testOIDCClients},
		{"OpenID grants: refresh rotation, reuse revokes the family, expiry, sweep", testOIDCGrants},
		{"OpenID grants go with their client and their user", testOIDCGrantsGoWithClientAndUser},
		{"OpenID grants: of concurrent rotations of one token one wins and the family is revoked", testOIDCRotateConcurrent},
		{"AAGUID rules: one per AAGUID, listed by AAGUID, moved and deleted", testAAGUIDRules},
		{"PasskeysByAAGUID pages by user, each user whole", testPasskeysByAAGUID},
		{"AdoptionStats counts users, passkey holders, device types and models", testAdoptionStats},
		{"Ping", func(t *testing.T, s passkeyd.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var ctx = context.Background()

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func id() string { return base64.RawURLEncoding.EncodeToString(random(16)) }

// now is a fixed instant with microseconds, so precision loss shows.
var now = time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)

func newUser(name string) *passkeyd.User {
	return &passkeyd.User{ID: id(), Handle: random(32), Username: name, UsernameKey: name, DisplayName: "User " + name, CreatedAt: now}
}

func newPasskey(userID string, at time.Time) *passkeyd.Passkey {
	disc := true
	return &passkeyd.Passkey{
		ID: random(32), UserID: userID, Name: "Phone", PublicKey: random(77), Algorithm: -7, SignCount: 0,
		AAGUID: random(16), Transports: []string{"internal", "hybrid"}, AttestationFormat: "none", AttestationType: "none",
		BackupEligible: true, BackedUp: true, UserVerified: true, Discoverable: &disc, CreatedAt: at,
	}
}

func newSession(userID string, expires time.Time) *passkeyd.Session {
	return &passkeyd.Session{ID: id(), TokenHash: random(32), UserID: userID, Method: passkeyd.MethodPasskey, AuthenticatedAt: now, ExpiresAt: expires}
}

// account creates a user with one passkey and a session.
func account(t *testing.T, s passkeyd.Store, name string) (*passkeyd.User, *passkeyd.Passkey, *passkeyd.Session) {
	t.Helper()
	u := newUser(name)
	p := newPasskey(u.ID, now)
	sess := newSession(u.ID, now.Add(time.Hour))
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p, Session: sess}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return u, p, sess
}

func mustIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func sameUser(t *testing.T, got, want *passkeyd.User) {
	t.Helper()
	if got.ID != want.ID || !bytes.Equal(got.Handle, want.Handle) || got.Username != want.Username || got.UsernameKey != want.UsernameKey ||
		got.DisplayName != want.DisplayName || got.PasswordHash != want.PasswordHash || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("user %+v, want %+v", got, want)
	}
}

func testCreateAccount(t *testing.T, s passkeyd.Store) {
	u, p, sess := account(t, s, "alice")
	for _, get := range []func() (*passkeyd.User, error){
		func() (*passkeyd.User, error) { return s.UserByID(ctx, u.ID) },
		func() (*passkeyd.User, error) { return s.UserByUsername(ctx, "alice") },
		func() (*passkeyd.User, error) { return s.UserByHandle(ctx, u.Handle) },
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, got, u)
	}
	if _, err := s.Passkey(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByTokenHash(ctx, sess.TokenHash, now)
	if err != nil || got.ID != sess.ID || got.UserID != u.ID {
		t.Fatalf("session %+v %v", got, err)
	}
}

func testUsernameTaken(t *testing.T, s passkeyd.Store) {
	account(t, s, "alice")
	u := newUser("alice")
	p := newPasskey(u.ID, now)
	mustIs(t, s.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p, Session: newSession(u.ID, now.Add(time.Hour))}), passkeyd.ErrUsernameTaken)
	if _, err := s.Passkey(ctx, p.ID); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatal("the loser's passkey was stored")
	}
	if _, err := s.UserByID(ctx, u.ID); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatal("the loser's user was stored")
	}
}

func testCreateAccountCredentialExists(t *testing.T, s passkeyd.Store) {
	_, p, _ := account(t, s, "alice")
	u := newUser("bob")
	q := newPasskey(u.ID, now)
	q.ID = p.ID
	sess := newSession(u.ID, now.Add(time.Hour))
	mustIs(t, s.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: q, Session: sess}), passkeyd.ErrCredentialExists)
	if _, err := s.UserByUsername(ctx, "bob"); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatal("a half-created account was left behind")
	}
	if _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatal("the failed sign-up's session was stored")
	}
}

func testNotFound(t *testing.T, s passkeyd.Store) {
	_, err := s.UserByID(ctx, "nope")
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.UserByUsername(ctx, "nope")
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.UserByHandle(ctx, random(32))
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.Passkey(ctx, random(16))
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.SessionByTokenHash(ctx, random(32), now)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.RecordLogin(ctx, random(16), passkeyd.PasskeyUse{SignCount: 1, UsedAt: now}, nil, nil), passkeyd.ErrNotFound)
	mustIs(t, s.SetCloneWarning(ctx, random(16), true), passkeyd.ErrNotFound)
	if ps, err := s.Passkeys(ctx, "nope"); err != nil || len(ps) != 0 {
		t.Fatalf("Passkeys of nobody: %v %v", ps, err)
	}
}

func testAddPasskey(t *testing.T, s passkeyd.Store) {
	alice, p, _ := account(t, s, "alice")
	bob, _, _ := account(t, s, "bob")
	q := newPasskey(alice.ID, now.Add(time.Second))
	if err := s.AddPasskey(ctx, q); err != nil {
		t.Fatal(err)
	}
	dup := newPasskey(bob.ID, now)
	dup.ID = p.ID
	mustIs(t, s.AddPasskey(ctx, dup), passkeyd.ErrCredentialExists)
	mustIs(t, s.AddPasskey(ctx, newPasskey("no-such-user", now)), passkeyd.ErrNotFound)
	if ps, _ := s.Passkeys(ctx, alice.ID); len(ps) != 2 {
		t.Fatalf("alice has %d passkeys", len(ps))
	}
	if ps, _ := s.Passkeys(ctx, bob.ID); len(ps) != 1 {
		t.Fatalf("bob has %d passkeys", len(ps))
	}
}

func samePasskey(t *testing.T, got, want *passkeyd.Passkey) {
	t.Helper()
	ok := bytes.Equal(got.ID, want.ID) && got.UserID == want.UserID && got.Name == want.Name && bytes.Equal(got.PublicKey, want.PublicKey) &&
		got.Algorithm == want.Algorithm && got.SignCount == want.SignCount && bytes.Equal(got.AAGUID, want.AAGUID) &&
		len(got.Transports) == len(want.Transports) && got.AttestationFormat == want.AttestationFormat && got.AttestationType == want.AttestationType &&
		got.BackupEligible == want.BackupEligible && got.BackedUp == want.BackedUp && got.UserVerified == want.UserVerified &&
		got.CloneWarning == want.CloneWarning && got.CreatedAt.Equal(want.CreatedAt) && got.LastUsedAt.Equal(want.LastUsedAt) &&
		(got.Discoverable == nil) == (want.Discoverable == nil) && (got.Discoverable == nil || *got.Discoverable == *want.Discoverable)
	for i := range want.Transports {
		ok = ok && got.Transports[i] == want.Transports[i]
	}
	if !ok {
		t.Fatalf("passkey\n got %+v\nwant %+v", got, want)
	}
}

func testPasskeyFields(t *testing.T, s passkeyd.Store) {
	u, first, _ := account(t, s, "alice")
	f := false
	variants := []*passkeyd.Passkey{}
	for i, mod := range []func(p *passkeyd.Passkey){
		func(p *passkeyd.Passkey) { p.Discoverable = nil; p.Transports = []string{} },
		func(p *passkeyd.Passkey) {
			p.Discoverable = &f
			p.Transports = []string{"usb", "nfc", "ble"}
			p.BackupEligible, p.BackedUp = false, false
		},
		func(p *passkeyd.Passkey) {
			p.Algorithm = -257
			p.AttestationFormat = "packed"
			p.AttestationType = "basic_full"
			p.UserVerified = false
			p.SignCount = 41
		},
	} {
		p := newPasskey(u.ID, now.Add(time.Duration(i+1)*time.Minute))
		mod(p)
		if err := s.AddPasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
		variants = append(variants, p)
	}
	ps, err := s.Passkeys(ctx, u.ID)
	if err != nil || len(ps) != 4 {
		t.Fatalf("%d passkeys, %v", len(ps), err)
	}
	want := []*passkeyd.Passkey{variants[2], variants[1], variants[0], first}
	for i := range want {
		samePasskey(t, ps[i], want[i])
		if !ps[i].LastUsedAt.IsZero() {
			t.Fatal("LastUsedAt set before any use")
		}
	}
	got, err := s.Passkey(ctx, variants[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	samePasskey(t, got, variants[1])
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}
}

func testRecordLogin(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	login := func(count uint32) (error, *passkeyd.Session) {
		sess := newSession(u.ID, now.Add(time.Hour))
		return s.RecordLogin(ctx, p.ID, decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: count, BackedUp: count%2 == 0, UsedAt: now.Add(time.Duration(count) * time.Second)}), sess, nil), sess
	}
	if err, _ := login(0); err != nil {
		t.Fatalf("0 → 0: %v", err)
	}
	if err, _ := login(5); err != nil {
		t.Fatalf("0 → 5: %v", err)
	}
	if err, _ := login(6); err != nil {
		t.Fatalf("5 → 6: %v", err)
	}
	for _, bad := range []uint32{6, 3, 0} {
		err, sess := login(bad)
		mustIs(t, err, passkeyd.ErrCounterRegression)
		if _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); !errors.Is(err, passkeyd.ErrNotFound) {
			t.Fatalf("6 → %d: the session was stored despite the regression", bad)
		}
	}
	got, _ := s.Passkey(ctx, p.ID)
	if got.SignCount != 6 || !got.BackedUp || !got.LastUsedAt.Equal(now.Add(6*time.Second)) {
		t.Fatalf("after logins: count %d backedUp %v lastUsed %v", got.SignCount, got.BackedUp, got.LastUsedAt)
	}
}

func testRecordLoginConcurrent(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, regressions := 0, 0
	use := decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: 7, UsedAt: now})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.RecordLogin(ctx, p.ID, use, newSession(u.ID, now.Add(time.Hour)), nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, passkeyd.ErrCounterRegression):
				regressions++
			default:
				t.Errorf("RecordLogin: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || regressions != 19 {
		t.Fatalf("%d wins, %d regressions; want 1 and 19", wins, regressions)
	}
}

func testCloneWarning(t *testing.T, s passkeyd.Store) {
	_, p, _ := account(t, s, "alice")
	if err := s.SetCloneWarning(ctx, p.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Passkey(ctx, p.ID); !got.CloneWarning {
		t.Fatal("flag not stored")
	}
	_ = s.SetCloneWarning(ctx, p.ID, false)
	if got, _ := s.Passkey(ctx, p.ID); got.CloneWarning {
		t.Fatal("flag not cleared")
	}
}

func testRename(t *testing.T, s passkeyd.Store) {
	alice, p, _ := account(t, s, "alice")
	bob, _, _ := account(t, s, "bob")
	got, err := s.RenamePasskey(ctx, alice.ID, p.ID, "MacBook")
	if err != nil || got.Name != "MacBook" || !bytes.Equal(got.ID, p.ID) {
		t.Fatalf("rename: %+v %v", got, err)
	}
	_, err = s.RenamePasskey(ctx, bob.ID, p.ID, "stolen")
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.RenamePasskey(ctx, alice.ID, random(16), "x")
	mustIs(t, err, passkeyd.ErrNotFound)
	if got, _ := s.Passkey(ctx, p.ID); got.Name != "MacBook" {
		t.Fatalf("name %q", got.Name)
	}
}

func testDelete(t *testing.T, s passkeyd.Store) {
	alice, p, _ := account(t, s, "alice")
	bob, _, _ := account(t, s, "bob")
	mustIs(t, s.DeletePasskey(ctx, alice.ID, p.ID), passkeyd.ErrLastCredential)
	q := newPasskey(alice.ID, now.Add(time.Second))
	_ = s.AddPasskey(ctx, q)
	mustIs(t, s.DeletePasskey(ctx, bob.ID, p.ID), passkeyd.ErrNotFound)
	mustIs(t, s.DeletePasskey(ctx, alice.ID, random(16)), passkeyd.ErrNotFound)
	if err := s.DeletePasskey(ctx, alice.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Passkey(ctx, p.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.DeletePasskey(ctx, alice.ID, q.ID), passkeyd.ErrLastCredential)
}

func testDeleteConcurrent(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	q := newPasskey(u.ID, now.Add(time.Second))
	_ = s.AddPasskey(ctx, q)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range [][]byte{p.ID, q.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.DeletePasskey(ctx, u.ID, id)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, passkeyd.ErrLastCredential) {
			t.Fatalf("delete: %v", err)
		}
	}
	if ps, _ := s.Passkeys(ctx, u.ID); ok != 1 || len(ps) != 1 {
		t.Fatalf("%d deletes succeeded, %d passkeys left; want 1 and 1", ok, len(ps))
	}
}

func testSessions(t *testing.T, s passkeyd.Store) {
	u, _, first := account(t, s, "alice")
	live := newSession(u.ID, now.Add(time.Hour))
	live.Method = passkeyd.MethodRecoveryCode
	old := newSession(u.ID, now.Add(-time.Minute))
	for _, x := range []*passkeyd.Session{live, old} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SessionByTokenHash(ctx, live.TokenHash, now)
	if err != nil || got.ID != live.ID || got.Method != passkeyd.MethodRecoveryCode || !got.ExpiresAt.Equal(live.ExpiresAt) || !got.AuthenticatedAt.Equal(now) {
		t.Fatalf("session %+v %v", got, err)
	}
	_, err = s.SessionByTokenHash(ctx, old.TokenHash, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	// Expiry is exclusive: a session is dead at its ExpiresAt.
	_, err = s.SessionByTokenHash(ctx, live.TokenHash, live.ExpiresAt)
	mustIs(t, err, passkeyd.ErrNotFound)
	if err := s.DeleteSession(ctx, live.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByTokenHash(ctx, live.TokenHash, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	if err := s.DeleteSession(ctx, "missing"); err != nil {
		t.Fatalf("deleting a missing session: %v", err)
	}
	n, err := s.DeleteExpiredSessions(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.SessionByTokenHash(ctx, first.TokenHash, now); err != nil {
		t.Fatal("a live session was swept")
	}
}

func testSecret(t *testing.T, s passkeyd.Store) {
	a, b := random(32), random(32)
	got, err := s.Secret(ctx, "k", a)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("first Secret: %v", err)
	}
	got, _ = s.Secret(ctx, "k", b)
	if !bytes.Equal(got, a) {
		t.Fatal("Secret replaced an existing value")
	}
	other, _ := s.Secret(ctx, "other", b)
	if !bytes.Equal(other, b) {
		t.Fatal("secrets are not kept by name")
	}
	var wg sync.WaitGroup
	vals := make([][]byte, 8)
	for i := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], _ = s.Secret(ctx, "race", random(32))
		}()
	}
	wg.Wait()
	for _, v := range vals[1:] {
		if !bytes.Equal(v, vals[0]) {
			t.Fatal("concurrent Secret callers disagree")
		}
	}
}

func testPasswordHash(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	mustIs(t, s.SetPasswordHash(ctx, "no-such-user", "$argon2id$x"), passkeyd.ErrNotFound)
	if err := s.SetPasswordHash(ctx, u.ID, "$argon2id$v=19$stored"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.PasswordHash != "$argon2id$v=19$stored" {
		t.Fatalf("password hash %q", got.PasswordHash)
	}
	// With a password, the last passkey may go: the account keeps a way in.
	if err := s.DeletePasskey(ctx, u.ID, p.ID); err != nil {
		t.Fatalf("deleting the last passkey of a user with a password: %v", err)
	}
	// A password-only account can be created directly.
	v := newUser("bob")
	v.PasswordHash = "$argon2id$v=19$bob"
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: v, Session: newSession(v.ID, now.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByUsername(ctx, "bob"); got == nil || got.PasswordHash != v.PasswordHash {
		t.Fatal("password-only account not stored")
	}
}

func testRevocation(t *testing.T, s passkeyd.Store) {
	u, p, first := account(t, s, "alice")
	bob, _, bobs := account(t, s, "bob")
	second := newSession(u.ID, now.Add(time.Hour))
	_ = s.CreateSession(ctx, second)
	n, err := s.DeleteUserSessions(ctx, u.ID)
	if err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	for _, sess := range []*passkeyd.Session{first, second} {
		_, err := s.SessionByTokenHash(ctx, sess.TokenHash, now)
		mustIs(t, err, passkeyd.ErrNotFound)
	}
	if _, err := s.SessionByTokenHash(ctx, bobs.TokenHash, now); err != nil {
		t.Fatal("another user's session was revoked")
	}
	// An operator may revoke even the last passkey; not another user's.
	mustIs(t, s.RevokePasskey(ctx, bob.ID, p.ID), passkeyd.ErrNotFound)
	if err := s.RevokePasskey(ctx, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Passkey(ctx, p.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.RevokePasskey(ctx, u.ID, p.ID), passkeyd.ErrNotFound)
}

func testSearchUsers(t *testing.T, s passkeyd.Store) {
	for _, name := range []string{"alice", "alicia", "albert", "bob", "al%_x"} {
		account(t, s, name)
	}
	names := func(prefix string, limit int) string {
		us, err := s.SearchUsers(ctx, prefix, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.UsernameKey)
		}
		return strings.Join(out, ",")
	}
	if got := names("ali", 10); got != "alice,alicia" {
		t.Fatalf("ali: %s", got)
	}
	if got := names("al", 2); got != "al%_x,albert" {
		t.Fatalf("al limit 2: %s", got)
	}
	if got := names("al%", 10); got != "al%_x" {
		t.Fatalf("al%%: %s (wildcards must be literal)", got)
	}
	if got := names("zed", 10); got != "" {
		t.Fatalf("zed: %s", got)
	}
}
