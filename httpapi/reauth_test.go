package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

const goodPassword = "a perfectly fine passphrase"

// stale makes every session in e older than the re-authentication window.
func (e *env) stale() { e.advance(6 * time.Minute) }

// reauthPasskey makes c's session recent again with a.
func (c *client) reauthPasskey(a *softauthn.Authenticator) result {
	c.e.t.Helper()
	opts := c.post("/api/v1/session/reauth/options", map[string]any{})
	expectStatus(c.e.t, opts, 200)
	cred, err := a.Login(opts.body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred)})
}

// TestStolenSessionCannotTakeAccountOver is the attack of the issue: a thief holding only a
// (stale) session token tries each change that would give them the account for good. Each
// is refused with reauthentication_required and changes nothing.
func TestStolenSessionCannotTakeAccountOver(t *testing.T) {
	e := newEnv(t)
	owner := newAuthenticator(t, softauthn.Options{})
	victim := e.browser()
	signup := victim.signUp(owner, "alice")
	thief := e.app()
	thief.bearer = field(signup, "session", "token").(string)
	pkID := field(signup, "passkey", "id").(string)
	e.stale()

	thiefKey := newAuthenticator(t, softauthn.Options{})
	before := e.counts()
	u, _ := e.store.UserByUsername(t.Context(), "alice")
	cases := []struct {
		name string
		do   func() result
	}{
		{"set a password", func() result {
			return thief.do(http.MethodPut, "/api/v1/password", map[string]string{"newPassword": "thief's own passphrase"})
		}},
		{"regenerate recovery codes", func() result { return thief.post("/api/v1/recovery-codes", map[string]any{}) }},
		{"delete the owner's passkey", func() result { return thief.do(http.MethodDelete, "/api/v1/passkeys/"+pkID, nil) }},
		{"add a passkey", func() result { return thief.post("/api/v1/registration/options", map[string]any{}) }},
		{"enrol TOTP", func() result { return thief.post("/api/v1/totp", map[string]any{}) }},
		{"remove TOTP", func() result { return thief.do(http.MethodDelete, "/api/v1/totp", nil) }},
		{"remove the password", func() result { return thief.do(http.MethodDelete, "/api/v1/password", nil) }},
		{"delete the account", func() result { return thief.do(http.MethodDelete, "/api/v1/account", nil) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, tc.do(), 403, passkeyd.CodeReauthenticationRequired)
		})
	}
	if got := e.counts(); got != before {
		t.Fatalf("store changed: %v → %v", before, got)
	}
	after, _ := e.store.UserByUsername(t.Context(), "alice")
	if after.PasswordHash != u.PasswordHash {
		t.Fatal("the password changed")
	}
	if n, _ := e.store.RecoveryCodesLeft(t.Context(), u.ID); n != 10 {
		t.Fatalf("recovery codes: %d left, want the original 10", n)
	}
	if _, err := e.store.TOTP(t.Context(), u.ID); err == nil {
		t.Fatal("a TOTP secret was stored")
	}
	// A passkey registration begun while the session was recent cannot be finished once it
	// is stale: the verify is a change too. (A shorter window, so the challenge is live.)
	e = newEnv(t, func(o *envOptions) { o.reauthWindow = time.Minute })
	c := e.browser()
	c.signUp(newAuthenticator(t, softauthn.Options{}), "bob")
	opts := c.post("/api/v1/registration/options", map[string]any{})
	expectStatus(t, opts, 200)
	cred, _ := thiefKey.Register(opts.body)
	e.advance(2 * time.Minute)
	before = e.counts()
	expectProblem(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 403, passkeyd.CodeReauthenticationRequired)
	if got := e.counts(); got != before {
		t.Fatalf("a stale add-passkey verify stored something: %v → %v", before, got)
	}
}

