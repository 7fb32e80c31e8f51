package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// decided returns use with the etags of the passkey and of its owner as they are stored now:
// what a sign-in that reads them now decides on.
func decided(t *testing.T, s passkeyd.Store, credID []byte, use passkeyd.PasskeyUse) passkeyd.PasskeyUse {
	t.Helper()
	p, err := s.Passkey(ctx, credID)
	if err != nil {
		t.Fatalf("Passkey: %v", err)
	}
	u, err := s.UserByID(ctx, p.UserID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	use.ETag, use.UserETag = p.ETag, u.ETag
	return use
}

// testRecordLoginStale: a sign-in decided on a read from before a change to the passkey or
// to its owner is refused with ErrStale and leaves no trace — counter, session, audit event
// and webhook deliveries as they were — even when its counter would pass; a passkey or
// account deleted since is ErrNotFound.
func testRecordLoginStale(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	record := func(use passkeyd.PasskeyUse) (*passkeyd.Session, error) {
		sess := newSession(u.ID, now.Add(time.Hour))
		e := &passkeyd.AuditEvent{ID: id(), UserID: u.ID, Type: "sign_in", Method: "passkey", CredentialID: p.ID, Outcome: "success", At: now}
		return sess, s.RecordLogin(ctx, p.ID, use, sess, e, newDelivery(e.ID, "https://a.example/hook", now))
	}
	sess, err := record(decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: 1, UsedAt: now}))
	if err != nil {
		t.Fatalf("RecordLogin on a fresh read: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); err != nil {
		t.Fatalf("the session: %v", err)
	}
	lease(t, s, "t1", now, 10) // the first sign-in's delivery, out of the way

	cases := []struct {
		name   string
		change func(t *testing.T)
	}{
		{"passkey renamed", func(t *testing.T) {
			if _, err := s.RenamePasskey(ctx, u.ID, p.ID, "Laptop"); err != nil {
				t.Fatal(err)
			}
		}},
		{"clone flag set", func(t *testing.T) {
			if err := s.SetCloneWarning(ctx, p.ID, true); err != nil {
				t.Fatal(err)
			}
		}},
		{"clone flag cleared", func(t *testing.T) {
			if err := s.SetCloneWarning(ctx, p.ID, false); err != nil {
				t.Fatal(err)
			}
		}},
		{"password rehashed", func(t *testing.T) {
			if err := s.SetPasswordHash(ctx, u.ID, "$argon2id$v=19$rehashed"); err != nil {
				t.Fatal(err)
			}
		}},
		{"password replaced", func(t *testing.T) {
			if err := s.ReplacePassword(ctx, u.ID, "$argon2id$v=19$new", ""); err != nil {
				t.Fatal(err)
			}
		}},
	}
	count := uint32(1)
	for _, tc := range cases {
		old := decided(t, s, p.ID, passkeyd.PasskeyUse{UsedAt: now.Add(time.Minute)})
		tc.change(t)
		events, _ := s.Events(ctx, u.ID, 10)
		// A counter that passes, and one that does not: staleness is what is reported.
		for _, n := range []uint32{count + 1, count} {
			old.SignCount = n
			sess, err := record(old)
			if !errors.Is(err, passkeyd.ErrStale) {
				t.Fatalf("%s, counter %d: %v, want ErrStale", tc.name, n, err)
			}
			assertNothingWritten(t, s, u.ID, p.ID, sess, count, len(events))
		}
		got, _ := s.Passkey(ctx, p.ID)
		if !got.LastUsedAt.Equal(now) {
			t.Fatalf("%s: last use %v, want the first sign-in's %v", tc.name, got.LastUsedAt, now)
		}
		// Decided again on a fresh read, it is applied.
		count++
		if _, err := record(decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: count, UsedAt: now})); err != nil {
			t.Fatalf("%s, then a fresh read: %v", tc.name, err)
		}
		lease(t, s, "t-"+tc.name, now, 10)
	}

	// Gone since the read: the passkey, or the whole account.
	q := newPasskey(u.ID, now.Add(time.Second))
	if err := s.AddPasskey(ctx, q); err != nil {
		t.Fatal(err)
	}
	old := decided(t, s, q.ID, passkeyd.PasskeyUse{SignCount: 9, UsedAt: now})
	if err := s.RevokePasskey(ctx, u.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.RecordLogin(ctx, q.ID, old, nil, nil), passkeyd.ErrNotFound)
	old = decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: 99, UsedAt: now})
	if err := s.DeleteAccount(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.RecordLogin(ctx, p.ID, old, newSession(u.ID, now.Add(time.Hour)), nil), passkeyd.ErrNotFound)
}

