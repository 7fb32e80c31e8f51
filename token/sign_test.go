package token_test

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/token"
)

func TestSignClaimsVerifyAgainstJWKS(t *testing.T) {
	for _, alg := range []string{token.ES256, token.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			c := &clock{now: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
			i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.Algorithm = alg })
			now := c.Now().Unix()
			tok, err := i.Sign(ctx, map[string]any{"iss": "https://id.example.com", "aud": "apps", "sub": "u", "exp": now + 60, "nonce": "n-1"})
			if err != nil {
				t.Fatal(err)
			}
			claims, kid := verify(t, tok, jwks(t, i), c.Now())
			if claims["nonce"] != "n-1" {
				t.Fatalf("claims %v", claims)
			}
			k, err := i.CurrentKey(ctx)
			if err != nil || k.ID != kid || k.Algorithm != alg {
				t.Fatalf("current key %+v %v, signed with %s", k, err, kid)
			}
			// A library signing with CurrentKey produces a token the same set verifies.
			sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			own, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "https://id.example.com", Audience: jwt.Audience{"apps"}, Expiry: jwt.NewNumericDate(c.Now().Add(time.Minute))}).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			verify(t, own, jwks(t, i), c.Now())
			pubs, err := i.PublicKeys(ctx)
			if err != nil || len(pubs) != len(jwks(t, i).Keys) {
				t.Fatalf("public keys %d %v", len(pubs), err)
			}
		})
	}
}

func TestSignRefusesNonObjects(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c)
	for _, v := range []any{"a string", []int{1}, nil, func() {}} {
		if _, err := i.Sign(ctx, v); err == nil {
			t.Fatalf("signed %T", v)
		}
	}
}

func TestCurrentKeyFollowsRotation(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c)
	a, _ := i.CurrentKey(ctx)
	c.Advance(time.Hour)
	b, err := i.CurrentKey(ctx)
	if err != nil || a.ID == b.ID {
		t.Fatalf("key did not rotate: %s %s %v", a.ID, b.ID, err)
	}
}
