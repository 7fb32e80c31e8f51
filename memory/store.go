package memory

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Store is an in-memory passkeyd.Store for tests and experiments. Every method copies in
// and out, so callers can never alias its state.
type Store struct {
	mu       sync.RWMutex
	users    map[string]*passkeyd.User // by ID
	byName   map[string]string         // username key → ID
	byHandle map[string]string         // handle → ID
	passkeys map[string]*passkeyd.Passkey
	sessions map[string]*passkeyd.Session // by ID
	byToken  map[string]string            // token hash → session ID
	secrets  map[string][]byte
	recovery map[string][]*recoveryCode
	totp     map[string]*passkeyd.TOTP
	events   []*passkeyd.AuditEvent
	// signingKeys are few (three or four live at a time): a slice is the simplest index.
	signingKeys []*passkeyd.SigningKey
	outbox      []*outboxRow // in creation order
	oidcClients map[string]*passkeyd.OIDCClient
	grants      map[string]*oidcGrant  // by ID
	refresh     map[string]*refreshRow // by hash
	seq         map[string]uint64      // passkey id → insertion order, to break createdAt ties
	next        uint64

	aaguidRules map[[16]byte]*passkeyd.AAGUIDRule // nil until the first rule
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		users: map[string]*passkeyd.User{}, byName: map[string]string{}, byHandle: map[string]string{},
		passkeys: map[string]*passkeyd.Passkey{}, sessions: map[string]*passkeyd.Session{},
		byToken: map[string]string{}, secrets: map[string][]byte{}, seq: map[string]uint64{}, recovery: map[string][]*recoveryCode{}, totp: map[string]*passkeyd.TOTP{},
		oidcClients: map[string]*passkeyd.OIDCClient{}, grants: map[string]*oidcGrant{}, refresh: map[string]*refreshRow{},
	}
}

var _ passkeyd.Store = (*Store)(nil)

// CreateAccount implements passkeyd.UserStore.
func (s *Store) CreateAccount(ctx context.Context, a passkeyd.NewAccount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byName[a.User.UsernameKey]; ok {
		return passkeyd.ErrUsernameTaken
	}
	if a.Passkey != nil {
		if _, ok := s.passkeys[string(a.Passkey.ID)]; ok {
			return passkeyd.ErrCredentialExists
		}
	}
	u := cloneUser(a.User)
	u.ETag = passkeyd.NewETag()
	s.users[u.ID] = u
	s.byName[u.UsernameKey] = u.ID
	s.byHandle[string(u.Handle)] = u.ID
	if a.Passkey != nil {
		s.putPasskey(a.Passkey)
	}
	if a.Session != nil {
		s.putSession(a.Session)
	}
	if len(a.RecoveryCodes) > 0 {
		s.putRecoveryCodes(u.ID, a.RecoveryCodes)
	}
	if t := a.TOTP; t != nil {
		s.totp[u.ID] = &passkeyd.TOTP{UserID: u.ID, Secret: bytes.Clone(t.Secret), Confirmed: t.Confirmed, LastStep: t.LastStep}
	}
	return nil
}

// UserByID implements passkeyd.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (*passkeyd.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u, ok := s.users[id]; ok {
		return cloneUser(u), nil
	}
	return nil, passkeyd.ErrNotFound
}

// UserByUsername implements passkeyd.UserStore.
func (s *Store) UserByUsername(ctx context.Context, key string) (*passkeyd.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id, ok := s.byName[key]; ok {
		return cloneUser(s.users[id]), nil
	}
	return nil, passkeyd.ErrNotFound
}

// UserByHandle implements passkeyd.UserStore.
func (s *Store) UserByHandle(ctx context.Context, handle []byte) (*passkeyd.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id, ok := s.byHandle[string(handle)]; ok {
		return cloneUser(s.users[id]), nil
	}
	return nil, passkeyd.ErrNotFound
}

// SetPasswordHash implements passkeyd.UserStore.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return passkeyd.ErrNotFound
	}
	u.PasswordHash, u.ETag = hash, passkeyd.NewETag()
	return nil
}