// TestReauthWithPasskey: re-authentication refreshes the session in place (same id, same
// token), after which the change goes through.
func TestReauthWithPasskey(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	signup := c.signUp(a, "alice")
	id := field(signup, "session", "id")
	e.stale()
	expectProblem(t, c.post("/api/v1/recovery-codes", map[string]any{}), 403, passkeyd.CodeReauthenticationRequired)

	r := c.reauthPasskey(a)
	expectStatus(t, r, 200)
	m := r.json(t)
	if field(m, "session", "id") != id || field(m, "session", "token") != nil {
		t.Fatalf("re-authentication must keep the session and show no token: %s", r.body)
	}
	at, _ := time.Parse(time.RFC3339, field(m, "session", "authenticatedAt").(string))
	if e.clock().Sub(at) > 2*time.Second {
		t.Fatalf("authenticatedAt %v not refreshed (now %v)", at, e.clock())
	}
	if field(m, "session", "userVerified") != true {
		t.Fatalf("a UV re-authentication: %s", r.body)
	}
	// The same cookie now passes the rule.
	expectStatus(t, c.post("/api/v1/recovery-codes", map[string]any{}), 200)
	got := c.do(http.MethodGet, "/api/v1/session", nil)
	if field(got.json(t), "session", "id") != id {
		t.Fatalf("the session changed: %s", got.body)
	}
}

// TestReauthChallengesAreBound: a re-authentication challenge signs nobody in and works only
// on the session that asked for it; a sign-in challenge does not re-authenticate.
func TestReauthChallengesAreBound(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "alice")
	other := e.browser()
	expectStatus(t, other.login(a, ""), 200)
	e.stale()

	// Reauth options used for a sign-in.
	opts := c.post("/api/v1/session/reauth/options", map[string]any{})
	cred, _ := a.Login(opts.body)
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
	// Reauth options of one session used on another.
	opts = c.post("/api/v1/session/reauth/options", map[string]any{})
	cred, _ = a.Login(opts.body)
	expectProblem(t, other.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
	// Sign-in options used for a re-authentication.
	opts = e.browser().post("/api/v1/authentication/options", map[string]any{})
	cred, _ = a.Login(opts.body)
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
	// Another user's passkey.
	bob := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(bob, "bob")
	opts = c.post("/api/v1/session/reauth/options", map[string]any{})
	cred, _ = bob.Login(withoutAllowList(t, opts.body))
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred)}), 401, passkeyd.CodeCredentialUnknown)
	// Without user verification.
	opts = c.post("/api/v1/session/reauth/options", map[string]any{})
	if field(opts.json(t), "publicKey", "userVerification") != "required" {
		t.Fatalf("reauth options must require UV: %s", opts.body)
	}
	cred, _ = a.LoginWith(opts.body, softauthn.Tamper{ClearUV: true})
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeUserVerificationRequired)
	// Still stale after all of that.
	expectProblem(t, c.post("/api/v1/recovery-codes", map[string]any{}), 403, passkeyd.CodeReauthenticationRequired)
	// Bad bodies (after the per-session limit on secret checks has refilled).
	e.advance(time.Minute)
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]any{}), 400, passkeyd.CodeInvalidRequest)
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]any{"credential": json.RawMessage(cred), "password": "x"}), 400, passkeyd.CodeInvalidRequest)
	expectProblem(t, c.post("/api/v1/session/reauth", `{"credential": {"id": 5}}`), 400, passkeyd.CodeInvalidRequest)
	expectProblem(t, e.app().post("/api/v1/session/reauth", map[string]any{"password": "x"}), 401, passkeyd.CodeUnauthenticated)
}

