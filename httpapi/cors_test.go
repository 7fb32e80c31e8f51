package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

func TestCORS(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.cors = []string{"https://app.example"} })
	token := field(e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "cora"), "session", "token").(string)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/api/v1/passkeys", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	r := preflight("https://app.example")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || r.Header.Get("Access-Control-Allow-Credentials") != "" ||
		r.Header.Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("allowed preflight: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin got CORS headers: %v", r.Header)
	}
	// The actual request, with a Bearer token.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/passkeys", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("CORS request: %d %v", resp.StatusCode, resp.Header)
	}
}