// AddPasskey implements passkeyd.PasskeyStore.
func (s *Store) AddPasskey(ctx context.Context, p *passkeyd.Passkey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[p.UserID]; !ok {
		return passkeyd.ErrNotFound
	}
	if _, ok := s.passkeys[string(p.ID)]; ok {
		return passkeyd.ErrCredentialExists
	}
	s.putPasskey(p)
	return nil
}

func (s *Store) putPasskey(p *passkeyd.Passkey) {
	s.next++
	s.seq[string(p.ID)] = s.next
	cp := clonePasskey(p)
	cp.ETag = passkeyd.NewETag()
	s.passkeys[string(p.ID)] = cp
}

// Passkey implements passkeyd.PasskeyStore.
func (s *Store) Passkey(ctx context.Context, id []byte) (*passkeyd.Passkey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p, ok := s.passkeys[string(id)]; ok {
		return clonePasskey(p), nil
	}
	return nil, passkeyd.ErrNotFound
}

// Passkeys implements passkeyd.PasskeyStore.
func (s *Store) Passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*passkeyd.Passkey{}
	for _, p := range s.passkeys {
		if p.UserID == userID {
			out = append(out, clonePasskey(p))
		}
	}
	slices.SortFunc(out, func(a, b *passkeyd.Passkey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(s.seq[string(b.ID)]) - int(s.seq[string(a.ID)])
	})
	return out, nil
}

// RecordLogin implements passkeyd.PasskeyStore.
func (s *Store) RecordLogin(ctx context.Context, id []byte, use passkeyd.PasskeyUse, sess *passkeyd.Session, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passkeys[string(id)]
	if !ok {
		return passkeyd.ErrNotFound
	}
	if p.ETag != use.ETag || s.users[p.UserID].ETag != use.UserETag {
		return passkeyd.ErrStale
	}
	if !(use.SignCount > p.SignCount || use.SignCount == 0 && p.SignCount == 0) {
		return passkeyd.ErrCounterRegression
	}
	if e != nil {
		if err := s.checkDeliveries(webhooks); err != nil {
			return err
		}
		s.recordEvent(e, webhooks)
	}
	p.SignCount, p.BackedUp, p.LastUsedAt = use.SignCount, use.BackedUp, use.UsedAt.UTC()
	if sess != nil {
		s.putSession(sess)
	}
	return nil
}

// SetCloneWarning implements passkeyd.PasskeyStore.
func (s *Store) SetCloneWarning(ctx context.Context, id []byte, flagged bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passkeys[string(id)]
	if !ok {
		return passkeyd.ErrNotFound
	}
	p.CloneWarning, p.ETag = flagged, passkeyd.NewETag()
	return nil
}

// RenamePasskey implements passkeyd.PasskeyStore.
func (s *Store) RenamePasskey(ctx context.Context, userID string, id []byte, name string) (*passkeyd.Passkey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passkeys[string(id)]
	if !ok || p.UserID != userID {
		return nil, passkeyd.ErrNotFound
	}
	p.Name, p.ETag = name, passkeyd.NewETag()
	return clonePasskey(p), nil
}

// DeletePasskey implements passkeyd.PasskeyStore.
func (s *Store) DeletePasskey(ctx context.Context, userID string, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passkeys[string(id)]
	if !ok || p.UserID != userID {
		return passkeyd.ErrNotFound
	}
	others := 0
	for _, q := range s.passkeys {
		if q.UserID == userID && !bytes.Equal(q.ID, id) {
			others++
		}
	}
	if others == 0 && s.users[userID].PasswordHash == "" {
		return passkeyd.ErrLastCredential
	}
	s.removePasskey(id)
	return nil
}

// removePasskey deletes a passkey and the sessions it signed in. The caller holds the lock.
func (s *Store) removePasskey(id []byte) {
	delete(s.passkeys, string(id))
	delete(s.seq, string(id))
	s.dropSessions(func(sess *passkeyd.Session) bool { return bytes.Equal(sess.CredentialID, id) })
}

