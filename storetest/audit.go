package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func testAudit(t *testing.T, s passkeyd.Store) {
	u, p, _ := account(t, s, "alice")
	for i := 0; i < 5; i++ {
		e := &passkeyd.AuditEvent{ID: id(), UserID: u.ID, Type: fmt.Sprintf("event%d", i), Method: "passkey", CredentialID: p.ID,
			IP: "192.0.2.1", UserAgent: "test/1.0", Outcome: "success", At: now.Add(time.Duration(i) * time.Second)}
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// An event with no account (a failed sign-in for an unknown user) is kept too.
	if err := s.RecordEvent(ctx, &passkeyd.AuditEvent{ID: id(), Type: "sign_in_failed", Method: "password", Outcome: "failure", Reason: "invalid_credentials", At: now}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, u.ID, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("%d events, %v; want the newest 3", len(got), err)
	}
	if got[0].Type != "event4" || got[2].Type != "event2" || !bytes.Equal(got[0].CredentialID, p.ID) || got[0].IP != "192.0.2.1" ||
		got[0].UserAgent != "test/1.0" || !got[0].At.Equal(now.Add(4*time.Second)) {
		t.Fatalf("events %+v", got[0])
	}
	if none, _ := s.Events(ctx, "nobody", 10); len(none) != 0 {
		t.Fatal("events of nobody")
	}
}
