package token_test

import (
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/token"
)

func benchIssuer(b *testing.B, alg string) (*token.Issuer, *clock) {
	c := &clock{now: time.Now()}
	return newIssuer(b, memory.NewStore(), c, func(cfg *token.Config) { cfg.Algorithm = alg; cfg.Rotation = 24 * time.Hour; cfg.Now = time.Now }), c
}

func BenchmarkAccessTokenES256(b *testing.B) {
	i, c := benchIssuer(b, token.ES256)
	sess := session(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.AccessToken(ctx, sess, alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccessTokenEdDSA(b *testing.B) {
	i, c := benchIssuer(b, token.EdDSA)
	sess := session(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.AccessToken(ctx, sess, alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWKS(b *testing.B) {
	i, _ := benchIssuer(b, token.ES256)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.JWKS(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