// CreateSession implements passkeyd.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *passkeyd.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[sess.UserID]; !ok {
		return passkeyd.ErrNotFound
	}
	s.putSession(sess)
	return nil
}

func (s *Store) putSession(sess *passkeyd.Session) {
	cp := cloneSession(sess)
	s.sessions[cp.ID] = cp
	s.byToken[string(cp.TokenHash)] = cp.ID
}

func cloneSession(sess *passkeyd.Session) *passkeyd.Session {
	cp := *sess
	cp.TokenHash = bytes.Clone(sess.TokenHash)
	cp.CredentialID = bytes.Clone(sess.CredentialID)
	cp.AMR = slices.Clone(sess.AMR)
	if cp.CreatedAt.IsZero() {
		cp.CreatedAt = cp.AuthenticatedAt
	}
	return &cp
}

// dropSessions deletes the sessions keep says no to. The caller holds the lock.
func (s *Store) dropSessions(drop func(*passkeyd.Session) bool) int {
	n := 0
	for id, sess := range s.sessions {
		if drop(sess) {
			delete(s.byToken, string(sess.TokenHash))
			delete(s.sessions, id)
			n++
		}
	}
	return n
}

// SessionByTokenHash implements passkeyd.SessionStore.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byToken[string(hash)]
	if !ok {
		return nil, passkeyd.ErrNotFound
	}
	sess := s.sessions[id]
	if !now.Before(sess.ExpiresAt) {
		return nil, passkeyd.ErrNotFound
	}
	return cloneSession(sess), nil
}

// DeleteSession implements passkeyd.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[id]; ok {
		delete(s.byToken, string(sess.TokenHash))
		delete(s.sessions, id)
	}
	return nil
}

// DeleteExpiredSessions implements passkeyd.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, sess := range s.sessions {
		if !now.Before(sess.ExpiresAt) {
			delete(s.byToken, string(sess.TokenHash))
			delete(s.sessions, id)
			n++
		}
	}
	return n, nil
}

// Secret implements passkeyd.SecretStore.
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.secrets[name]; ok {
		return bytes.Clone(v), nil
	}
	s.secrets[name] = bytes.Clone(fresh)
	return bytes.Clone(fresh), nil
}

// Ping implements passkeyd.Store.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Close implements passkeyd.Store.
func (s *Store) Close() error { return nil }

func cloneUser(u *passkeyd.User) *passkeyd.User {
	cp := *u
	cp.Handle = bytes.Clone(u.Handle)
	return &cp
}

func clonePasskey(p *passkeyd.Passkey) *passkeyd.Passkey {
	cp := *p
	cp.ID = bytes.Clone(p.ID)
	cp.PublicKey = bytes.Clone(p.PublicKey)
	cp.AAGUID = bytes.Clone(p.AAGUID)
	cp.Transports = slices.Clone(p.Transports)
	if p.Discoverable != nil {
		d := *p.Discoverable
		cp.Discoverable = &d
	}
	return &cp
}

// Counts reports how many users, passkeys and sessions the store holds, so tests can assert
// that a refused request changed nothing.
func (s *Store) Counts() (users, passkeys, sessions int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users), len(s.passkeys), len(s.sessions)
}

// DeleteUserSessions implements passkeyd.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropSessions(func(sess *passkeyd.Session) bool { return sess.UserID == userID }), nil
}

// RevokePasskey implements passkeyd.PasskeyStore.
func (s *Store) RevokePasskey(ctx context.Context, userID string, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passkeys[string(id)]
	if !ok || p.UserID != userID {
		return passkeyd.ErrNotFound
	}
	s.removePasskey(id)
	return nil
}

// SearchUsers implements passkeyd.UserStore.
func (s *Store) SearchUsers(ctx context.Context, prefix string, limit int) ([]*passkeyd.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []string
	for k := range s.byName {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := []*passkeyd.User{}
	for _, k := range keys {
		if len(out) == limit {
			break
		}
		out = append(out, cloneUser(s.users[s.byName[k]]))
	}
	return out, nil
}
