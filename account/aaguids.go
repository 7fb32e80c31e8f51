package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/trust"
)

// Where an AAGUID policy entry comes from.
const (
	SourceConfiguration = "configuration"
	SourceRuntime       = "runtime"
)

// AAGUIDEntry is one entry of the effective AAGUID policy, as an operator sees it.
type AAGUIDEntry struct {
	AAGUID    uuid.UUID
	List      passkeyd.AAGUIDList
	Source    string    // SourceConfiguration or SourceRuntime
	Note      string    // run-time entries only
	UpdatedAt time.Time // run-time entries only
}

// AAGUIDPolicyView is the effective AAGUID policy: configured entries first, then run-time
// ones, each by AAGUID. An AAGUID may appear twice (configured and run-time); a deny wins.
type AAGUIDPolicyView struct {
	Entries []AAGUIDEntry
	// AllowListActive is whether only allowed models may register (there is an allow entry).
	AllowListActive bool
	// Refresh is how soon a run-time change applies on the other instances.
	Refresh time.Duration
}

// AAGUIDHolder is a user holding passkeys of one authenticator model.
type AAGUIDHolder struct {
	User     *passkeyd.User
	Passkeys []*passkeyd.Passkey
}

// MaxAAGUIDHolders bounds a page of AAGUIDHolders; RevokeBatch bounds one RevokeAAGUID,
// so that neither outlives the request timeout whatever the number of passkeys.
const (
	MaxAAGUIDHolders = 500
	RevokeBatch      = 500
)

// ParseAAGUID parses an AAGUID in its 8-4-4-4-12 form, the contract's invalid_request when
// it is not one.
func ParseAAGUID(s string) (uuid.UUID, error) {
	ids, err := trust.ParseAAGUIDs([]string{s})
	if err != nil {
		return uuid.UUID{}, invalid("%v", err)
	}
	return ids[0], nil
}

// checkAAGUID applies the effective AAGUID lists (configured and run-time) to a passkey
// being registered: a refusal is attestation_invalid with the list's detail.
func (s *Service) checkAAGUID(ctx context.Context, aaguid []byte) error {
	id, _ := uuid.FromBytes(aaguid) // no AAGUID is the zero one
	err := s.cfg.AAGUIDs.Check(ctx, id)
	var r *trust.Refusal
	if errors.As(err, &r) {
		return &passkeyd.Error{Code: passkeyd.CodeAttestationInvalid, Detail: r.Detail, Err: err}
	}
	return err
}

// AAGUIDPolicy returns the effective AAGUID policy, read from the store (not this
// instance's cached copy).
func (s *Service) AAGUIDPolicy(ctx context.Context) (*AAGUIDPolicyView, error) {
	rules, err := s.store.AAGUIDRules(ctx)
	if err != nil {
		return nil, err
	}
	conf := s.cfg.AAGUIDs.Configured
	v := &AAGUIDPolicyView{Entries: []AAGUIDEntry{}, Refresh: s.cfg.AAGUIDs.RefreshInterval()}
	var configured []AAGUIDEntry
	for _, l := range []struct {
		list passkeyd.AAGUIDList
		ids  []uuid.UUID
	}{{passkeyd.AAGUIDAllow, conf.Allow}, {passkeyd.AAGUIDDeny, conf.Deny}} {
		for _, id := range l.ids {
			configured = append(configured, AAGUIDEntry{AAGUID: id, List: l.list, Source: SourceConfiguration})
		}
	}
	slices.SortFunc(configured, func(a, b AAGUIDEntry) int { return strings.Compare(a.AAGUID.String(), b.AAGUID.String()) })
	v.Entries = append(v.Entries, configured...)
	for _, r := range rules {
		v.Entries = append(v.Entries, AAGUIDEntry{AAGUID: r.AAGUID, List: r.List, Source: SourceRuntime, Note: r.Note, UpdatedAt: r.UpdatedAt})
	}
	v.AllowListActive = len(trust.Merge(conf, rules).Allow) > 0
	return v, nil
}

// SetAAGUIDRule puts an AAGUID on the run-time allow or deny list (moving it when it is on
// the other), for every instance: at once on this one, within the refresh on the others.
func (s *Service) SetAAGUIDRule(ctx context.Context, aaguid, list, note string) (*AAGUIDEntry, error) {
	id, err := ParseAAGUID(aaguid)
	if err != nil {
		return nil, err
	}
	l := passkeyd.AAGUIDList(list)
	if l != passkeyd.AAGUIDAllow && l != passkeyd.AAGUIDDeny {
		return nil, invalid("list must be \"allow\" or \"deny\"")
	}
	if note, err = cleanNote(note); err != nil {
		return nil, err
	}
	r := &passkeyd.AAGUIDRule{AAGUID: id, List: l, Note: note, UpdatedAt: s.Now().UTC()}
	if err := s.store.PutAAGUIDRule(ctx, r); err != nil {
		return nil, err
	}
	s.cfg.AAGUIDs.Invalidate()
	s.log.InfoContext(ctx, "AAGUID rule set by operator", "aaguid", id.String(), "list", string(l))
	return &AAGUIDEntry{AAGUID: id, List: l, Source: SourceRuntime, Note: note, UpdatedAt: r.UpdatedAt}, nil
}

