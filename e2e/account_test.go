package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

const passphrase = "a perfectly fine passphrase"

// passwordSignUp creates a password account from the page (which signs this browser in).
func (b *browser) passwordSignUp(username, password string) {
	b.t.Helper()
	if st := run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password/signup", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({username: %q, password: %q})}).then(r => r.status)`, username, password), chromedp.EvalAwaitPromise)); st != 201 {
		b.t.Fatalf("password sign-up of %s: %d", username, st)
	}
}

// passwordLoginStatus signs in with a password from the page without keeping the cookie (a
// session somewhere else) and returns the status.
func (b *browser) passwordLoginStatus(username, password string) int {
	return run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password/login", {method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({username: %q, password: %q})}).then(r => r.status)`, username, password), chromedp.EvalAwaitPromise))
}

// factor is the session's factors.<name> as the page sees it.
func (b *browser) factor(name string) bool {
	return run(b, chromedp.Evaluate[bool](fmt.Sprintf(`fetch("/api/v1/session").then(r => r.json()).then(j => !!(j.factors || j.session.factors || {})[%q])`, name), chromedp.EvalAwaitPromise))
}

func (b *browser) credentials(i int) []*webauthn.Credential {
	b.t.Helper()
	var creds []*webauthn.Credential
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: b.authenticators[i]})
		creds = r.Credentials
		return err
	}))
	return creds
}

// TestBrowserAccountSessions (Thai): the account page lists a second browser's session;
// revoking it signs that browser out; "sign out everywhere else" ends every other session
// and keeps this one.
func TestBrowserAccountSessions(t *testing.T) {
	srv := startServer(t)
	page := srv.url + "/?lang=th"
	a := newBrowser(t)
	a.withoutAutofill()
	a.do(chromedp.Navigate(page), visible("#signed-out"))
	a.passwordSignUp("sombat", passphrase)
	other := newBrowser(t)
	other.withoutAutofill()
	other.do(chromedp.Navigate(page), visible("#signed-out"))
	other.do(passwordSignIn("sombat", passphrase)...)
	other.do(visible("#signed-in"))
	id := other.sessionID()
	revoke := fmt.Sprintf(`#session-list li[data-id=%q] .revoke`, id)
	a.do(chromedp.Navigate(page), visible("#signed-in"), visible(revoke), click(revoke))
	run(a, chromedp.Poll[bool](fmt.Sprintf(`!document.querySelector('#session-list li[data-id=%q]') && document.querySelectorAll("#session-list li").length === 1`, id)))
	if n := a.text("#notice"); !strings.Contains(n, "ออกจากระบบ") {
		t.Fatalf("notice after revoking a session %q", n)
	}
	if st := other.fetchStatus("/api/v1/session"); st != 401 {
		t.Fatalf("the revoked browser's session answers %d", st)
	}
	if a.count("#revoke-others-button:not([hidden])") != 0 {
		t.Fatal(`"sign out everywhere else" shown with one session`)
	}

	// Two sessions elsewhere: the other browser again, and one made by fetch.
	other.do(chromedp.Navigate(page), visible("#signed-out"))
	other.do(passwordSignIn("sombat", passphrase)...)
	other.do(visible("#signed-in"))
	if st := a.passwordLoginStatus("sombat", passphrase); st != 200 {
		t.Fatalf("third sign-in: %d", st)
	}
	mine := a.sessionID()
	a.do(chromedp.Reload(), visible("#signed-in"), visible("#session-list li:nth-child(3)"), click("#revoke-others-button"))
	run(a, chromedp.Poll[bool](`document.querySelectorAll("#session-list li").length === 1 && document.getElementById("revoke-others-button").hidden`))
	if st := other.fetchStatus("/api/v1/session"); st != 401 {
		t.Fatalf("after sign out everywhere else the other browser's session answers %d", st)
	}
	if got := a.sessionID(); got != mine {
		t.Fatalf("sign out everywhere else changed this session (%q → %q)", mine, got)
	}
	if cur := a.count("#session-list li .badge"); cur != 1 {
		t.Fatalf("the remaining session is not marked current (%d badges)", cur)
	}
}

