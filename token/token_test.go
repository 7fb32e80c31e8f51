package token_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/keyring"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/token"
)

var ctx = context.Background()

// clock is a settable time shared by issuers, like instances sharing wall time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newIssuer(t testing.TB, store passkeyd.SigningKeyStore, c *clock, mod ...func(*token.Config)) *token.Issuer {
	t.Helper()
	cfg := token.Config{Keys: store, Rotation: time.Hour, Lifetime: 5 * time.Minute, Issuer: "https://id.example.com", Audience: []string{"apps"}, Now: c.Now}
	for _, f := range mod {
		f(&cfg)
	}
	i, err := token.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

var (
	alice   = &passkeyd.User{ID: "user-1", Username: "alice"}
	session = func(c *clock) *passkeyd.Session {
		return &passkeyd.Session{ID: "sess-1", UserID: alice.ID, Method: passkeyd.MethodPasskey, UserVerified: true,
			AuthenticatedAt: c.Now().Add(-time.Minute), ExpiresAt: c.Now().Add(24 * time.Hour)}
	}
)

func jwks(t testing.TB, i *token.Issuer) jose.JSONWebKeySet {
	t.Helper()
	j, err := i.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(j.Body, &set); err != nil {
		t.Fatal(err)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// verify checks tok against set as a downstream service would.
func verify(t testing.TB, tok string, set jose.JSONWebKeySet, at time.Time) (map[string]any, string) {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	kid := parsed.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %s is not in the JWKS %v", kid, kids(set))
	}
	var std jwt.Claims
	all := map[string]any{}
	if err := parsed.Claims(keys[0].Key, &std, &all); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: "https://id.example.com", AnyAudience: jwt.Audience{"apps"}, Time: at}, 0); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return all, kid
}

func TestAccessTokenClaims(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c)
	sess := session(c)
	at, err := i.AccessToken(ctx, sess, alice)
	if err != nil {
		t.Fatal(err)
	}
	if at.ExpiresIn != 5*time.Minute {
		t.Fatalf("expiresIn %v", at.ExpiresIn)
	}
	claims, _ := verify(t, at.Token, jwks(t, i), c.Now())
	now := float64(c.Now().Unix())
	want := map[string]any{
		"iss": "https://id.example.com", "sub": "user-1", "aud": "apps", "iat": now, "nbf": now, "exp": now + 300,
		"sid": "sess-1", "auth_time": now - 60, "amr": []any{"hwk", "user"}, "preferred_username": "alice",
	}
	for k, v := range want {
		got, _ := json.Marshal(claims[k])
		exp, _ := json.Marshal(v)
		if !bytes.Equal(got, exp) {
			t.Errorf("claim %s = %s, want %s", k, got, exp)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti %q", claims["jti"])
	}
	at2, _ := i.AccessToken(ctx, sess, alice)
	if at2.Claims.ID == at.Claims.ID {
		t.Error("two tokens share a jti")
	}
	// A session ending within the lifetime bounds the token.
	sess.ExpiresAt = c.Now().Add(time.Minute)
	if at, _ := i.AccessToken(ctx, sess, alice); at.ExpiresIn != time.Minute {
		t.Errorf("token outlives its session: %v", at.ExpiresIn)
	}
}

