package e2e

import (
	"context"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passkeyd/passkeyd/account"
)

// languages are the reference page's languages (web/assets/i18n.js), as ?lang= takes them.
var languages = []string{"en", "th", "zh-Hant", "vi"}

// axeSource is axe-core's browser build, installed from e2e/axe/package-lock.json by
// `npm ci --prefix e2e/axe` (.ci/run does it).
func axeSource(t *testing.T) string {
	p := filepath.Join(moduleRoot(), "e2e", "axe", "node_modules", "axe-core", "axe.min.js")
	src, err := os.ReadFile(p)
	if err != nil {
		if required() {
			t.Fatalf("axe-core not installed (npm ci --prefix e2e/axe): %v; PASSKEYD_TEST_REQUIRE makes this a failure", err)
		}
		t.Skipf("axe-core not installed: run npm ci --prefix e2e/axe (%v)", err)
	}
	return string(src)
}

// axeViolation is the part of an axe-core result a failure message needs.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs every axe-core rule (WCAG 2.x A/AA and best practices) on the page as it
// is now and reports each violation as a test error naming the state.
func (b *browser) checkA11y(axeJS, state string) {
	b.t.Helper()
	if !run(b, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		run(b, chromedp.Evaluate[bool](axeJS+"\n;true"))
	}
	vs := run(b, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help,
		nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})))`, chromedp.EvalAwaitPromise))
	for _, v := range vs {
		b.t.Errorf("%s: axe %s (%s): %s\n\t%s", state, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// reauthUntil waits for sel to show, answering the re-authentication form with password
// whenever the page asks (on a loaded machine the short window can pass between steps).
func (b *browser) reauthUntil(sel, password string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		switch run(b, chromedp.Evaluate[string](fmt.Sprintf(`(e => e && e.offsetParent !== null ? "shown" : !document.getElementById("reauth-form").hidden && !document.getElementById("reauth-button").disabled ? "reauth" : "")(document.querySelector(%q))`, sel))) {
		case "shown":
			return
		case "reauth":
			b.do(clearInput("#reauth-password"), keys("#reauth-password", password), click("#reauth-button"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.fail(fmt.Errorf("%s never shown", sel))
}

// clearCredentials removes every credential from the i-th virtual authenticator.
func (b *browser) clearCredentials(i int) {
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: b.authenticators[i]})
		return err
	}))
}

// clearInput empties a field, so the keys sent next replace what was typed.
func clearInput(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(e => (e.value = "", true))(document.querySelector(%q))`, sel))(ctx, tg)
		return err
	})
}

