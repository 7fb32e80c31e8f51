package trust_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/trust"
)

// rules is a run-time rule table that counts its reads.
type rules struct {
	mu    sync.Mutex
	rs    []*passkeyd.AAGUIDRule
	reads int
	err   error
}

func (r *rules) AAGUIDRules(context.Context) ([]*passkeyd.AAGUIDRule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	return r.rs, r.err
}

func (r *rules) set(rs ...*passkeyd.AAGUIDRule) {
	r.mu.Lock()
	r.rs = rs
	r.mu.Unlock()
}

func rt(id uuid.UUID, list passkeyd.AAGUIDList) *passkeyd.AAGUIDRule {
	return &passkeyd.AAGUIDRule{AAGUID: id, List: list}
}

func refusedBy(err error) string {
	var r *trust.Refusal
	if errors.As(err, &r) {
		return r.Rule
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

func TestMergeDenyWins(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	for _, tc := range []struct {
		name       string
		configured trust.AAGUIDList
		rules      []*passkeyd.AAGUIDRule
		check      uuid.UUID
		want       string
	}{
		{"nothing listed", trust.AAGUIDList{}, nil, a, ""},
		{"run-time deny", trust.AAGUIDList{}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDDeny)}, a, "aaguid_denied"},
		{"run-time deny of a configured allow", trust.AAGUIDList{Allow: []uuid.UUID{a}}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDDeny)}, a, "aaguid_denied"},
		{"run-time allow of a configured deny", trust.AAGUIDList{Deny: []uuid.UUID{a}}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDAllow)}, a, "aaguid_denied"},
		{"run-time allow adds to the configured allow list", trust.AAGUIDList{Allow: []uuid.UUID{b}}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDAllow)}, a, ""},
		{"configured allow still holds", trust.AAGUIDList{Allow: []uuid.UUID{b}}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDAllow)}, b, ""},
		{"a run-time allow turns the allow list on", trust.AAGUIDList{}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDAllow)}, c, "aaguid_not_allowed"},
		{"run-time deny adds to the configured deny list", trust.AAGUIDList{Deny: []uuid.UUID{b}}, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDDeny)}, b, "aaguid_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refusedBy(trust.Merge(tc.configured, tc.rules).Check(tc.check)); got != tc.want {
				t.Fatalf("refused by %q, want %q", got, tc.want)
			}
		})
	}
	// Merge never writes into the configured lists.
	conf := trust.AAGUIDList{Deny: make([]uuid.UUID, 1, 8)}
	trust.Merge(conf, []*passkeyd.AAGUIDRule{rt(a, passkeyd.AAGUIDDeny)})
	if conf.Deny[:2][1] == a {
		t.Fatal("Merge appended into the configured deny list's array")
	}
}

func TestAAGUIDPolicyRefresh(t *testing.T) {
	ctx := context.Background()
	model := uuid.New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &rules{}
	p := &trust.AAGUIDPolicy{Rules: src, Now: func() time.Time { return now }}

	if err := p.Check(ctx, model); err != nil {
		t.Fatal(err)
	}
	// Another instance denies the model: this copy is used until it is DefaultAAGUIDRefresh old.
	src.set(rt(model, passkeyd.AAGUIDDeny))
	now = now.Add(trust.DefaultAAGUIDRefresh - time.Millisecond)
	if err := p.Check(ctx, model); err != nil || src.reads != 1 {
		t.Fatalf("within the refresh: %v after %d reads", err, src.reads)
	}
	now = now.Add(time.Millisecond)
	if got := refusedBy(p.Check(ctx, model)); got != "aaguid_denied" || src.reads != 2 {
		t.Fatalf("after the refresh: %q after %d reads", got, src.reads)
	}
	// This instance's own change applies at once.
	src.set()
	p.Invalidate()
	if err := p.Check(ctx, model); err != nil || src.reads != 3 {
		t.Fatalf("after Invalidate: %v after %d reads", err, src.reads)
	}
	// A clock that went backwards reads again rather than trusting the copy for longer.
	now = now.Add(-time.Hour)
	_ = p.Check(ctx, model)
	if src.reads != 4 {
		t.Fatalf("clock went back: %d reads", src.reads)
	}
	// Rules that cannot be read refuse, as the store's error, never as "allowed".
	src.err = passkeyd.ErrUnavailable
	p.Invalidate()
	if err := p.Check(ctx, model); !errors.Is(err, passkeyd.ErrUnavailable) {
		t.Fatalf("unreadable rules: %v", err)
	}
}
