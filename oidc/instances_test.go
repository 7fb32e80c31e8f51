package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
	"github.com/passkeyd/passkeyd/redis"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func need(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") {
		t.Fatal(err)
	}
	t.Skip(err)
}

// sharedBackends returns a PostgreSQL store in a fresh schema (dropped afterwards) and a
// Redis challenge and ticket store under a random prefix.
func sharedBackends(t *testing.T) (*postgres.DB, *redis.Challenges) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(envOr("PASSKEYD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
	if err != nil {
		t.Fatal(err)
	}
	client := goredis.NewUniversalClient(opts)
	t.Cleanup(func() { client.Close() })
	need(t, client.Ping(ctx).Err())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return db, redis.New(client, "passkeyd-test:"+hex.EncodeToString(b)+":")
}

// TestTwoInstancesOneFlow: two provider instances on one PostgreSQL schema and one Redis,
// behind one origin. Authorization on A, the passkey sign-up and the callback on B, the
// code exchange on A, the refresh on B; a replay of the code on B is refused and revokes
// what A issued; and simultaneous exchanges of one code on both instances redeem it once.
func TestTwoInstancesOneFlow(t *testing.T) {
	db, rd := sharedBackends(t)
	h := newHarness(t, func(o *harnessOptions) { o.instances, o.store, o.shared = 2, db, rd })
	b := h.browser()

	h.on(0)
	u := h.authorizeURL(map[string]string{"client_id": "conf", "scope": "openid profile offline_access", "nonce": "two-instances"})
	resp, _ := b.get(u)
	login := resp.Header.Get("Location")
	if !strings.Contains(login, "/oidc/login?id=") {
		t.Fatalf("authorize on A: %d %s", resp.StatusCode, login)
	}

	h.on(1)
	page, _ := b.follow(login)
	if page.Path != "/" {
		t.Fatalf("B did not send the browser to sign in: %s", page)
	}
	b.signUp("alice")
	end, _ := b.follow(h.issuer + "/return?rd=" + url.QueryEscape(page.Query().Get("rd")))
	code := end.Query().Get("code")
	if end.Path != "/cb" || code == "" {
		t.Fatalf("callback on B: %s", end)
	}

	h.on(0)
	tr := h.exchange(code, "conf", confSecret, "")
	if tr.Status != 200 || tr.RefreshToken == "" {
		t.Fatalf("exchange on A: %+v", tr)
	}
	if id := h.verifyJWT(tr.IDToken); id["nonce"] != "two-instances" || id["acr"] != "phr" || id["preferred_username"] != "alice" {
		t.Fatalf("ID token from A: %v", id)
	}

	h.on(1)
	r1 := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "conf", confSecret)
	if r1.Status != 200 || r1.RefreshToken == "" || r1.RefreshToken == tr.RefreshToken {
		t.Fatalf("refresh on B: %+v", r1)
	}
	if !h.introspect(r1.AccessToken) {
		t.Fatal("B's access token is not active on B")
	}
	if again := h.exchange(code, "conf", confSecret, ""); again.Status != 400 || again.Error != "invalid_grant" {
		t.Fatalf("code reuse on B: %+v", again)
	}
	h.on(0)
	if h.introspect(r1.AccessToken) {
		t.Fatal("the replay on B did not revoke the grant for A")
	}
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1.RefreshToken}}, "conf", confSecret); r.Status != 400 {
		t.Fatalf("refresh after the replay, on A: %+v", r)
	}
	// The nonce is remembered across instances.
	h.on(1)
	if end, _ := b.follow(h.authorizeURL(map[string]string{"client_id": "conf", "nonce": "two-instances"})); end.Query().Get("error") != "invalid_request" {
		t.Fatalf("nonce replayed on B: %s", end)
	}
	raceCodeRedemption(t, h, h.direct)
}