// testETags: every read of a row gives its etag; a sign-in's own update keeps it, every other
// change draws a new one, and a passkey deleted and registered again under the same id does
// not get its former etag back.
func testETags(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	pk := func() *passkeyd.Passkey {
		t.Helper()
		got, err := s.Passkey(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	user := func() *passkeyd.User {
		t.Helper()
		got, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Every read path agrees.
	first, owner := pk(), user()
	if ps, err := s.Passkeys(ctx, u.ID); err != nil || len(ps) != 1 || ps[0].ETag != first.ETag {
		t.Fatalf("Passkeys: %v; want etag %d", err, first.ETag)
	}
	if byName, err := s.UserByUsername(ctx, u.UsernameKey); err != nil || byName.ETag != owner.ETag {
		t.Fatalf("UserByUsername: %v; want etag %d", err, owner.ETag)
	}
	if byHandle, err := s.UserByHandle(ctx, u.Handle); err != nil || byHandle.ETag != owner.ETag {
		t.Fatalf("UserByHandle: %v; want etag %d", err, owner.ETag)
	}
	if found, err := s.SearchUsers(ctx, "alice", 1); err != nil || len(found) != 1 || found[0].ETag != owner.ETag {
		t.Fatalf("SearchUsers: %v; want etag %d", err, owner.ETag)
	}
	if ps, err := s.PasskeysByAAGUID(ctx, [16]byte(p.AAGUID), "", 1); err != nil || len(ps) != 1 || ps[0].ETag != first.ETag {
		t.Fatalf("PasskeysByAAGUID: %v; want etag %d", err, first.ETag)
	}

	// A sign-in is no change to the passkey's etag, nor to its owner's.
	if err := s.RecordLogin(ctx, p.ID, decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: 3, BackedUp: false, UsedAt: now}), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := pk(); got.ETag != first.ETag || got.SignCount != 3 {
		t.Fatalf("after a sign-in: etag %d (was %d), counter %d", got.ETag, first.ETag, got.SignCount)
	}
	if got := user(); got.ETag != owner.ETag {
		t.Fatalf("after a sign-in the owner's etag is %d, was %d", got.ETag, owner.ETag)
	}

	seen := map[int64]string{first.ETag: "at registration"}
	changed := func(what string, etag int64) {
		t.Helper()
		if prev, ok := seen[etag]; ok {
			t.Fatalf("%s: etag %d, the same as %s", what, etag, prev)
		}
		seen[etag] = what
	}
	renamed, err := s.RenamePasskey(ctx, u.ID, p.ID, "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	changed("renamed", pk().ETag)
	if renamed.ETag != pk().ETag {
		t.Fatalf("RenamePasskey returned etag %d, the stored one is %d", renamed.ETag, pk().ETag)
	}
	for _, flagged := range []bool{true, false} {
		if err := s.SetCloneWarning(ctx, p.ID, flagged); err != nil {
			t.Fatal(err)
		}
		changed(map[bool]string{true: "flagged", false: "flag cleared"}[flagged], pk().ETag)
	}

	users := map[int64]string{owner.ETag: "at sign-up"}
	userChanged := func(what string) {
		t.Helper()
		etag := user().ETag
		if prev, ok := users[etag]; ok {
			t.Fatalf("%s: the user's etag %d is the same as %s", what, etag, prev)
		}
		users[etag] = what
	}
	if err := s.SetPasswordHash(ctx, u.ID, "$argon2id$v=19$one"); err != nil {
		t.Fatal(err)
	}
	userChanged("password rehashed")
	if err := s.ReplacePassword(ctx, u.ID, "$argon2id$v=19$two", ""); err != nil {
		t.Fatal(err)
	}
	userChanged("password replaced")
	if err := s.ReplacePassword(ctx, u.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	userChanged("password removed")

	// Deleted and registered again under the same credential id: another passkey.
	if err := s.RevokePasskey(ctx, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	again := newPasskey(u.ID, now)
	again.ID = p.ID
	if err := s.AddPasskey(ctx, again); err != nil {
		t.Fatal(err)
	}
	changed("registered again", pk().ETag)
}
