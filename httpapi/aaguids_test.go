package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
	"github.com/passkeyd/passkeyd/webhook"
)

var (
	testModel  = uuid.UUID(softauthn.DefaultAAGUID).String()
	otherModel = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
)

func modelAuthenticator(t *testing.T, aaguid string) *softauthn.Authenticator {
	return newAuthenticator(t, softauthn.Options{AAGUID: uuid.MustParse(aaguid)})
}

// operator calls the operator API after waiting (on the env's clock) for its rate limit's
// next token: these tests make more calls than its burst.
func (e *env) operator(method, path string, body any) result {
	e.advance(time.Second / httpapi.AdminRate)
	return e.admin().do(method, path, body)
}

// expectRefusedModel asserts a registration refused by the AAGUID lists, with its detail.
func expectRefusedModel(t *testing.T, r result, detail string) {
	t.Helper()
	expectProblem(t, r, 400, passkeyd.CodeAttestationInvalid)
	if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, detail) {
		t.Fatalf("detail %q, want it to say %q", d, detail)
	}
}

func TestAdminAAGUIDPolicy(t *testing.T) {
	configuredDeny := "00000000-0000-0000-0000-00000000dead"
	e := newEnv(t, func(o *envOptions) {
		o.aaguids = trust.AAGUIDList{Deny: []uuid.UUID{uuid.MustParse(configuredDeny)}}
	})
	policy := func() []byte {
		r := e.operator("GET", "/admin/v1/aaguids", nil)
		expectStatus(t, r, 200)
		return r.body
	}

	// Only the admin token opens any of it.
	for _, rt := range []struct{ method, path string }{
		{"GET", "/admin/v1/aaguids"}, {"PUT", "/admin/v1/aaguids/" + testModel}, {"DELETE", "/admin/v1/aaguids/" + testModel},
		{"GET", "/admin/v1/aaguids/" + testModel + "/users"}, {"POST", "/admin/v1/aaguids/" + testModel + "/revoke"},
	} {
		expectProblem(t, e.app().do(rt.method, rt.path, map[string]string{"list": "deny"}), 401, passkeyd.CodeUnauthenticated)
	}

	// The configured entry, marked as such.
	var p struct {
		Entries []struct {
			AAGUID, List, Source, Note string
			Name                       *string
			UpdatedAt                  *time.Time
		}
		AllowListActive bool
		RefreshSeconds  int
	}
	_ = json.Unmarshal(policy(), &p)
	if len(p.Entries) != 1 || p.Entries[0].AAGUID != configuredDeny || p.Entries[0].List != "deny" || p.Entries[0].Source != "configuration" ||
		p.Entries[0].UpdatedAt != nil || p.AllowListActive || p.RefreshSeconds != 5 {
		t.Fatalf("configured policy: %+v", p)
	}

	// A run-time deny refuses the model at once on this instance.
	r := e.operator("PUT", "/admin/v1/aaguids/"+strings.ToUpper(testModel), map[string]string{"list": "deny", "note": "  CVE-2026-0001  "})
	expectStatus(t, r, 200)
	if m := r.json(t); m["aaguid"] != testModel || m["list"] != "deny" || m["source"] != "runtime" || m["note"] != "CVE-2026-0001" || m["updatedAt"] == nil {
		t.Fatalf("PUT answer: %s", r.body)
	}
	before := e.counts()
	expectRefusedModel(t, registerWith(e, newAuthenticator(t, softauthn.Options{}), "alice"), "not accepted on this server")
	if e.counts() != before {
		t.Fatal("a refused registration stored something")
	}
	_ = json.Unmarshal(policy(), &p)
	if len(p.Entries) != 2 || p.Entries[1].AAGUID != testModel || p.Entries[1].Source != "runtime" || p.Entries[1].List != "deny" {
		t.Fatalf("policy after PUT: %+v", p)
	}

	// Moved to the allow list: the allow list is on, this model registers, others do not.
	expectStatus(t, e.operator("PUT", "/admin/v1/aaguids/"+testModel, map[string]string{"list": "allow"}), 200)
	expectStatus(t, registerWith(e, newAuthenticator(t, softauthn.Options{}), "alice"), 201)
	expectRefusedModel(t, registerWith(e, modelAuthenticator(t, otherModel), "bob"), "not on this server's allow list")
	// A configured deny wins over a run-time allow.
	expectStatus(t, e.operator("PUT", "/admin/v1/aaguids/"+configuredDeny, map[string]string{"list": "allow"}), 200)
	expectRefusedModel(t, registerWith(e, modelAuthenticator(t, configuredDeny), "carol"), "not accepted on this server")
	_ = json.Unmarshal(policy(), &p)
	if len(p.Entries) != 3 || !p.AllowListActive {
		t.Fatalf("policy with allow entries: %+v", p)
	}

	// Bad input is invalid_request and changes nothing.
	snapshot := policy()
	for _, tc := range []struct {
		name, aaguid string
		body         any
	}{
		{"not an AAGUID", "not-an-aaguid", map[string]string{"list": "deny"}},
		{"AAGUID without dashes", strings.ReplaceAll(otherModel, "-", ""), map[string]string{"list": "deny"}},
		{"AAGUID in braces", "{" + otherModel + "}", map[string]string{"list": "deny"}},
		{"no list", otherModel, map[string]string{}},
		{"unknown list", otherModel, map[string]string{"list": "maybe"}},
		{"list not a string", otherModel, map[string]any{"list": 1}},
		{"note too long", otherModel, map[string]string{"list": "deny", "note": strings.Repeat("n", 201)}},
		{"note with a control character", otherModel, map[string]string{"list": "deny", "note": "a\u0007b"}},
		{"not JSON", otherModel, "{list: deny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, e.operator("PUT", "/admin/v1/aaguids/"+tc.aaguid, tc.body), 400, passkeyd.CodeInvalidRequest)
		})
	}
	expectProblem(t, e.operator("DELETE", "/admin/v1/aaguids/not-an-aaguid", nil), 400, passkeyd.CodeInvalidRequest)
	if got := policy(); string(got) != string(snapshot) {
		t.Fatalf("bad input changed the policy:\n%s\n%s", snapshot, got)
	}

	// DELETE removes run-time entries only.
	expectStatus(t, e.operator("DELETE", "/admin/v1/aaguids/"+testModel, nil), 204)
	expectProblem(t, e.operator("DELETE", "/admin/v1/aaguids/"+testModel, nil), 404, passkeyd.CodeNotFound)
	expectStatus(t, e.operator("DELETE", "/admin/v1/aaguids/"+configuredDeny, nil), 204) // its run-time allow
	r = e.operator("DELETE", "/admin/v1/aaguids/"+configuredDeny, nil)                   // the configured deny stays
	expectProblem(t, r, 404, passkeyd.CodeNotFound)
	if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, "policy.aaguidDeny") {
		t.Fatalf("detail %q should name the configuration", d)
	}
	_ = json.Unmarshal(policy(), &p)
	if len(p.Entries) != 1 || p.Entries[0].Source != "configuration" || p.AllowListActive {
		t.Fatalf("policy after DELETE: %+v", p)
	}
	expectStatus(t, registerWith(e, modelAuthenticator(t, otherModel), "bob"), 201)
}