// TestBrowserAccountPasswordTOTPAndDeletion (Vietnamese): a passkey account sets a password,
// changes it (a wrong current one is refused next to its field), removes it; starts TOTP
// setup and cancels it (nothing enrolled); deletes the account, after which the username
// is free again.
func TestBrowserAccountPasswordTOTPAndDeletion(t *testing.T) {
	srv := startServer(t)
	page := srv.url + "/?lang=vi"
	b := newBrowser(t)
	b.withoutAutofill()
	b.do(chromedp.Navigate(page), visible("#signed-out"), keys("#signup-username", "linh"), click("#signup-button"),
		visible("#name-panel"), click("#name-skip-button"), click("#codes-done-button"), visible("#passkey-list li"))
	run(b, chromedp.Evaluate[bool](`window.confirm = () => true, true`))

	// Set: no current password is asked for.
	b.do(click("#password-set-button"), visible("#password-new"))
	if b.count("#password-current-field:not([hidden])") != 0 {
		t.Fatal("current password asked for an account without one")
	}
	b.do(keys("#password-new", passphrase), click("#password-save-button"), chromedp.WaitNotVisible(css("#password-change-form")), visible("#password-remove-button"))
	if !b.factor("password") || b.passwordLoginStatus("linh", passphrase) != 200 {
		t.Fatal("the password was not set")
	}
	if s := b.text("#password-state"); !strings.Contains(s, "mật khẩu") {
		t.Fatalf("password state %q", s)
	}
	// Change: a wrong current password is refused next to its field.
	const next = "another fine passphrase"
	b.do(click("#password-set-button"), visible("#password-current"),
		keys("#password-current", "not my passphrase"), keys("#password-new", next), click("#password-save-button"), visible("#password-current-error"))
	if c := b.errorCode(); c != "invalid_credentials" {
		t.Fatalf("wrong current password showed %q", c)
	}
	b.do(clearInput("#password-current"), keys("#password-current", passphrase), click("#password-save-button"), chromedp.WaitNotVisible(css("#password-change-form")))
	if b.passwordLoginStatus("linh", next) != 200 || b.passwordLoginStatus("linh", passphrase) != 401 {
		t.Fatal("the password was not changed")
	}
	// Remove.
	b.do(click("#password-remove-button"), chromedp.WaitNotVisible(css("#password-remove-button")))
	if b.factor("password") || b.passwordLoginStatus("linh", next) != 401 {
		t.Fatal("the password was not removed")
	}

	// TOTP setup, cancelled: the form closes and nothing is enrolled; setting up again works.
	b.do(click("#totp-setup-button"), visible("#totp-form"), visible("#totp-secret"))
	first := b.text("#totp-secret")
	b.do(click("#totp-cancel-button"), chromedp.WaitNotVisible(css("#totp-form")), visible("#totp-setup-button"))
	if b.factor("totp") {
		t.Fatal("cancelling the setup enrolled TOTP")
	}
	b.do(click("#totp-setup-button"), visible("#totp-form"))
	run(b, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("totp-secret").textContent !== "" && document.getElementById("totp-secret").textContent !== %q`, first)))
	b.do(click("#totp-cancel-button"), chromedp.WaitNotVisible(css("#totp-form")))

	// Delete the account: signed out, the session gone, the username free.
	b.do(click("#delete-account-button"), visible("#signed-out"), visible("#notice"))
	if st := b.fetchStatus("/api/v1/session"); st != 401 {
		t.Fatalf("session after deleting the account: %d", st)
	}
	b.do(keys("#signup-username", "linh"), click("#signup-button"), visible("#signed-in"), visible("#passkey-list li"))
	if n := b.count("#passkey-list li"); n != 1 {
		t.Fatalf("the new account has %d passkeys", n)
	}
}

// TestBrowserSecurityKeyAndRecoveryCodes (English): the recovery codes panel copies the
// codes to the clipboard and downloads them as a file; "Add a security key" registers the
// cross-platform authenticator (a USB key), and "Use a security key" signs in with it alone.
func TestBrowserSecurityKeyAndRecoveryCodes(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	b.withoutAutofill()
	// What the page hands the clipboard (headless Chromium has no system clipboard to read).
	b.onNewDocument(`window.__copied = []; navigator.clipboard.writeText = async (text) => { window.__copied.push(text); };`)
	downloads := t.TempDir()
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	b.signUp(srv.url, "kim", "Kim")
	b.do(visible("#codes-panel"), click("#name-skip-button"))
	codes := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#codes-list li")].map(li => li.textContent)`))
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	b.do(click("#codes-copy-button"), visible("#notice"))
	if copied := run(b, chromedp.Evaluate[[]string](`window.__copied`)); len(copied) != 1 || copied[0] != strings.Join(codes, "\n") {
		t.Fatalf("copied %q", copied)
	}
	b.do(click("#codes-download-button"))
	file := filepath.Join(downloads, "passkeyd-recovery-codes.txt")
	var body []byte
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if body, err = os.ReadFile(file); err == nil && strings.HasSuffix(string(body), "\n") {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("no download of the codes (%v; directory holds %v)", err, entries)
		}
	}
	for _, c := range codes {
		if !strings.Contains(string(body), c+"\n") {
			t.Fatalf("downloaded file lacks %s:\n%s", c, body)
		}
	}
	b.do(click("#codes-done-button"), chromedp.WaitNotVisible(css("#codes-panel")))

	// A security key: only the cross-platform authenticator can answer.
	b.addAuthenticator(webauthn.AuthenticatorTransportUsb)
	b.do(click("#add-securitykey-button"), visible("#passkey-list li:nth-child(2)"), visible("#name-panel"), click("#name-skip-button"))
	if kinds := run(b, chromedp.Evaluate[[]string](`fetch("/api/v1/passkeys").then(r => r.json()).then(j => j.passkeys.map(p => p.deviceType))`, chromedp.EvalAwaitPromise)); len(kinds) != 2 || kinds[0] != "security_key" || kinds[1] != "platform" {
		t.Fatalf("passkeys' device types %q, want the new one a security key", kinds)
	}
	if n, m := len(b.credentials(0)), len(b.credentials(1)); n != 1 || m != 1 {
		t.Fatalf("platform authenticator holds %d credentials, security key %d; want one each", n, m)
	}
	if s := b.text("#passkey-list li:first-child .hint"); !strings.Contains(s, "Security key") {
		t.Fatalf("security key listed as %q", s)
	}
	// Without the platform authenticator, "Use a security key" signs in with the key.
	b.do(click("#signout-button"), visible("#signed-out"))
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: b.authenticators[0]})
		return err
	}))
	b.do(click("#securitykey-button"), visible("#signed-in"))
	if m := b.sessionMethod(); m != "passkey" {
		t.Fatalf("signed in with %q", m)
	}
}

