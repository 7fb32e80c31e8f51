package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// testRecordLoginAtomic: a sign-in is one write. Its counter, session, audit event and
// webhook deliveries exist together after a success, and none of them after a failure,
// whether the counter rule or a later insert refused it.
func testRecordLoginAtomic(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	signIn := func(count uint32, deliveries func(eventID string) []*passkeyd.WebhookDelivery) (*passkeyd.Session, *passkeyd.AuditEvent, error) {
		sess := newSession(u.ID, now.Add(time.Hour))
		e := &passkeyd.AuditEvent{ID: id(), UserID: u.ID, Type: "sign_in", Method: "passkey", CredentialID: p.ID,
			IP: "192.0.2.7", UserAgent: "test/2.0", Outcome: "success", At: now.Add(time.Duration(count) * time.Second)}
		var ds []*passkeyd.WebhookDelivery
		if deliveries != nil {
			ds = deliveries(e.ID)
		}
		return sess, e, s.RecordLogin(ctx, p.ID, decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: count, UsedAt: e.At}), sess, e, ds...)
	}
	two := func(eventID string) []*passkeyd.WebhookDelivery {
		return []*passkeyd.WebhookDelivery{newDelivery(eventID, "https://a.example/hook", now), newDelivery(eventID, "https://b.example/hook", now)}
	}
	sess, e, err := signIn(3, two)
	if err != nil {
		t.Fatalf("RecordLogin: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); err != nil {
		t.Fatalf("the session: %v", err)
	}
	evs, err := s.Events(ctx, u.ID, 10)
	if err != nil || len(evs) != 1 || evs[0].ID != e.ID || evs[0].Type != "sign_in" || evs[0].IP != "192.0.2.7" || !evs[0].At.Equal(e.At) {
		t.Fatalf("events %+v, %v; want the sign-in's", evs, err)
	}
	got := lease(t, s, "t1", now, 10)
	if len(got) != 2 || got[0].EventID != e.ID || got[1].EventID != e.ID {
		t.Fatalf("leased %d deliveries; want the sign-in's 2", len(got))
	}

	// A regressed counter writes nothing at all.
	sess, _, err = signIn(2, two)
	if !errors.Is(err, passkeyd.ErrCounterRegression) {
		t.Fatalf("2 after 3: %v, want ErrCounterRegression", err)
	}
	assertNothingWritten(t, s, u.ID, p.ID, sess, 3, 1)

	// A failure after the counter update (a delivery id that exists, a UNIQUE violation in
	// SQL) rolls the counter update back too.
	sess, _, err = signIn(4, func(eventID string) []*passkeyd.WebhookDelivery {
		d := newDelivery(eventID, "https://a.example/hook", now)
		d.ID = got[0].ID
		return []*passkeyd.WebhookDelivery{d}
	})
	if err == nil {
		t.Fatal("RecordLogin with a duplicate delivery id succeeded")
	}
	assertNothingWritten(t, s, u.ID, p.ID, sess, 3, 1)

	// Without an event it is the plain counter update (re-authentication).
	if err := s.RecordLogin(ctx, p.ID, decided(t, s, p.ID, passkeyd.PasskeyUse{SignCount: 5, UsedAt: now}), nil, nil); err != nil {
		t.Fatal(err)
	}
	assertNothingWritten(t, s, u.ID, p.ID, nil, 5, 1)
}

func assertNothingWritten(t *testing.T, s passkeyd.Store, userID string, credID []byte, sess *passkeyd.Session, count uint32, events int) {
	t.Helper()
	if sess != nil {
		if _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); !errors.Is(err, passkeyd.ErrNotFound) {
			t.Fatalf("the refused sign-in's session exists (%v)", err)
		}
	}
	if p, err := s.Passkey(ctx, credID); err != nil || p.SignCount != count {
		t.Fatalf("counter %d, %v; want %d", p.SignCount, err, count)
	}
	if evs, _ := s.Events(ctx, userID, 10); len(evs) != events {
		t.Fatalf("%d events; want %d", len(evs), events)
	}
	if got := lease(t, s, "t-none", now, 10); len(got) != 0 {
		t.Fatalf("the refused sign-in left %d deliveries", len(got))
	}
}