// TestRunTimeDenyAppliesOnAnotherInstance: two servers on one database. A deny made through
// one refuses registrations on the other once its copy of the rules is
// DefaultAAGUIDRefresh old (5 s), and on the first at once.
func TestRunTimeDenyAppliesOnAnotherInstance(t *testing.T) {
	one := newEnv(t)
	two := newEnv(t, func(o *envOptions) { o.db = one.store })
	expectStatus(t, registerWith(two, newAuthenticator(t, softauthn.Options{}), "first"), 201) // two reads the rules

	expectStatus(t, one.admin().do("PUT", "/admin/v1/aaguids/"+testModel, map[string]string{"list": "deny"}), 200)
	expectRefusedModel(t, registerWith(one, newAuthenticator(t, softauthn.Options{}), "second"), "not accepted on this server")
	// Within the refresh, two still uses the copy it read (the documented window)…
	two.advance(trust.DefaultAAGUIDRefresh - time.Second)
	expectStatus(t, registerWith(two, newAuthenticator(t, softauthn.Options{}), "third"), 201)
	// …and once it is 5 s old, reads the deny.
	two.advance(time.Second)
	expectRefusedModel(t, registerWith(two, newAuthenticator(t, softauthn.Options{}), "fourth"), "not accepted on this server")
	// The operator API of either instance shows the rule.
	if r := two.admin().do("GET", "/admin/v1/aaguids", nil); !strings.Contains(string(r.body), `"source":"runtime"`) {
		t.Fatalf("the other instance's view: %s", r.body)
	}

	// Lifted through two: one applies it within the refresh too.
	expectStatus(t, two.admin().do("DELETE", "/admin/v1/aaguids/"+testModel, nil), 204)
	expectStatus(t, registerWith(two, newAuthenticator(t, softauthn.Options{}), "fifth"), 201)
	one.advance(trust.DefaultAAGUIDRefresh)
	expectStatus(t, registerWith(one, newAuthenticator(t, softauthn.Options{}), "sixth"), 201)
}

