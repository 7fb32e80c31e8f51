package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// shoot saves a screenshot of the page's current state under PASSKEYD_SCREENSHOTS (the
// README's pictures are made this way), when that is set.
func (b *browser) shoot(name string) {
	dir := os.Getenv("PASSKEYD_SCREENSHOTS")
	if dir == "" {
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), run(b, chromedp.FullScreenshot(100)), 0o644)
}

// TestBrowserThai: a browser whose first language is Thai gets the page in Thai (every
// string from the table), signs up, names its passkey, and sees Thai errors next to the
// field; the switcher turns the page to Traditional Chinese and Vietnamese.
func TestBrowserThai(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	b.withoutAutofill()
	b.onNewDocument(`Object.defineProperty(navigator, "languages", { get: () => ["th-TH", "th", "en"] });`)
	b.do(chromedp.Navigate(srv.url+"/"), visible("#signed-out"))
	if lang := run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "th" {
		t.Fatalf("html lang %q for a Thai browser", lang)
	}
	if s := b.text("#signin-title"); s != "ลงชื่อเข้าใช้" {
		t.Fatalf("sign-in title %q", s)
	}
	// An error next to the field, in Thai: the username is taken.
	b.do(keys("#signup-username", "somchai"), click("#signup-button"), visible("#signed-in"), visible("#name-panel"))
	if v := run(b, chromedp.Evaluate[string](`document.getElementById("name-input").value`)); v == "" {
		t.Fatal("no suggested name for the new passkey")
	}
	run(b, chromedp.Evaluate[bool](`document.getElementById("name-input").value = "", true`))
	b.do(keys("#name-input", "โน้ตบุ๊ก"), click("#name-save-button"), chromedp.WaitNotVisible(css("#name-panel")))
	run(b, chromedp.Poll[bool](`document.querySelector("#passkey-list .passkey-name")?.textContent === "โน้ตบุ๊ก"`))
	b.do(click("#codes-done-button"))
	b.do(click("#signout-button"), visible("#signed-out"), keys("#signup-username", "somchai"), click("#signup-button"), visible("#signup-username-error"))
	if c, msg := b.errorCode(), b.text("#signup-username-error"); c != "username_taken" || !strings.Contains(msg, "ชื่อผู้ใช้นี้ถูกใช้แล้ว") {
		t.Fatalf("taken username: %q %q", c, msg)
	}
	if a := run(b, chromedp.Evaluate[string](`document.getElementById("signup-username").getAttribute("aria-invalid") + " " + document.activeElement.id`)); a != "true signup-username" {
		t.Fatalf("aria-invalid and focus: %q", a)
	}
	for lang, want := range map[string]string{"zh-Hant": "登入", "vi": "Đăng nhập"} {
		run(b, chromedp.Evaluate[bool](`(s => (s.value = "`+lang+`", s.dispatchEvent(new Event("change")), true))(document.getElementById("lang-select"))`))
		run(b, chromedp.Poll[bool](`document.documentElement.lang === "`+lang+`"`))
		if s := b.text("#signin-title"); s != want {
			t.Fatalf("%s: sign-in title %q", lang, s)
		}
	}
}

// TestBrowserWithoutWebAuthn: in a browser without WebAuthn the passkey buttons are hidden,
// nothing else is disabled, and the password and TOTP steps work (English).
func TestBrowserWithoutWebAuthn(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	b.onNewDocument(`delete window.PublicKeyCredential;`)
	b.do(chromedp.Navigate(srv.url+"/"), visible("#signed-out"), visible("#unsupported"))
	if n := b.count("button:disabled"); n != 0 {
		t.Fatalf("%d buttons disabled without WebAuthn", n)
	}
	if n := run(b, chromedp.Evaluate[int](`[...document.querySelectorAll("button.webauthn")].filter(e => !e.hidden).length`)); n != 0 {
		t.Fatalf("%d passkey buttons still shown", n)
	}
	b.shoot("no-webauthn-en")
	run(b, chromedp.Evaluate[int](`fetch("/api/v1/password/signup", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({username: "nora", password: "a perfectly fine passphrase"})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	b.do(chromedp.Navigate(srv.url+"/"), visible("#signed-in"), click("#signout-button"), visible("#signed-out"))
	b.do(passwordSignIn("nora", "a perfectly fine passphrase")...)
	b.do(visible("#signed-in"))
	if m := b.sessionMethod(); m != "password" {
		t.Fatalf("signed in with %q", m)
	}
	if b.count("#upgrade-panel:not([hidden])") != 0 {
		t.Fatal("a browser without WebAuthn was offered a passkey")
	}
	b.do(visible("#totp-setup-button"))
	if s := b.text("#password-state"); !strings.Contains(s, "You can sign in with a password") {
		t.Fatalf("password state %q", s)
	}
}