// TestReauthWithPassword: a password account re-authenticates with its password, plus the
// TOTP code when it has TOTP; wrong answers count towards the lockout.
func TestReauthWithPassword(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": goodPassword}), 201)
	secret := enrolTOTP(t, e, c)
	expectStatus(t, c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
	e.stale()
	expectProblem(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"currentPassword": goodPassword, "newPassword": "another fine passphrase"}), 403, passkeyd.CodeReauthenticationRequired)

	// The password alone is less than the sign-in asks of this account.
	expectProblem(t, c.post("/api/v1/session/reauth", map[string]string{"password": goodPassword}), 401, passkeyd.CodeInvalidCredentials)
	e.advance(31 * time.Second)
	r := c.post("/api/v1/session/reauth", map[string]string{"password": goodPassword, "code": account.TOTPCode(secret, e.clock())})
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "password" {
		t.Fatalf("%s", r.body)
	}
	expectStatus(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"currentPassword": goodPassword, "newPassword": "another fine passphrase"}), 204)

	// Wrong re-authentication passwords lock the account like wrong sign-ins.
	e.stale()
	e.advance(time.Minute) // the per-session limit on secret checks refills
	for i := 0; i < 5; i++ {
		expectProblem(t, c.post("/api/v1/session/reauth", map[string]string{"password": "wrong guess number " + string(rune('a'+i))}), 401, passkeyd.CodeInvalidCredentials)
	}
	e.advance(13 * time.Second)
	r = c.post("/api/v1/session/reauth", map[string]string{"password": "another fine passphrase", "code": account.TOTPCode(secret, e.clock())})
	expectProblem(t, r, 429, passkeyd.CodeAccountLocked)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "another fine passphrase"}), 429, passkeyd.CodeAccountLocked)
}

// TestChangePasswordCurrentPasswordCountsTowardsLockout: PUT /password's currentPassword is
// a guess like any other.
func TestChangePasswordCurrentPasswordCountsTowardsLockout(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": goodPassword}), 201)
	for i := 0; i < 5; i++ {
		expectProblem(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"currentPassword": "wrong guess " + string(rune('a'+i)), "newPassword": "another fine passphrase"}), 401, passkeyd.CodeInvalidCredentials)
	}
	e.advance(13 * time.Second) // past the per-session limit, so the lockout answers
	expectProblem(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"currentPassword": goodPassword, "newPassword": "another fine passphrase"}), 429, passkeyd.CodeAccountLocked)
	u, _ := e.store.UserByUsername(t.Context(), "pat")
	if ok, _, _ := testHasher.Verify(t.Context(), u.PasswordHash, goodPassword); !ok {
		t.Fatal("the password changed")
	}
}

// TestSessionListAndRevocation: the user's sessions, one revoked, the others revoked.
func TestSessionListAndRevocation(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	laptop := e.browser()
	laptop.signUp(a, "alice")
	e.advance(time.Second)
	phone := e.browser()
	expectStatus(t, phone.login(a, ""), 200)
	e.advance(time.Second)
	tablet := e.browser()
	expectStatus(t, tablet.login(a, "alice"), 200)
	mallory := e.browser()
	mallory.signUp(newAuthenticator(t, softauthn.Options{}), "mallory")

	r := laptop.do(http.MethodGet, "/api/v1/sessions", nil)
	expectStatus(t, r, 200)
	var list struct {
		Sessions []struct {
			ID, Method, UserAgent, IP string
			Current, UserVerified     bool
			AMR                       []string
		}
	}
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Sessions) != 3 {
		t.Fatalf("sessions: %s", r.body)
	}
	current := 0
	for _, s := range list.Sessions {
		if s.Current {
			current++
		}
		if s.Method != "passkey" || s.IP == "" || s.UserAgent == "" || !slices.Equal(s.AMR, []string{"hwk", "user"}) || !s.UserVerified {
			t.Fatalf("session view %+v", s)
		}
	}
	if current != 1 || !list.Sessions[2].Current {
		t.Fatalf("the sign-up session is the oldest and the current one: %s", r.body)
	}
	phoneID := list.Sessions[1].ID

	// Another user's session is not found; one's own other session is revoked.
	expectProblem(t, mallory.do(http.MethodDelete, "/api/v1/sessions/"+phoneID, nil), 404, passkeyd.CodeNotFound)
	expectStatus(t, phone.do(http.MethodGet, "/api/v1/session", nil), 200)
	expectStatus(t, laptop.do(http.MethodDelete, "/api/v1/sessions/"+phoneID, nil), 204)
	expectProblem(t, phone.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)

	// Sign out everywhere else.
	expectStatus(t, laptop.do(http.MethodDelete, "/api/v1/sessions", nil), 204)
	expectProblem(t, tablet.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectStatus(t, laptop.do(http.MethodGet, "/api/v1/session", nil), 200)
	expectStatus(t, mallory.do(http.MethodGet, "/api/v1/session", nil), 200)
}