// TestAdminAAGUIDHoldersAndBulkRevocation: which users hold a model's passkeys, page by
// page; revoking them all ends the sessions they signed in, audits each revocation and
// tells the apps by webhook; other models are untouched.
func TestAdminAAGUIDHoldersAndBulkRevocation(t *testing.T) {
	var mu sync.Mutex
	var hooks []webhook.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhook.Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		hooks = append(hooks, ev)
		mu.Unlock()
	}))
	defer recv.Close()
	e := newEnv(t, func(o *envOptions) { o.webhookURL = recv.URL })

	type holder struct {
		a       *softauthn.Authenticator
		c       *client
		id      string
		session string
	}
	signUp := func(name, aaguid string) holder {
		h := holder{a: modelAuthenticator(t, aaguid), c: e.browser()}
		m := h.c.signUp(h.a, name)
		h.id = field(m, "user", "id").(string)
		return h
	}
	alice, bob, carol := signUp("alice", testModel), signUp("bob", testModel), signUp("carol", otherModel)
	expectStatus(t, bob.c.login(bob.a, ""), 200) // a second session of bob's passkey
	bobApp := e.app()
	bobApp.bearer = field(bob.c.login(bob.a, "").json(t), "session", "token").(string)

	users := func(query string) (ids []string, next string, body []byte) {
		t.Helper()
		r := e.operator("GET", "/admin/v1/aaguids/"+testModel+"/users"+query, nil)
		expectStatus(t, r, 200)
		var out struct {
			Users []struct {
				User     struct{ ID, Username string }
				Passkeys []struct {
					ID         string
					AAGUID     string
					CreatedAt  time.Time
					LastUsedAt *time.Time
				}
			}
			Next string
		}
		_ = json.Unmarshal(r.body, &out)
		for _, u := range out.Users {
			if len(u.Passkeys) != 1 || u.Passkeys[0].AAGUID != testModel || u.Passkeys[0].CreatedAt.IsZero() || u.User.Username == "" {
				t.Fatalf("holder: %s", r.body)
			}
			ids = append(ids, u.User.ID)
		}
		return ids, out.Next, r.body
	}
	all, next, body := users("")
	if len(all) != 2 || next != "" || !strings.Contains(string(body), `"username":"alice"`) || !strings.Contains(string(body), `"username":"bob"`) {
		t.Fatalf("holders: %s", body)
	}
	first, next, _ := users("?limit=1")
	if len(first) != 1 || next != first[0] {
		t.Fatalf("first page %v, next %q", first, next)
	}
	second, last, _ := users("?limit=1&after=" + next)
	if len(second) != 1 || second[0] == first[0] || last != "" {
		t.Fatalf("second page %v, next %q", second, last)
	}
	// An AAGUID nobody holds is an empty answer.
	r := e.operator("GET", "/admin/v1/aaguids/"+uuid.NewString()+"/users", nil)
	expectStatus(t, r, 200)
	if strings.TrimSpace(string(r.body)) != `{"users":[]}` {
		t.Fatalf("unknown AAGUID: %s", r.body)
	}
	for _, q := range []string{"?limit=0", "?limit=501", "?limit=ten"} {
		expectProblem(t, e.operator("GET", "/admin/v1/aaguids/"+testModel+"/users"+q, nil), 400, passkeyd.CodeInvalidRequest)
	}
	expectProblem(t, e.operator("GET", "/admin/v1/aaguids/bad/users", nil), 400, passkeyd.CodeInvalidRequest)

	// Bad or unknown AAGUIDs revoke nothing.
	before := e.counts()
	expectProblem(t, e.operator("POST", "/admin/v1/aaguids/bad/revoke", nil), 400, passkeyd.CodeInvalidRequest)
	r = e.operator("POST", "/admin/v1/aaguids/"+uuid.NewString()+"/revoke", nil)
	expectStatus(t, r, 200)
	if m := r.json(t); m["revoked"] != 0.0 || m["more"] != false {
		t.Fatalf("unknown AAGUID revoked: %s", r.body)
	}
	if e.counts() != before {
		t.Fatal("revoking nothing changed the store")
	}

	r = e.operator("POST", "/admin/v1/aaguids/"+testModel+"/revoke", nil)
	expectStatus(t, r, 200)
	if m := r.json(t); m["revoked"] != 2.0 || m["more"] != false {
		t.Fatalf("bulk revocation: %s", r.body)
	}
	// The sessions those passkeys signed in are over (cookie and bearer); the passkeys are gone.
	expectProblem(t, alice.c.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, bob.c.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, bobApp.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, e.browser().login(alice.a, ""), 401, passkeyd.CodeCredentialUnknown)
	if ids, _, _ := users(""); len(ids) != 0 {
		t.Fatalf("holders after revocation: %v", ids)
	}
	// Another model's holder keeps their passkey and session.
	expectStatus(t, carol.c.do("GET", "/api/v1/session", nil), 200)
	expectStatus(t, e.browser().login(carol.a, ""), 200)

	// Each revocation is in the user's activity and reached the apps as passkey.revoked.
	for _, h := range []holder{alice, bob} {
		r := e.operator("GET", "/admin/v1/users/"+h.id, nil)
		if !strings.Contains(string(r.body), `"passkey_revoked"`) {
			t.Fatalf("%s's activity: %s", h.id, r.body)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := map[string]bool{}
		for _, ev := range hooks {
			if ev.Type == webhook.PasskeyRevoked {
				got[ev.UserID] = true
			}
		}
		mu.Unlock()
		if len(got) == 2 && got[alice.id] && got[bob.id] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("passkey.revoked webhooks for %v, want alice and bob", got)
		}
	}
}
