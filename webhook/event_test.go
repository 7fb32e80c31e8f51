package webhook

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func TestTypes(t *testing.T) {
	tests := []struct {
		audit, method, outcome string
		want                   []string
	}{
		{"sign_in", "passkey", "success", []string{SignInSucceeded}},
		{"sign_in", "password", "second_factor_required", nil}, // the sign-in is not done yet
		{"sign_in", "recovery_code", "success", []string{SignInSucceeded, RecoveryCodesUsed}},
		{"sign_in_failed", "password", "failure", []string{SignInFailed}},
		{"second_factor_failed", "totp", "failure", []string{SignInFailed}},
		{"account_created", "passkey", "success", []string{AccountCreated}},
		{"account_deleted", "", "success", []string{AccountDeleted}},
		{"passkey_added", "passkey", "success", []string{PasskeyAdded}},
		{"passkey_deleted", "passkey", "success", []string{PasskeyDeleted}},
		{"passkey_revoked", "passkey", "success", []string{PasskeyRevoked}},
		{"passkey_revoked_by_operator", "passkey", "success", []string{PasskeyRevoked}},
		{"password_set", "password", "success", []string{PasswordSet}},
		{"password_changed", "password", "success", []string{PasswordChanged}},
		{"password_removed", "password", "success", []string{PasswordRemoved}},
		{"totp_enrolled", "totp", "success", []string{TOTPEnrolled}},
		{"totp_removed", "totp", "success", []string{TOTPRemoved}},
		{"recovery_codes_generated", "recovery_code", "success", []string{RecoveryCodesRegenerated}},
		{"sign_in_clone_warning", "passkey", "success", []string{CloneWarning}},
		{"counter_regression", "passkey", "failure", []string{CloneWarning}},
		{"sessions_revoked", "", "success", []string{SessionsRevoked}},
		{"sessions_revoked_by_operator", "", "success", []string{SessionsRevoked}},
		{"sign_out", "passkey", "success", nil},
		{"passkey_renamed", "passkey", "success", nil},
	}
	for _, tc := range tests {
		e := &passkeyd.AuditEvent{UserID: "u1", Type: tc.audit, Method: tc.method, Outcome: tc.outcome}
		if got := Types(e); !slices.Equal(got, tc.want) {
			t.Errorf("%s/%s/%s → %v, want %v", tc.audit, tc.method, tc.outcome, got, tc.want)
		}
	}
	if got := Types(&passkeyd.AuditEvent{Type: "sign_in_failed", Outcome: "failure"}); got != nil {
		t.Errorf("a failed sign-in of no account → %v, want nothing", got)
	}
}

func TestDeliveries(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 5000, time.FixedZone("x", 3600))
	e := &passkeyd.AuditEvent{ID: "a1", UserID: "u1", Type: "sign_in", Method: "recovery_code", CredentialID: []byte{0xfb, 0xff},
		IP: "192.0.2.1", UserAgent: "test", Outcome: "success", At: at}
	p := &Publisher{URLs: []string{"https://a.example/h", "https://b.example/h"}}
	ds := p.Deliveries(e)
	if len(ds) != 4 {
		t.Fatalf("%d deliveries, want 2 events × 2 URLs", len(ds))
	}
	ids := map[string]bool{}
	for _, d := range ds {
		if ids[d.ID] {
			t.Fatal("delivery ids repeat")
		}
		ids[d.ID] = true
		var body map[string]any
		if err := json.Unmarshal(d.Body, &body); err != nil {
			t.Fatal(err)
		}
		ts, _ := body["time"].(string)
		if parsed, err := time.Parse(time.RFC3339, ts); err != nil || !parsed.Equal(at) || ts[len(ts)-1] != 'Z' {
			t.Fatalf("time %q is not RFC 3339 UTC of the event: %v", ts, err)
		}
		if body["id"] != d.EventID || body["type"] != d.Type || body["userId"] != "u1" {
			t.Fatalf("body %s for delivery %+v", d.Body, d)
		}
		data := body["data"].(map[string]any)
		if data["credentialId"] != "-_8" || data["method"] != "recovery_code" || data["ip"] != "192.0.2.1" {
			t.Fatalf("data %v", data)
		}
	}
	if ds[0].EventID != "a1" || ds[1].EventID != "a1" || ds[2].EventID != "a1.1" || ds[0].URL == ds[1].URL {
		t.Fatalf("event ids %s %s %s", ds[0].EventID, ds[1].EventID, ds[2].EventID)
	}
	if (&Publisher{}).Deliveries(e) != nil || (*Publisher)(nil).Deliveries(e) != nil {
		t.Fatal("deliveries without URLs")
	}
}

func TestBackoff(t *testing.T) {
	w := NewWorker(nil, Config{MinBackoff: time.Second, MaxBackoff: time.Minute})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 7: time.Minute, 1000: time.Minute} {
		for i := 0; i < 50; i++ {
			if got := w.backoff(n); got < want/2 || got > want {
				t.Fatalf("backoff after %d failures = %v, want within [%v, %v]", n, got, want/2, want)
			}
		}
	}
}