// TestSessionsEndWithWhatTheyStandOn: the revocation rules of the Session section.
func TestSessionsEndWithWhatTheyStandOn(t *testing.T) {
	type step struct {
		name string
		do   func(t *testing.T, e *env, c *client)
	}
	for _, tc := range []step{
		{"setting the password", func(t *testing.T, e *env, c *client) {
			expectStatus(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"newPassword": goodPassword}), 204)
		}},
		{"regenerating recovery codes", func(t *testing.T, e *env, c *client) {
			expectStatus(t, c.post("/api/v1/recovery-codes", map[string]any{}), 200)
		}},
		{"removing TOTP", func(t *testing.T, e *env, c *client) {
			secret := enrolTOTP(t, e, c)
			expectStatus(t, c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
			expectStatus(t, c.do(http.MethodDelete, "/api/v1/totp", nil), 204)
		}},
		{"removing the password", func(t *testing.T, e *env, c *client) {
			expectStatus(t, c.do(http.MethodPut, "/api/v1/password", map[string]string{"newPassword": goodPassword}), 204)
			expectStatus(t, c.do(http.MethodDelete, "/api/v1/password", nil), 204)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := newAuthenticator(t, softauthn.Options{})
			c := e.browser()
			c.signUp(a, "alice")
			other := e.browser()
			expectStatus(t, other.login(a, ""), 200)
			tc.do(t, e, c)
			expectProblem(t, other.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
			expectStatus(t, c.do(http.MethodGet, "/api/v1/session", nil), 200)
		})
	}

	t.Run("deleting a passkey ends the sessions it signed in", func(t *testing.T) {
		e := newEnv(t)
		phone := newAuthenticator(t, softauthn.Options{})
		key := newAuthenticator(t, softauthn.Options{Attachment: "cross-platform", Transports: []string{"usb"}})
		c := e.browser()
		c.signUp(phone, "alice")
		added := c.addPasskey(key, "key")
		expectStatus(t, added, 201)
		keyID := field(added.json(t), "passkey", "id").(string)
		viaKey, viaPhone := e.browser(), e.browser()
		expectStatus(t, viaKey.login(key, ""), 200)
		expectStatus(t, viaPhone.login(phone, ""), 200)
		expectStatus(t, c.do(http.MethodDelete, "/api/v1/passkeys/"+keyID, nil), 204)
		expectProblem(t, viaKey.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
		expectStatus(t, viaPhone.do(http.MethodGet, "/api/v1/session", nil), 200)
		expectStatus(t, c.do(http.MethodGet, "/api/v1/session", nil), 200)
	})
}

// TestSessionObjectCarriesUVAndAMR: userVerified and RFC 8176 amr on every session.
func TestSessionObjectCarriesUVAndAMR(t *testing.T) {
	e := newEnv(t)
	check := func(r result, uv bool, amr ...string) {
		t.Helper()
		expectStatus(t, r, r.status)
		m := r.json(t)
		got := []string{}
		for _, v := range field(m, "session", "amr").([]any) {
			got = append(got, v.(string))
		}
		if field(m, "session", "userVerified") != uv || !slices.Equal(got, amr) {
			t.Fatalf("session %v; want userVerified=%v amr=%v", field(m, "session"), uv, amr)
		}
	}
	withUV := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(withUV, "alice")
	check(c.do(http.MethodGet, "/api/v1/session", nil), true, "hwk", "user")
	check(e.browser().login(withUV, ""), true, "hwk", "user")

	noUV := newAuthenticator(t, softauthn.Options{NoUserVerification: true, Attachment: "cross-platform"})
	b := e.browser()
	r := b.post("/api/v1/registration/options", map[string]string{"username": "bob"})
	cred, _ := noUV.Register(r.body)
	check(b.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), false, "hwk")

	p := e.browser()
	check(p.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": goodPassword}), false, "pwd")
	secret := enrolTOTP(t, e, p)
	expectStatus(t, p.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
	e.advance(31 * time.Second)
	mfa := e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": goodPassword})
	token := mfa.json(t)["mfaToken"].(string)
	check(e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": token, "code": account.TOTPCode(secret, e.clock())}), true, "pwd", "otp", "mfa")
}

// TestUserVerificationCannotBeDowngraded: a passkey registered with UV must perform UV at
// every sign-in, whatever the top-level policy says.
func TestUserVerificationCannotBeDowngraded(t *testing.T) {
	for _, policy := range []string{"preferred", "discouraged"} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.uv = policy })
			a := newAuthenticator(t, softauthn.Options{})
			e.browser().signUp(a, "alice")
			before := e.counts()
			opts := e.browser().post("/api/v1/authentication/options", map[string]string{"username": "alice"})
			cred, _ := a.LoginWith(opts.body, softauthn.Tamper{ClearUV: true})
			expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeUserVerificationRequired)
			if e.counts() != before {
				t.Fatal("a refused sign-in created a session")
			}
			// A passkey registered without UV may still sign in without it.
			key := newAuthenticator(t, softauthn.Options{NoUserVerification: true, Attachment: "cross-platform"})
			b := e.browser()
			r := b.post("/api/v1/registration/options", map[string]string{"username": "bob"})
			reg, _ := key.Register(r.body)
			expectStatus(t, b.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(reg)}), 201)
			expectStatus(t, e.browser().login(key, "bob"), 200)
		})
	}
}