// TestBrowserPasskeySecondFactor (Traditional Chinese): with PASSKEYD_PASSKEY_ROLE=second-factor
// a password account adds a passkey, and its next password sign-in asks for it as the second
// step ("use a passkey" on the second-factor form).
func TestBrowserPasskeySecondFactor(t *testing.T) {
	srv := startServer(t, "PASSKEYD_PASSKEY_ROLE=second-factor")
	page := srv.url + "/?lang=zh-Hant"
	b := newBrowser(t)
	b.withoutAutofill()
	b.do(chromedp.Navigate(page), visible("#signed-out"))
	b.passwordSignUp("mei", passphrase)
	b.do(chromedp.Navigate(page), visible("#signed-in"), click("#add-passkey-button"), visible("#passkey-list li"))
	if b.count("#name-panel:not([hidden])") == 1 {
		b.do(click("#name-skip-button"))
	}
	if b.count("#codes-panel:not([hidden])") == 1 {
		b.do(click("#codes-done-button"))
	}
	b.do(click("#signout-button"), visible("#signed-out"))
	b.do(passwordSignIn("mei", passphrase)...)
	b.do(visible("#mfa-form"), visible("#mfa-passkey-button"))
	if s := b.text("#mfa-title"); s == "" || s == "Second step" {
		t.Fatalf("second-factor title %q, want it in Chinese", s)
	}
	b.do(click("#mfa-passkey-button"), visible("#signed-in"))
	if m := b.sessionMethod(); m != "mfa" {
		t.Fatalf("signed in with %q, want mfa", m)
	}
}

// TestBrowserSignalUnknownCredential: a passkey deleted on the server (not through the page)
// is still offered by the authenticator; signing in with it is refused credential_unknown
// and the SDK tells the browser with PublicKeyCredential.signalUnknownCredential({rpId,
// credentialId}), after which Chromium removes it from the authenticator.
func TestBrowserSignalUnknownCredential(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	b.withoutAutofill()
	b.onNewDocument(`window.__signals = []; if (PublicKeyCredential.signalUnknownCredential) {
		const real = PublicKeyCredential.signalUnknownCredential.bind(PublicKeyCredential);
		PublicKeyCredential.signalUnknownCredential = (o) => { window.__signals.push(o); return real(o); }; }`)
	b.signUp(srv.url, "uma", "Uma")
	if !run(b, chromedp.Evaluate[bool](`typeof PublicKeyCredential.signalUnknownCredential === "function"`)) {
		t.Skip("this Chromium has no PublicKeyCredential.signalUnknownCredential")
	}
	creds := b.credentials(0)
	if len(creds) != 1 {
		t.Fatalf("%d credentials after sign-up", len(creds))
	}
	credID := base64.RawURLEncoding.EncodeToString(creds[0].CredentialID)
	// Another way in, then the passkey is deleted behind the page's back.
	if st := run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password", {method: "PUT", headers: {"Content-Type": "application/json"}, body: JSON.stringify({newPassword: %q})}).then(r => r.status)`, passphrase), chromedp.EvalAwaitPromise)); st != 204 {
		t.Fatalf("setting a password: %d", st)
	}
	if st := run(b, chromedp.Evaluate[int](`fetch("/api/v1/passkeys").then(r => r.json()).then(j => fetch("/api/v1/passkeys/" + encodeURIComponent(j.passkeys[0].id), {method: "DELETE"})).then(r => r.status)`, chromedp.EvalAwaitPromise)); st != 204 {
		t.Fatalf("deleting the passkey: %d", st)
	}
	// Deleting the passkey ended the session it signed in.
	b.do(chromedp.Navigate(srv.url+"/"), visible("#signed-out"), click("#signin-button"), visible("#signin-username-error"))
	if c := b.errorCode(); c != "credential_unknown" {
		t.Fatalf("signing in with the deleted passkey showed %q", c)
	}
	type signal struct {
		RPID         string `json:"rpId"`
		CredentialID string `json:"credentialId"`
	}
	got := run(b, chromedp.Evaluate[[]signal](`window.__signals`))
	if len(got) != 1 || got[0].RPID != "localhost" || got[0].CredentialID != credID {
		t.Fatalf("signalUnknownCredential calls %+v, want one with rpId localhost and credentialId %s", got, credID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(b.credentials(0)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the authenticator still holds the unknown credential after the signal")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
