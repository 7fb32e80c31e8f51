package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/softauthn"
)

// downStore is a store whose database went away after sign-up.
type downStore struct {
	*memory.Store
	down bool
}

func (s *downStore) Passkey(ctx context.Context, id []byte) (*passkeyd.Passkey, error) {
	if s.down {
		return nil, passkeyd.ErrUnavailable
	}
	return s.Store.Passkey(ctx, id)
}

func (s *downStore) UserByUsername(ctx context.Context, key string) (*passkeyd.User, error) {
	if s.down {
		return nil, &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "connection refused"}
	}
	return s.Store.UserByUsername(ctx, key)
}

// TestUnavailableStoreIs503: a backing store that cannot answer gives 503 unavailable with
// Retry-After — never a 500, and never a wrong verdict.
func TestUnavailableStoreIs503(t *testing.T) {
	db := &downStore{Store: memory.NewStore()}
	e := newEnv(t, func(o *envOptions) { o.db = db })
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	c := e.browser()
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	cred, _ := a.Login(opts.body)
	db.down = true
	r := c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)})
	expectProblem(t, r, 503, passkeyd.CodeUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	expectProblem(t, c.post("/api/v1/registration/options", map[string]string{"username": "bob"}), 503, passkeyd.CodeUnavailable)
	expectProblem(t, c.post("/api/v1/authentication/options", map[string]string{"username": "alice"}), 503, passkeyd.CodeUnavailable)
}