// TestDeleteAccount: everything of the account goes; the username is free; the audit log
// keeps the events without the client.
func TestDeleteAccount(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	signup := c.signUp(a, "alice")
	userID := field(signup, "user", "id").(string)
	other := e.browser()
	expectStatus(t, other.login(a, ""), 200)
	r := c.do(http.MethodDelete, "/api/v1/account", nil)
	expectStatus(t, r, 204)
	if !clearsCookie(r) {
		t.Fatal("the session cookie is not cleared")
	}
	expectProblem(t, c.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, other.do(http.MethodGet, "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	if u, p, s := e.store.Counts(); u != 0 || p != 0 || s != 0 {
		t.Fatalf("left users=%d passkeys=%d sessions=%d", u, p, s)
	}
	expectProblem(t, e.browser().login(a, ""), 401, passkeyd.CodeCredentialUnknown)
	e.accounts.Close() // flush the audit writer
	evs, _ := e.store.Events(t.Context(), userID, 50)
	if len(evs) == 0 || evs[0].Type != "account_deleted" {
		t.Fatalf("audit events %v", evs)
	}
	for _, ev := range evs {
		if ev.IP != "" || ev.UserAgent != "" {
			t.Fatalf("event %s keeps the client: %+v", ev.Type, ev)
		}
	}
	// The username is free again.
	e2 := e.browser()
	opts := e2.post("/api/v1/registration/options", map[string]string{"username": "alice"})
	expectStatus(t, opts, 200)
}

func clearsCookie(r result) bool {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "passkeyd_session" && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// TestRemovePassword: DELETE /password obeys the last-way-in rule.
func TestRemovePassword(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": goodPassword}), 201)
	expectProblem(t, c.do(http.MethodDelete, "/api/v1/password", nil), 409, passkeyd.CodeLastCredential)
	expectStatus(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": goodPassword}), 200)
	a := newAuthenticator(t, softauthn.Options{})
	expectStatus(t, c.addPasskey(a, "phone"), 201)
	expectStatus(t, c.do(http.MethodDelete, "/api/v1/password", nil), 204)
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": goodPassword}), 401, passkeyd.CodeInvalidCredentials)
	expectProblem(t, c.do(http.MethodDelete, "/api/v1/password", nil), 404, passkeyd.CodeNotFound)
}

// withoutAllowList empties allowCredentials, so that any discoverable credential answers.
func withoutAllowList(t *testing.T, opts []byte) []byte {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(opts, &m); err != nil {
		t.Fatal(err)
	}
	m["publicKey"]["allowCredentials"] = []any{}
	out, _ := json.Marshal(m)
	return out
}