func TestAMR(t *testing.T) {
	for _, tc := range []struct {
		s    passkeyd.Session
		want []string
	}{
		{passkeyd.Session{AMR: []string{"hwk", "user"}, Method: passkeyd.MethodPassword}, []string{"hwk", "user"}},
		{passkeyd.Session{Method: passkeyd.MethodPasskey, UserVerified: true}, []string{"hwk", "user"}},
		{passkeyd.Session{Method: passkeyd.MethodPasskey}, []string{"hwk"}},
		{passkeyd.Session{Method: passkeyd.MethodPassword}, []string{"pwd"}},
		{passkeyd.Session{Method: passkeyd.MethodMFA}, []string{"pwd", "mfa"}},
		{passkeyd.Session{Method: passkeyd.MethodRecoveryCode}, []string{"otp"}},
	} {
		if got := token.AMR(&tc.s); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestRotation walks through three periods: the next key is in the JWKS a period before it
// signs, the previous stays until its last token has expired, and every token verifies
// against the set published when it was issued and for its whole life.
func TestRotation(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	store := memory.NewStore()
	i := newIssuer(t, store, c)
	var seenBefore []string // kids published before the current period began
	prevKid := ""
	for period := 0; period < 3; period++ {
		set := jwks(t, i)
		at, err := i.AccessToken(ctx, session(c), alice)
		if err != nil {
			t.Fatal(err)
		}
		_, kid := verify(t, at.Token, set, c.Now())
		if period > 0 {
			if kid == prevKid {
				t.Fatalf("period %d still signs with the previous key", period)
			}
			if !slices.Contains(seenBefore, kid) {
				t.Fatalf("period %d signs with %s, not published in the period before (%v)", period, kid, seenBefore)
			}
			if !slices.Contains(kids(set), prevKid) {
				t.Fatalf("previous key %s left the JWKS while its tokens live", prevKid)
			}
		}
		if n := len(set.Keys); n < 2 || n > 3 {
			t.Fatalf("period %d: %d keys published: %v", period, n, kids(set))
		}
		// The token verifies until it expires, also after the boundary.
		c.Advance(59 * time.Minute)
		lastTok, err := i.AccessToken(ctx, session(c), alice) // signed a minute before rotation
		if err != nil {
			t.Fatal(err)
		}
		seenBefore = kids(jwks(t, i))
		c.Advance(time.Minute + 4*time.Minute)
		verify(t, lastTok.Token, jwks(t, i), c.Now())
		c.Advance(-4 * time.Minute)
		prevKid = kid
	}
	// Once every token of a key has expired (plus leeway), it leaves the set and the store.
	c.Advance(time.Hour + 5*time.Minute + token.Leeway + time.Second)
	if got := kids(jwks(t, i)); slices.Contains(got, prevKid) {
		t.Fatalf("expired key %s still published: %v", prevKid, got)
	}
}

// TestInstancesAgree: two issuers over one store (two instances) publish the same set and
// sign with the same key in every period, although each creates keys on its own.
func TestInstancesAgree(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	store := memory.NewStore()
	a, b := newIssuer(t, store, c), newIssuer(t, store, c)
	for range 3 {
		ja, _ := a.JWKS(ctx)
		jb, _ := b.JWKS(ctx)
		if !bytes.Equal(ja.Body, jb.Body) || ja.ETag != jb.ETag {
			t.Fatalf("instances publish different sets:\n%s\n%s", ja.Body, jb.Body)
		}
		ta, _ := a.AccessToken(ctx, session(c), alice)
		tb, _ := b.AccessToken(ctx, session(c), alice)
		_, ka := verify(t, ta.Token, jwks(t, b), c.Now())
		_, kb := verify(t, tb.Token, jwks(t, a), c.Now())
		if ka != kb {
			t.Fatalf("instances sign one period with different keys: %s, %s", ka, kb)
		}
		c.Advance(time.Hour)
	}
}

func TestPrivateKeysSealed(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	store := memory.NewStore()
	kr, _ := keyring.New(bytes.Repeat([]byte{7}, 32))
	i := newIssuer(t, store, c, func(cfg *token.Config) { cfg.Keyring = kr })
	keys, _ := store.SigningKeys(ctx, c.Now())
	for _, k := range keys {
		if !keyring.Sealed(k.PrivateKey) {
			t.Fatalf("private key %s stored in the clear", k.ID)
		}
	}
	if _, err := i.AccessToken(ctx, session(c), alice); err != nil {
		t.Fatal(err)
	}
	// An instance without the encryption key refuses to start rather than fail later.
	_, err := token.New(ctx, token.Config{Keys: store, Rotation: time.Hour, Issuer: "x", Now: c.Now})
	if err == nil || !errors.Is(err, keyring.ErrNoKey) && !bytes.Contains([]byte(err.Error()), []byte("not configured")) {
		t.Fatalf("instance without the encryption key: %v", err)
	}
}

func TestEdDSA(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.Algorithm = token.EdDSA })
	at, err := i.AccessToken(ctx, session(c), alice)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := jwt.ParseSigned(at.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	if parsed == nil || parsed.Headers[0].Algorithm != "EdDSA" {
		t.Fatalf("not EdDSA: %v", at.Token)
	}
	verify(t, at.Token, jwks(t, i), c.Now())
}

func TestJWKSCaching(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.Rotation = 24 * time.Hour })
	j, _ := i.JWKS(ctx)
	if j.CacheControl() != "public, max-age=900, must-revalidate" || j.ETag == "" {
		t.Fatalf("cache headers %q %q", j.CacheControl(), j.ETag)
	}
	for _, k := range jwks(t, i).Keys {
		if !k.IsPublic() || k.Use != "sig" || k.Algorithm != "ES256" {
			t.Fatalf("published key %+v", k)
		}
	}
	if bytes.Contains(j.Body, []byte(`"d"`)) {
		t.Fatal("private key material in the JWKS")
	}
}
