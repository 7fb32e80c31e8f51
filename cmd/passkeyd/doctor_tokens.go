package main

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd/config"
)

// checkTokens reviews what the apps behind passkeyd rely on: the issuer and audience they
// check, how keys rotate, and which hosts receive the session cookie.
func (d *doctorReport) checkTokens(cfg *config.Config) {
	t := cfg.Tokens
	iss, aud := cfg.TokenIssuer(), cfg.TokenAudience()
	d.ok("tokens", "issuer %s, audience %s, %s keys rotating every %v, tokens valid %v", iss, strings.Join(aud, ","), t.SigningAlgorithm, t.SigningKeyRotation, t.Lifetime)
	if t.Issuer == "" && len(cfg.WebOrigins()) > 1 {
		d.warn("issuer", "set issuer (PASSKEYD_ISSUER) so that reordering origins cannot change the iss the apps check",
			"the issuer is the first of %d origins", len(cfg.WebOrigins()))
	}
	if u, err := url.Parse(iss); err == nil && u.Scheme != "https" {
		d.warn("issuer", "use an https issuer before going live", "issuer %s is not https", iss)
	}
	if len(t.Audience) == 0 {
		d.warn("audience", "set tokenAudience (PASSKEYD_TOKEN_AUDIENCE) to the name your apps check in aud",
			"the audience defaults to the issuer, so a token meant for one app is accepted by any other that checks only that")
	}
	if slices.Contains(aud, "") {
		d.fail("audience", "remove the empty item from tokenAudience", "an audience is empty")
	}
	if t.SigningKeyRotation < time.Hour {
		d.warn("rotation", "use 24h (the default) outside tests: verifiers must fetch the JWKS faster than keys rotate",
			"signing keys rotate every %v", t.SigningKeyRotation)
	}
	if kr, _ := cfg.Keyring(); !kr.Enabled() {
		d.warn("signing-keys", "set encryptionKeys (PASSKEYD_ENCRYPTION_KEYS) to a key from `openssl rand -base64 32`", "private signing keys are stored in the database unencrypted")
	} else {
		d.ok("signing-keys", "private signing keys are sealed with the encryption keys")
	}
	if t.CookieDomain == "" {
		d.ok("cookie", "the session cookie is host-only")
		return
	}
	d.ok("cookie", "the session cookie is sent to %s and every host under it", t.CookieDomain)
	d.warn("cookie", "run only trusted apps under "+t.CookieDomain+", and have the proxy drop the passkeyd_session cookie before the app if it can",
		"every app under %s receives the session cookie (a bearer credential) with each request", t.CookieDomain)
	if t.LoginURL == "" {
		d.ok("forward-auth", "browsers without a session are redirected only when the proxy passes ?rd=")
	}
}