// colorScheme makes the page see prefers-color-scheme: scheme ("light" or "dark").
func (b *browser) colorScheme(scheme string) {
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// noWebAuthnOnRequest removes WebAuthn from a page opened with ?nowebauthn, so one browser
// shows both kinds of page.
const noWebAuthnOnRequest = `if (new URLSearchParams(location.search).has("nowebauthn")) delete window.PublicKeyCredential;`

// TestBrowserAccessibility runs axe-core on every state of the reference page — signed out
// (sign-in, password step with and without an error, second-factor step, recovery, sign-up,
// no WebAuthn), naming a new passkey with the recovery codes, the passkey upgrade offer, and
// the account page (passkeys, sessions, rename, password form, TOTP setup, re-authentication)
// — in each language and in light and dark colours, and wants no violation. With
// PASSKEYD_SCREENSHOTS=<dir> it also saves the README's screenshots of the main states.
func TestBrowserAccessibility(t *testing.T) {
	axeJS := axeSource(t)
	srv := startServer(t, "PASSKEYD_REAUTH_WINDOW=1s")
	root := newBrowser(t)
	root.withoutAutofill()
	root.onNewDocument(noWebAuthnOnRequest)
	root.do(chromedp.EmulateViewport(800, 900))
	const pass = "a perfectly fine passphrase"
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			b := &browser{t: t, ctx: root.ctx, authenticators: root.authenticators}
			// A virtual authenticator holds only a few discoverable credentials: each
			// language starts with an empty one.
			b.clearCredentials(0)
			q := "/?lang=" + lang
			check := func(state string, shot bool) {
				t.Helper()
				b.checkA11y(axeJS, state)
				if shot {
					b.shoot(state + "-" + lang)
				}
			}
			b.colorScheme("light")
			b.do(chromedp.Navigate(srv.url+q), visible("#signed-out"))
			if got := run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
				t.Fatalf("html lang %q, want %q", got, lang)
			}
			check("signin", true)
			b.do(click("#recovery-card summary"), visible("#recovery-form"))
			check("recovery", false)
			b.do(keys("#recovery-username", "nobody-"+lang), keys("#recovery-code", "AAAA-BBBB-CCCC-DDDD"), click("#recovery-button"), visible("#recovery-code-error"))
			check("recovery-error", false)
			b.colorScheme("dark")
			check("recovery-error-dark", false)
			b.colorScheme("light")
			b.do(chromedp.Navigate(srv.url+q+"&nowebauthn"), visible("#unsupported"))
			check("no-webauthn", false)

			// A passkey account: sign-up shows the naming panel and the recovery codes.
			b.do(chromedp.Navigate(srv.url+q), visible("#signed-out"),
				keys("#signup-username", "pk-"+strings.ToLower(lang)), keys("#signup-displayname", "Ada"),
				click("#signup-button"), visible("#name-panel"), visible("#codes-panel"), visible("#passkey-list li"))
			check("new-passkey", true)
			b.do(click("#name-save-button"), chromedp.WaitNotVisible(css("#name-panel")), click("#codes-done-button"),
				chromedp.WaitNotVisible(css("#codes-panel")), visible("#session-list li"))
			check("account-passkey", false)
			b.colorScheme("dark")
			check("account-passkey-dark", false)
			b.colorScheme("light")
			b.do(click("#passkey-list li:first-child .rename"), visible("#passkey-list .rename-form input"))
			check("rename", false)
			b.do(click("#signout-button"), visible("#signed-out"))

			// A password account with a second session elsewhere (made without this
			// browser's cookie jar): the account page lists both, with a revoke button.
			user := "pw-" + strings.ToLower(lang)
			if st := run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password/signup", {method: "POST", headers: {"Content-Type": "application/json"},
				body: JSON.stringify({username: %q, password: %q})}).then(r => r.status)`, user, pass), chromedp.EvalAwaitPromise)); st != 201 {
				t.Fatalf("password sign-up: %d", st)
			}
			if st := run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password/login", {method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
				body: JSON.stringify({username: %q, password: %q})}).then(r => r.status)`, user, pass), chromedp.EvalAwaitPromise)); st != 200 {
				t.Fatalf("second password sign-in: %d", st)
			}
			b.do(chromedp.Navigate(srv.url+q), visible("#signed-in"), visible("#session-list li .revoke"), visible("#revoke-others-button"))
			check("account", true)
			b.do(click("#password-set-button"), visible("#password-change-form"))
			check("password-change", false)
			b.do(click("#password-cancel-button"), chromedp.WaitNotVisible(css("#password-change-form")))

			// Past the re-authentication window, setting up TOTP asks for the password first.
			time.Sleep(1200 * time.Millisecond)
			b.do(click("#totp-setup-button"), visible("#reauth-form"))
			check("reauth", true)
			b.do(keys("#reauth-password", pass), click("#reauth-button"), visible("#totp-form"), visible("#totp-secret"))
			check("totp-setup", true)
			secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b.text("#totp-secret"))
			if err != nil {
				t.Fatal(err)
			}
			b.do(keys("#totp-code", account.TOTPCode(secret, time.Now())), click("#totp-confirm-button"))
			b.reauthUntil("#codes-panel", pass)
			check("codes", false)
			b.do(click("#codes-done-button"), click("#signout-button"), visible("#signed-out"))

			// Identifier first: the password step, a wrong password, the second factor.
			b.do(keys("#signin-username", user), click("#signin-continue"), visible("#password-form"))
			check("password", true)
			b.do(keys("#password-password", "not the passphrase"), click("#password-button"), visible("#password-password-error"))
			check("password-error", false)
			b.colorScheme("dark")
			check("password-error-dark", false)
			b.colorScheme("light")
			b.do(clearInput("#password-password"), keys("#password-password", pass), click("#password-button"), visible("#mfa-form"))
			check("mfa", true)
			b.do(keys("#mfa-code", "000000"), click("#mfa-button"), visible("#mfa-code-error"))
			check("mfa-error", false)
			b.do(click("#mfa-cancel-button"), visible("#signin-form"))

			// A password account without a second factor is offered a passkey.
			up := "up-" + strings.ToLower(lang)
			run(b, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/api/v1/password/signup", {method: "POST", headers: {"Content-Type": "application/json"},
				body: JSON.stringify({username: %q, password: %q})}).then(r => r.status)`, up, pass), chromedp.EvalAwaitPromise))
			b.do(chromedp.Navigate(srv.url+q), visible("#signed-in"), click("#signout-button"), visible("#signed-out"))
			b.do(passwordSignIn(up, pass)...)
			b.do(visible("#upgrade-panel"))
			check("upgrade", false)
			b.do(click("#upgrade-later-button"), click("#signout-button"), visible("#signed-out"))
		})
	}
}
