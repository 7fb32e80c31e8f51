package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

// TestMetricsCountCeremonies: after a scripted mix of good and bad ceremonies, /metrics
// shows the expected counts with bounded labels.
func TestMetricsCountCeremonies(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "alice")
	for i := 0; i < 2; i++ {
		expectStatus(t, e.browser().login(a, ""), 200)
	}
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	bad, _ := a.LoginWith(opts.body, softauthn.Tamper{Origin: "https://evil.example"})
	c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(bad)})

	// A registration whose packed attestation does not verify.
	ro := e.browser().post("/api/v1/registration/options", map[string]string{"username": "mallory"})
	badReg, _ := softauthn.MustNew(softauthn.Options{Attestation: softauthn.AttestationPackedSelf}).RegisterWith(ro.body, softauthn.Tamper{CorruptAttestation: true})
	e.browser().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(badReg)})

	body := string(e.app().do("GET", "/metrics", nil).body)
	for _, want := range []string{
		`passkeyd_ceremonies_total{ceremony="registration",code="",outcome="success"} 1`,
		`passkeyd_ceremonies_total{ceremony="authentication",code="",outcome="success"} 2`,
		`passkeyd_ceremonies_total{ceremony="authentication",code="origin_mismatch",outcome="failure"} 1`,
		`passkeyd_http_requests_total{route="POST /api/v1/authentication/verify",status="200"} 2`,
		`passkeyd_account_events_total{method="passkey",outcome="success",type="sign_in"} 2`,
		`passkeyd_account_events_total{method="passkey",outcome="failure",type="sign_in_failed"} 1`,
		`passkeyd_attestation_failures_total{format="packed"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics miss %s in\n%s", want, grepLines(body, "passkeyd_"))
		}
	}
	if strings.Contains(body, "alice") || strings.Contains(body, b64(a.Credentials()[0].ID)) {
		t.Fatal("metrics carry a username or credential id")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") && !strings.Contains(l, "_bucket") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
