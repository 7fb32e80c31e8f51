package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

func (e *env) admin() *client {
	c := e.app()
	c.bearer = "test-admin-token-0123456789"
	return c
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	m := c.signUp(a, "alice")
	userID := field(m, "user", "id").(string)
	credID := b64(a.Credentials()[0].ID)

	// Only the admin token opens it.
	expectProblem(t, e.app().do("GET", "/admin/v1/users/alice", nil), 401, passkeyd.CodeUnauthenticated)
	wrong := e.app()
	wrong.bearer = "test-admin-token-0123456780"
	expectProblem(t, wrong.do("GET", "/admin/v1/users/alice", nil), 401, passkeyd.CodeUnauthenticated)
	session := e.app()
	session.bearer = field(m, "session", "token").(string)
	expectProblem(t, session.do("GET", "/admin/v1/users/alice", nil), 401, passkeyd.CodeUnauthenticated)

	for _, key := range []string{"ALICE", userID} {
		r := e.admin().do("GET", "/admin/v1/users/"+key, nil)
		expectStatus(t, r, 200)
		var d struct {
			User     map[string]any   `json:"user"`
			Passkeys []map[string]any `json:"passkeys"`
			Events   []map[string]any `json:"events"`
		}
		_ = json.Unmarshal(r.body, &d)
		if d.User["id"] != userID || len(d.Passkeys) != 1 || len(d.Events) == 0 {
			t.Fatalf("admin lookup by %s: %s", key, r.body)
		}
	}
	expectProblem(t, e.admin().do("GET", "/admin/v1/users/nobody", nil), 404, passkeyd.CodeNotFound)
	// Search by prefix, case-folded.
	e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "alicia")
	r := e.admin().do("GET", "/admin/v1/users?q=ALI", nil)
	expectStatus(t, r, 200)
	if users := r.json(t)["users"].([]any); len(users) != 2 {
		t.Fatalf("search: %s", r.body)
	}
	expectProblem(t, e.admin().do("GET", "/admin/v1/users?q=", nil), 400, passkeyd.CodeInvalidRequest)

	// A clone-flagged passkey is refused until an operator clears the flag.
	expectStatus(t, e.browser().login(a, ""), 200)
	zero := uint32(0)
	opts := e.browser().post("/api/v1/authentication/options", map[string]any{})
	bad, _ := a.LoginWith(opts.body, softauthn.Tamper{SignCount: &zero})
	e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(bad)})
	expectProblem(t, e.browser().login(a, ""), 401, passkeyd.CodeCounterRegression)
	expectStatus(t, e.admin().do("POST", "/admin/v1/users/"+userID+"/passkeys/"+credID+"/clear-clone-warning", nil), 204)
	expectStatus(t, e.browser().login(a, ""), 200)

	// Sign out everywhere.
	r = e.admin().do("DELETE", "/admin/v1/users/"+userID+"/sessions", nil)
	expectStatus(t, r, 200)
	if r.json(t)["revoked"].(float64) < 2 {
		t.Fatalf("revoked: %s", r.body)
	}
	expectProblem(t, c.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)

	// Revoke even the last passkey; another user's is not found.
	expectProblem(t, e.admin().do("DELETE", "/admin/v1/users/someone-else/passkeys/"+credID, nil), 404, passkeyd.CodeNotFound)
	expectStatus(t, e.admin().do(http.MethodDelete, "/admin/v1/users/"+userID+"/passkeys/"+credID, nil), 204)
	expectProblem(t, e.browser().login(a, ""), 401, passkeyd.CodeCredentialUnknown)
}
