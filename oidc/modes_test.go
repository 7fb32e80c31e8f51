package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestFormPostRefused: discovery names query as the only response mode, and
// response_mode=form_post (or any other) is refused with invalid_request in the query,
// before any sign-in or code.
func TestFormPostRefused(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Modes []string `json:"response_modes_supported"`
		ACR   []string `json:"acr_values_supported"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if !slices.Equal(d.Modes, []string{"query"}) || !slices.Contains(d.ACR, "phr") {
		t.Fatalf("response_modes_supported %v, acr_values_supported %v", d.Modes, d.ACR)
	}
	b := h.browser()
	b.signUp("alice")
	for _, mode := range []string{"form_post", "fragment", "query.jwt"} {
		end, resp := b.follow(h.authorizeURL(map[string]string{"client_id": "conf", "response_mode": mode, "state": "s-" + mode}))
		got := end.Query()
		if mode == "fragment" { // the library answers a fragment request's error there
			got, _ = url.ParseQuery(end.Fragment)
		}
		if end.Path != "/cb" || got.Get("error") != "invalid_request" || got.Get("code") != "" || end.Query().Get("code") != "" ||
			!strings.Contains(got.Get("error_description"), "response_mode") || got.Get("state") != "s-"+mode {
			t.Errorf("response_mode=%s: ended at %s (%d)", mode, end, resp.StatusCode)
		}
	}
	// query, said explicitly, works.
	if c := b.code(map[string]string{"client_id": "conf", "response_mode": "query"}); c == "" {
		t.Fatal("no code with response_mode=query")
	}
}

// TestACRValuesPHR: acr_values=phr is honoured. A passkey session gets acr phr; a password
// session is refused with unmet_authentication_requirements (with or without prompt=none);
// a list that also allows the fallback class lets the password session through.
func TestACRValuesPHR(t *testing.T) {
	h := newHarness(t, func(o *harnessOptions) { o.passwords = true })
	pk := h.browser()
	pk.signUp("alice")
	tr := h.exchange(pk.code(map[string]string{"client_id": "conf", "acr_values": "phr"}), "conf", confSecret, "")
	if got := h.verifyJWT(tr.IDToken)["acr"]; got != "phr" {
		t.Fatalf("passkey session: acr %v", got)
	}

	pw := h.browser()
	pw.api("/api/v1/password/signup", map[string]string{"username": "bob", "password": "correct horse battery"})
	for _, extra := range []map[string]string{{}, {"prompt": "none"}} {
		params := map[string]string{"client_id": "conf", "acr_values": "phr", "state": "st-phr"}
		for k, v := range extra {
			params[k] = v
		}
		end, _ := pw.follow(h.authorizeURL(params))
		if end.Path != "/cb" || end.Query().Get("error") != "unmet_authentication_requirements" || end.Query().Get("code") != "" || end.Query().Get("state") != "st-phr" {
			t.Errorf("password session, %v: ended at %s", extra, end)
		}
	}
	// A password sign-in made for the request (no session before it) is refused too.
	anon := h.browser()
	end, _ := anon.follow(h.authorizeURL(map[string]string{"client_id": "conf", "acr_values": "phr"}))
	if end.Path != "/" {
		t.Fatalf("not sent to sign in: %s", end)
	}
	anon.api("/api/v1/password/login", map[string]string{"username": "bob", "password": "correct horse battery"})
	end, _ = anon.follow(h.issuer + "/return?rd=" + url.QueryEscape(end.Query().Get("rd")))
	if end.Query().Get("error") != "unmet_authentication_requirements" || end.Query().Get("code") != "" {
		t.Errorf("password sign-in for a phr request: %s", end)
	}
	// phr or the fallback: any sign-in, and the ID token says which.
	tr = h.exchange(pw.code(map[string]string{"client_id": "conf", "acr_values": "phr urn:passkeyd:acr:fallback"}), "conf", confSecret, "")
	if got := h.verifyJWT(tr.IDToken)["acr"]; got != "urn:passkeyd:acr:fallback" {
		t.Fatalf("password session with the fallback allowed: acr %v", got)
	}
}
