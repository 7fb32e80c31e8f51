package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func testSessionDetails(t *testing.T, s passkeyd.Store) {
	u, p, first := account(t, s, "alice")
	rich := newSession(u.ID, now.Add(time.Hour))
	rich.CreatedAt = now.Add(time.Second)
	rich.CredentialID = p.ID
	rich.UserVerified = true
	rich.AMR = []string{"hwk", "user"}
	rich.UserAgent = "Mozilla/5.0 (X11; Linux x86_64)"
	rich.IP = "2001:db8::1"
	if err := s.CreateSession(ctx, rich); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByTokenHash(ctx, rich.TokenHash, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.CredentialID, p.ID) || !got.UserVerified || !slices.Equal(got.AMR, rich.AMR) ||
		got.UserAgent != rich.UserAgent || got.IP != rich.IP || !got.CreatedAt.Equal(rich.CreatedAt) {
		t.Fatalf("session details did not round-trip: %+v", got)
	}
	plain, err := s.SessionByTokenHash(ctx, first.TokenHash, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.CredentialID) != 0 || plain.UserVerified || len(plain.AMR) != 0 || !plain.CreatedAt.Equal(first.AuthenticatedAt) {
		t.Fatalf("a session without details: %+v (CreatedAt defaults to AuthenticatedAt)", plain)
	}

	expired := newSession(u.ID, now.Add(-time.Minute))
	other, _, _ := account(t, s, "bob")
	if err := s.CreateSession(ctx, expired); err != nil {
		t.Fatal(err)
	}
	list, err := s.Sessions(ctx, u.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != rich.ID || list[1].ID != first.ID {
		t.Fatalf("Sessions = %v; want the two live ones, newest first", sessionIDs(list))
	}
	if list, _ := s.Sessions(ctx, other.ID, now); len(list) != 1 {
		t.Fatalf("bob's sessions = %d, want 1", len(list))
	}

	// Re-authentication refreshes in place: same id and token.
	later := now.Add(10 * time.Minute)
	if err := s.ReauthenticateSession(ctx, first.ID, later, true); err != nil {
		t.Fatal(err)
	}
	got, err = s.SessionByTokenHash(ctx, first.TokenHash, now)
	if err != nil || got.ID != first.ID || !got.AuthenticatedAt.Equal(later) || !got.UserVerified || !got.CreatedAt.Equal(first.AuthenticatedAt) {
		t.Fatalf("after re-authentication: %+v, %v", got, err)
	}
	// A re-authentication without user verification never clears it.
	if err := s.ReauthenticateSession(ctx, first.ID, later, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionByTokenHash(ctx, first.TokenHash, now); !got.UserVerified {
		t.Fatal("ReauthenticateSession(userVerified=false) cleared UserVerified")
	}
	mustIs(t, s.ReauthenticateSession(ctx, "missing", later, true), passkeyd.ErrNotFound)

	// One session, only the owner's.
	mustIs(t, s.DeleteUserSession(ctx, other.ID, rich.ID), passkeyd.ErrNotFound)
	if _, err := s.SessionByTokenHash(ctx, rich.TokenHash, now); err != nil {
		t.Fatal("another user's DeleteUserSession removed the session")
	}
	if err := s.DeleteUserSession(ctx, u.ID, rich.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByTokenHash(ctx, rich.TokenHash, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.DeleteUserSession(ctx, u.ID, rich.ID), passkeyd.ErrNotFound)
}

func sessionIDs(list []*passkeyd.Session) []string {
	var out []string
	for _, x := range list {
		out = append(out, x.ID)
	}
	return out
}

func testDeleteOtherSessions(t *testing.T, s passkeyd.Store) {
	u, _, keep := account(t, s, "alice")
	for i := 0; i < 3; i++ {
		if err := s.CreateSession(ctx, newSession(u.ID, now.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	_, _, bobs := account(t, s, "bob")
	n, err := s.DeleteOtherSessions(ctx, u.ID, keep.ID)
	if err != nil || n != 3 {
		t.Fatalf("DeleteOtherSessions = %d, %v; want 3", n, err)
	}
	if list, _ := s.Sessions(ctx, u.ID, now); len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("left %v, want only the kept one", sessionIDs(list))
	}
	if _, err := s.SessionByTokenHash(ctx, bobs.TokenHash, now); err != nil {
		t.Fatal("another user's session was revoked")
	}
}

func testPasskeyDeletionEndsItsSessions(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	second := newPasskey(u.ID, now.Add(time.Second))
	if err := s.AddPasskey(ctx, second); err != nil {
		t.Fatal(err)
	}
	viaFirst := newSession(u.ID, now.Add(time.Hour))
	viaFirst.CredentialID = p.ID
	viaSecond := newSession(u.ID, now.Add(time.Hour))
	viaSecond.CredentialID = second.ID
	password := newSession(u.ID, now.Add(time.Hour))
	password.Method = passkeyd.MethodPassword
	for _, x := range []*passkeyd.Session{viaFirst, viaSecond, password} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeletePasskey(ctx, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, viaFirst.TokenHash, now); err == nil {
		t.Fatal("a session signed in by the deleted passkey survived")
	}
	for _, x := range []*passkeyd.Session{viaSecond, password} {
		if _, err := s.SessionByTokenHash(ctx, x.TokenHash, now); err != nil {
			t.Fatalf("session %s not signed in by the deleted passkey was revoked", x.ID)
		}
	}
	if err := s.RevokePasskey(ctx, u.ID, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, viaSecond.TokenHash, now); err == nil {
		t.Fatal("a session signed in by the revoked passkey survived")
	}
}

func testReplacePassword(t *testing.T, s passkeyd.Store) {
	u, p, keep := account(t, s, "alice")
	other := newSession(u.ID, now.Add(time.Hour))
	if err := s.CreateSession(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplacePassword(ctx, u.ID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", keep.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.PasswordHash == "" {
		t.Fatal("password not set")
	}
	if _, err := s.SessionByTokenHash(ctx, other.TokenHash, now); err == nil {
		t.Fatal("setting the password left another session alive")
	}
	if _, err := s.SessionByTokenHash(ctx, keep.TokenHash, now); err != nil {
		t.Fatal("setting the password revoked the session that did it")
	}
	// Removing the password is fine while a passkey remains…
	if err := s.ReplacePassword(ctx, u.ID, "", keep.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "" {
		t.Fatal("password not removed")
	}
	// …but not when it is the last way in.
	if err := s.ReplacePassword(ctx, u.ID, "h1", keep.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokePasskey(ctx, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.ReplacePassword(ctx, u.ID, "", keep.ID), passkeyd.ErrLastCredential)
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "h1" {
		t.Fatal("a refused removal changed the password")
	}
	mustIs(t, s.ReplacePassword(ctx, "missing", "h", ""), passkeyd.ErrNotFound)
}

// Removing the password and deleting the last passkey at the same time must not both pass
// the last-way-in check.
func testReplacePasswordRacesDelete(t *testing.T, s passkeyd.Store) {
	for i := 0; i < 10; i++ {
		u, p, keep := account(t, s, "racer"+id())
		if err := s.ReplacePassword(ctx, u.ID, "h", keep.ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var errDelete, errRemove error
		wg.Add(2)
		go func() { defer wg.Done(); errDelete = s.DeletePasskey(ctx, u.ID, p.ID) }()
		go func() { defer wg.Done(); errRemove = s.ReplacePassword(ctx, u.ID, "", keep.ID) }()
		wg.Wait()
		if errDelete == nil && errRemove == nil {
			t.Fatal("both the last passkey and the password were removed: the account has no way in")
		}
	}
}

func testDeleteAccount(t *testing.T, s passkeyd.Store) {
	u, p, sess := account(t, s, "alice")
	if err := s.PutTOTP(ctx, u.ID, random(20)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{random(32)}); err != nil {
		t.Fatal(err)
	}
	ev := &passkeyd.AuditEvent{ID: id(), UserID: u.ID, Type: "sign_in", Method: "passkey", IP: "192.0.2.1", UserAgent: "UA", Outcome: "success", At: now}
	if err := s.RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	bob, _, bobSess := account(t, s, "bob")
	if err := s.DeleteAccount(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserByID(ctx, u.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.UserByUsername(ctx, u.UsernameKey)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.UserByHandle(ctx, u.Handle)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.Passkey(ctx, p.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.SessionByTokenHash(ctx, sess.TokenHash, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.TOTP(ctx, u.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	evs, err := s.Events(ctx, u.ID, 10)
	if err != nil || len(evs) != 1 || evs[0].IP != "" || evs[0].UserAgent != "" || evs[0].Type != "sign_in" {
		t.Fatalf("audit events after deletion: %+v, %v; want kept without IP and user agent", evs, err)
	}
	// The username is free again.
	again := newUser("alice")
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: again, Passkey: newPasskey(again.ID, now)}); err != nil {
		t.Fatalf("the username is not free after deletion: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, bobSess.TokenHash, now); err != nil {
		t.Fatal("another account was touched")
	}
	if _, err := s.UserByID(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.DeleteAccount(ctx, u.ID), passkeyd.ErrNotFound)
}
