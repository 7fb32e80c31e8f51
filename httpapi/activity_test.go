package httpapi_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

// TestActivity: sign-ups, sign-ins, failures and changes show up in the account's activity,
// newest first, with the client's address and user agent.
func TestActivity(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "alice")
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	bad, _ := a.LoginWith(opts.body, softauthn.Tamper{CorruptSignature: true})
	c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(bad)})
	expectStatus(t, c.login(a, ""), 200)
	codes := codesOf(t, c.post("/api/v1/recovery-codes", map[string]any{}).json(t))
	e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice", "code": codes[0]})
	r := c.do("GET", "/api/v1/account/activity", nil)
	expectStatus(t, r, 200)
	var out struct {
		Events []map[string]any `json:"events"`
	}
	_ = json.Unmarshal(r.body, &out)
	var types []string
	for _, ev := range out.Events {
		types = append(types, ev["type"].(string)+"/"+ev["outcome"].(string))
	}
	want := []string{"sign_in/success", "sessions_revoked/success", "recovery_codes_generated/success", "sign_in/success", "sign_in_failed/failure", "account_created/success"}
	// Events written by the background audit writers and those written in a sign-in's own
	// transaction can interleave within a millisecond: the set is what must match.
	sorted := func(l []string) []string { c := slices.Clone(l); slices.Sort(c); return c }
	if !reflect.DeepEqual(sorted(types), sorted(want)) {
		t.Fatalf("activity %v, want %v", types, want)
	}
	found := false
	for _, ev := range out.Events {
		if ev["type"] == "sign_in_failed" {
			found = ev["reason"] == "signature_invalid" && ev["ip"] == "127.0.0.1" && ev["userAgent"] != "" && ev["credentialId"] != nil
		}
	}
	if !found {
		t.Fatalf("failed sign-in not recorded with its reason, address, agent and credential: %s", r.body)
	}
	expectProblem(t, e.app().do("GET", "/api/v1/account/activity", nil), 401, "unauthenticated")
}
