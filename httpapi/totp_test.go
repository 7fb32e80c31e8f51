package httpapi_test

import (
	"encoding/base32"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

// TestTOTPCodeRFC6238 checks the generator against RFC 6238 Appendix B (SHA-1 seed; the
// six low digits of the eight-digit reference values).
func TestTOTPCodeRFC6238(t *testing.T) {
	seed := []byte("12345678901234567890")
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		if got := account.TOTPCode(seed, time.Unix(unix, 0)); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
}

func enrolTOTP(t *testing.T, e *env, c *client) []byte {
	t.Helper()
	r := c.post("/api/v1/totp", map[string]any{})
	expectStatus(t, r, 200)
	m := r.json(t)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(m["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(m["uri"].(string))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != m["secret"] || u.Query().Get("issuer") == "" {
		t.Fatalf("otpauth URI %q", m["uri"])
	}
	if qr, _ := m["qrCode"].(string); !strings.HasPrefix(qr, "data:image/png;base64,iVBOR") {
		t.Fatalf("qrCode is not a PNG data URL: %.40q", m["qrCode"])
	}
	return secret
}

func TestTOTPSecondFactor(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.post("/api/v1/password/signup", map[string]string{"username": "tom", "password": "a perfectly fine passphrase"})
	factors := func(c *client) string {
		f := c.do("GET", "/api/v1/session", nil).json(t)["factors"].(map[string]any)
		return fmt.Sprintf("password=%v totp=%v", f["password"], f["totp"])
	}
	if f := factors(c); f != "password=true totp=false" {
		t.Fatalf("factors before TOTP: %s", f)
	}
	secret := enrolTOTP(t, e, c)
	if f := factors(c); f != "password=true totp=false" {
		t.Fatalf("an unconfirmed TOTP counts: %s", f)
	}
	// A wrong code does not confirm; the right one does, and TOTP being the account's first
	// authenticator (no passkey) brings recovery codes.
	expectProblem(t, c.post("/api/v1/totp/confirm", map[string]string{"code": "000000"}), 401, passkeyd.CodeInvalidCredentials)
	r := c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())})
	expectStatus(t, r, 200)
	codes := codesOf(t, r.json(t))
	if f := factors(c); f != "password=true totp=true" {
		t.Fatalf("factors after TOTP: %s", f)
	}
	// A confirmed TOTP is not replaced by another enrolment.
	expectProblem(t, c.post("/api/v1/totp", map[string]any{}), 409, passkeyd.CodeCredentialExists)

	// The password alone no longer signs in: mfa_required with a token and the methods.
	login := func() string {
		r := e.browser().post("/api/v1/password/login", map[string]string{"username": "tom", "password": "a perfectly fine passphrase"})
		expectProblem(t, r, 401, passkeyd.CodeMFARequired)
		m := r.json(t)
		if methods := m["methods"].([]any); len(methods) != 2 || methods[0] != "totp" {
			t.Fatalf("methods %v", m["methods"])
		}
		return m["mfaToken"].(string)
	}
	// The code just used to confirm is spent.
	tok := login()
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": tok, "code": account.TOTPCode(secret, e.clock())}), 401, passkeyd.CodeInvalidCredentials)
	// The token is spent by that attempt too.
	e.advance(30 * time.Second)
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": tok, "code": account.TOTPCode(secret, e.clock())}), 401, passkeyd.CodeUnauthenticated)
	// A fresh code on a fresh token signs in; reusing the code fails.
	b := e.browser()
	r = b.post("/api/v1/mfa/verify", map[string]string{"mfaToken": login(), "code": account.TOTPCode(secret, e.clock())})
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "mfa" || cookieOf(r) == nil {
		t.Fatalf("mfa verify: %s", r.body)
	}
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": login(), "code": account.TOTPCode(secret, e.clock())}), 401, passkeyd.CodeInvalidCredentials)
	// A phone whose clock runs one step ahead is accepted (drift of ±1 step).
	e.advance(30 * time.Second)
	expectStatus(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": login(), "code": account.TOTPCode(secret, e.clock().Add(30*time.Second))}), 200)
	// ...but not two steps off.
	e.advance(60 * time.Second)
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": login(), "code": account.TOTPCode(secret, e.clock().Add(-60*time.Second))}), 401, passkeyd.CodeInvalidCredentials)
	// A recovery code works as the second factor too, once.
	r = e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": login(), "code": strings.ToLower(codes[0])})
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "recovery_code" {
		t.Fatalf("recovery as second factor: %s", r.body)
	}
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": "bogus", "code": "123456"}), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": login()}), 400, passkeyd.CodeInvalidRequest)

	// Removing TOTP restores password-only sign-in.
	expectStatus(t, b.do("DELETE", "/api/v1/totp", nil), 204)
	expectProblem(t, b.do("DELETE", "/api/v1/totp", nil), 404, passkeyd.CodeNotFound)
	expectStatus(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "tom", "password": "a perfectly fine passphrase"}), 200)
}

func TestTOTPWithPasskeyAccountBringsNoNewCodes(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.signUp(newAuthenticator(t, softauthn.Options{}), "tina")
	secret := enrolTOTP(t, e, c)
	r := c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())})
	expectStatus(t, r, 200)
	if _, ok := r.json(t)["recoveryCodes"]; ok {
		t.Fatal("TOTP on an account that already had a passkey generated new recovery codes")
	}
	expectProblem(t, e.app().post("/api/v1/totp", map[string]any{}), 401, passkeyd.CodeUnauthenticated)
}

func TestTOTPDisabled(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.noTOTP = true })
	c := e.browser()
	c.post("/api/v1/password/signup", map[string]string{"username": "tom", "password": "a perfectly fine passphrase"})
	expectProblem(t, c.post("/api/v1/totp", map[string]any{}), 404, passkeyd.CodeNotFound)
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": "x", "code": "123456"}), 404, passkeyd.CodeNotFound)
}