// RemoveAAGUIDRule takes an AAGUID off the run-time lists. The configured lists are changed
// in the configuration: ErrNotFound when the AAGUID has no run-time rule.
func (s *Service) RemoveAAGUIDRule(ctx context.Context, aaguid string) error {
	id, err := ParseAAGUID(aaguid)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAAGUIDRule(ctx, id); err != nil {
		if errors.Is(err, passkeyd.ErrNotFound) {
			return passkeyd.Errorf(passkeyd.CodeNotFound, "AAGUID %s has no run-time rule (entries of the configuration are changed there: policy.aaguidAllow, policy.aaguidDeny)", id)
		}
		return err
	}
	s.cfg.AAGUIDs.Invalidate()
	s.log.InfoContext(ctx, "AAGUID rule removed by operator", "aaguid", id.String())
	return nil
}

// AAGUIDHolders returns a page of the users holding passkeys of that model, after the user
// id after, at most limit (1 to MaxAAGUIDHolders; others mean MaxAAGUIDHolders), and the
// cursor of the next page ("" when this is the last).
func (s *Service) AAGUIDHolders(ctx context.Context, aaguid, after string, limit int) ([]AAGUIDHolder, string, error) {
	id, err := ParseAAGUID(aaguid)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > MaxAAGUIDHolders {
		limit = MaxAAGUIDHolders
	}
	// One user more than asked for says whether there is a next page.
	ps, err := s.store.PasskeysByAAGUID(ctx, id, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	out := []AAGUIDHolder{}
	next := ""
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].User.ID == p.UserID {
			out[n-1].Passkeys = append(out[n-1].Passkeys, p)
			continue
		}
		if len(out) == limit {
			next = out[len(out)-1].User.ID
			break
		}
		u, err := s.store.UserByID(ctx, p.UserID)
		if errors.Is(err, passkeyd.ErrNotFound) {
			u = &passkeyd.User{ID: p.UserID} // deleted meanwhile
		} else if err != nil {
			return nil, "", err
		}
		out = append(out, AAGUIDHolder{User: u, Passkeys: []*passkeyd.Passkey{p}})
	}
	return out, next, nil
}

// RevokeAAGUID revokes passkeys of one authenticator model, at most RevokeBatch per call,
// each with the sessions it signed in and each audited as passkey_revoked (so webhooks
// tell the apps), and says how many it revoked and whether more remain. The last way in
// is not kept: as for an operator's single revocation, users recover with a fallback.
func (s *Service) RevokeAAGUID(ctx context.Context, aaguid string) (revoked int, more bool, err error) {
	id, err := ParseAAGUID(aaguid)
	if err != nil {
		return 0, false, err
	}
	defer func() {
		if revoked > 0 {
			s.log.WarnContext(ctx, "passkeys revoked by AAGUID", "aaguid", id.String(), "revoked", revoked, "more", more)
		}
	}()
	after := ""
	for revoked < RevokeBatch {
		ps, err := s.store.PasskeysByAAGUID(ctx, id, after, 50)
		if err != nil {
			return revoked, false, err
		}
		if len(ps) == 0 {
			return revoked, false, nil
		}
		for _, p := range ps {
			if revoked == RevokeBatch {
				break
			}
			err := s.store.RevokePasskey(ctx, p.UserID, p.ID)
			s.signIns.dropPasskey(p.ID)
			if errors.Is(err, passkeyd.ErrNotFound) {
				continue // revoked or deleted meanwhile
			} else if err != nil {
				return revoked, false, err
			}
			s.audit(ctx, p.UserID, "passkey_revoked", "passkey", p.ID, nil)
			revoked++
		}
		after = ps[len(ps)-1].UserID
	}
	left, err := s.store.PasskeysByAAGUID(ctx, id, "", 1)
	if err != nil {
		return revoked, false, err
	}
	return revoked, len(left) > 0, nil
}

// cleanNote validates an operator's note: trimmed, at most 200 code points, no control
// characters.
func cleanNote(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("note is not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 200 {
		return "", invalid("note must be at most 200 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", invalid("note must not contain control characters")
		}
	}
	return s, nil
}
