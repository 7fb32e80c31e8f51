package trust

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
)

// DefaultAAGUIDRefresh is how old an instance's copy of the run-time AAGUID rules may be
// before a registration reads them again: a rule changed on one instance is in force on
// every other within this time (at once on the instance that changed it).
const DefaultAAGUIDRefresh = 5 * time.Second

// AAGUIDRuleReader reads the run-time rules (passkeyd.AAGUIDStore).
type AAGUIDRuleReader interface {
	AAGUIDRules(ctx context.Context) ([]*passkeyd.AAGUIDRule, error)
}

// AAGUIDPolicy is the effective AAGUID policy of a server: the lists of the configuration
// plus the operator's run-time rules, which live in the database shared by every instance
// and are cached here for Refresh. Its zero Configured and a nil Rules allow every model.
type AAGUIDPolicy struct {
	Configured AAGUIDList
	Rules      AAGUIDRuleReader
	// Refresh is how long a copy of the rules is used; zero means DefaultAAGUIDRefresh.
	Refresh time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	list   AAGUIDList
	loaded time.Time // zero: never, or invalidated
}

// Merge is the effective list of the configured one and the run-time rules: each run-time
// list adds to its configured one. A deny always wins (AAGUIDList.Check looks at the deny
// list first), so a model denied in either place is refused whatever allows it; and the
// first allow entry, in either place, turns the allow list on: from then only listed models
// register.
func Merge(configured AAGUIDList, rules []*passkeyd.AAGUIDRule) AAGUIDList {
	out := AAGUIDList{Allow: append([]uuid.UUID(nil), configured.Allow...), Deny: append([]uuid.UUID(nil), configured.Deny...)}
	for _, r := range rules {
		switch r.List {
		case passkeyd.AAGUIDAllow:
			out.Allow = append(out.Allow, uuid.UUID(r.AAGUID))
		case passkeyd.AAGUIDDeny:
			out.Deny = append(out.Deny, uuid.UUID(r.AAGUID))
		}
	}
	return out
}

// Effective returns the effective lists, reading the run-time rules again when this copy
// is older than Refresh. Rules that cannot be read are an error, not an empty list: a deny
// that might not be in force must not let its model register.
func (p *AAGUIDPolicy) Effective(ctx context.Context) (AAGUIDList, error) {
	if p.Rules == nil {
		return p.Configured, nil
	}
	now := p.now()
	refresh := p.RefreshInterval()
	// One reader at a time: the others wait for its copy instead of all reading at once.
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loaded.IsZero() && now.Sub(p.loaded) < refresh && !now.Before(p.loaded) {
		return p.list, nil
	}
	rules, err := p.Rules.AAGUIDRules(ctx)
	if err != nil {
		return AAGUIDList{}, fmt.Errorf("read the run-time AAGUID rules: %w", err)
	}
	p.list, p.loaded = Merge(p.Configured, rules), now
	return p.list, nil
}

// Check refuses a model by the effective lists (see AAGUIDList.Check).
func (p *AAGUIDPolicy) Check(ctx context.Context, aaguid uuid.UUID) error {
	l, err := p.Effective(ctx)
	if err != nil {
		return err
	}
	return l.Check(aaguid)
}

// Invalidate makes the next Effective read the rules again: this instance has just
// changed them.
func (p *AAGUIDPolicy) Invalidate() {
	p.mu.Lock()
	p.loaded = time.Time{}
	p.mu.Unlock()
}

// RefreshInterval is the effective Refresh.
func (p *AAGUIDPolicy) RefreshInterval() time.Duration {
	if p.Refresh <= 0 {
		return DefaultAAGUIDRefresh
	}
	return p.Refresh
}

func (p *AAGUIDPolicy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
