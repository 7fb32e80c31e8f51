package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCrossOriginBearer: an app on another origin ships the SDK package's module
// itself (as a bundler would), points it at passkeyd with baseURL and Bearer mode, and signs
// up, signs out and signs in with a passkey across origins: no cookie is involved, the
// session travels as a Bearer token, and CORS lets exactly that origin call the API.
func TestBrowserCrossOriginBearer(t *testing.T) {
	sdk, err := os.ReadFile(filepath.Join(moduleRoot(), "web", "sdk", "passkeyd.js"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, appPort, _ := net.SplitHostPort(ln.Addr().String())
	// Two hosts under one RP ID (Chromium resolves *.localhost to this machine): the app's
	// origin is allowed for ceremonies and for CORS, and is not passkeyd's.
	appOrigin := "http://app.passkeyd.localhost:" + appPort
	srv := startServer(t, "PASSKEYD_RP_ID=passkeyd.localhost", "PASSKEYD_ORIGINS=http://login.passkeyd.localhost:{port},"+appOrigin, "PASSKEYD_CORS_ORIGINS="+appOrigin)
	_, loginPort, _ := net.SplitHostPort(strings.TrimPrefix(srv.url, "http://"))
	api := "http://login.passkeyd.localhost:" + loginPort

	page := fmt.Sprintf(`<!doctype html><html lang="en"><title>app</title><p id="out">loading</p>
<script type="module">
import { Passkeyd } from "/sdk/passkeyd.js";
let token = null;
const pk = new Passkeyd({ baseURL: %q, auth: "bearer", onToken: (t) => { token = t; } });
window.flow = async () => {
  const up = await pk.signUp("crossie", "Cross Origin");
  const first = token;
  const who = await pk.session();
  await pk.signOut();
  const gone = await pk.session();
  const back = await pk.signIn({ username: "crossie" });
  const again = await pk.session();
  return JSON.stringify({ created: up.user.username, hadToken: !!first, who: who && who.user.username,
    afterSignOut: gone, signedIn: back.user.username, newSession: again && again.session.id !== who.session.id,
    cookies: document.cookie });
};
document.getElementById("out").textContent = "ready";
</script>`, api)
	app := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sdk/passkeyd.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(sdk)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(page))
		}
	}))
	app.Listener.Close()
	app.Listener = ln
	app.Start()
	t.Cleanup(app.Close)

	b := newBrowser(t)
	b.do(chromedp.Navigate(appOrigin+"/"), chromedp.WaitVisible(css("#out")))
	run(b, chromedp.Poll[bool](`document.getElementById("out").textContent === "ready"`))
	got := run(b, chromedp.Evaluate[string](`window.flow()`, chromedp.EvalAwaitPromise))
	for _, want := range []string{`"created":"crossie"`, `"hadToken":true`, `"who":"crossie"`, `"afterSignOut":null`, `"signedIn":"crossie"`, `"newSession":true`, `"cookies":""`} {
		if !strings.Contains(got, want) {
			t.Fatalf("cross-origin Bearer flow: %s (want %s)", got, want)
		}
	}
}
