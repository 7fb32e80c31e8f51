package main

import (
	"testing"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/config"
)

// TestSignInCacheDefault: the configuration's default size is the account service's (config
// cannot import account, so the number is written in both), and the configuration's 0
// (off) reaches the service as off, not as its default.
func TestSignInCacheDefault(t *testing.T) {
	if got := config.Default().SignInCache; got != account.DefaultSignInCache {
		t.Fatalf("config default %d, account.DefaultSignInCache %d", got, account.DefaultSignInCache)
	}
	if got := signInCacheSize(0); got >= 0 {
		t.Fatalf("signInCache 0 reaches the service as %d: not off", got)
	}
	if got := signInCacheSize(500); got != 500 {
		t.Fatalf("signInCache 500 reaches the service as %d", got)
	}
}
