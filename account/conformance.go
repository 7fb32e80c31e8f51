package account

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
)

// The FIDO2 server conformance use cases: registration and authentication as the FIDO
// Conformance Test API drives them, by username, without sessions. Each ceremony is bound
// to the caller's binding (a cookie of the conformance transport): its challenge carries
// conformancePrefix+binding as its session binding, so no passkeyd endpoint, which only
// ever compares it with a real session id, can use it either.
const conformancePrefix = "fido-conformance:"

// ConformanceEnabled reports whether the FIDO2 conformance use cases are on.
func (s *Service) ConformanceEnabled() bool { return s != nil && s.cfg.Conformance != nil }

// ConformanceRegistration is a ServerPublicKeyCredentialCreationOptionsRequest.
type ConformanceRegistration struct {
	Username, DisplayName string
	Attachment            string
	ResidentKey           string
	UserVerification      string
	Attestation           string
}

var errConformanceOff = passkeyd.Errorf(passkeyd.CodeNotFound, "the FIDO2 conformance API is not enabled")

func oneOf(field, v, def string, allowed ...string) (string, error) {
	if v == "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", invalid("%s %q is not one of %v", field, v, allowed)
}

// BeginConformanceRegistration answers /attestation/options: creation options for the
// named user, who is created when the ceremony completes if they do not exist yet.
func (s *Service) BeginConformanceRegistration(ctx context.Context, binding string, req ConformanceRegistration) (*ceremony.CreationOptions, error) {
	rp := s.cfg.Conformance
	if rp == nil {
		return nil, errConformanceOff
	}
	display, key, err := NormalizeUsername(req.Username)
	if err != nil {
		return nil, err
	}
	displayName, err := cleanName("displayName", req.DisplayName)
	if err != nil {
		return nil, err
	}
	if err := checkAttachment(req.Attachment); err != nil {
		return nil, err
	}
	ch := s.newChallenge(passkeyd.CeremonyRegistration)
	ch.SessionID = conformancePrefix + binding
	ch.Attachment = req.Attachment
	if ch.UserVerification, err = oneOf("userVerification", req.UserVerification, "preferred", "required", "preferred", "discouraged"); err != nil {
		return nil, err
	}
	if ch.ResidentKey, err = oneOf("residentKey", req.ResidentKey, "discouraged", "required", "preferred", "discouraged"); err != nil {
		return nil, err
	}
	conveyance, err := oneOf("attestation", req.Attestation, "none", "none", "indirect", "direct", "enterprise")
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByUsername(ctx, key)
	var exclude []*passkeyd.Passkey
	switch {
	case err == nil:
		ch.UserID = u.ID
		if exclude, err = s.store.Passkeys(ctx, u.ID); err != nil {
			return nil, err
		}
	case errors.Is(err, passkeyd.ErrNotFound):
		if displayName == "" {
			displayName = display
		}
		u = &passkeyd.User{ID: randomID(16), Handle: randomBytes(32), Username: display, UsernameKey: key, DisplayName: displayName}
		ch.NewUser = u
	default:
		return nil, err
	}
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	o := rp.CreationOptions(ch, u, exclude)
	o.Attestation = conveyance
	return o, nil
}

// consumeConformance takes the challenge of a conformance ceremony and checks that it was
// issued to this binding.
func (s *Service) consumeConformance(ctx context.Context, value []byte, c passkeyd.Ceremony, binding string) (*passkeyd.Challenge, error) {
	ch, err := s.consume(ctx, value, c)
	if err != nil {
		return nil, err
	}
	if binding == "" || subtle.ConstantTimeCompare([]byte(ch.SessionID), []byte(conformancePrefix+binding)) != 1 {
		return nil, passkeyd.ErrChallengeUnknown
	}
	return ch, nil
}

// FinishConformanceRegistration answers /attestation/result: it verifies the response
// (§7.1, with the conformance relying party's algorithms and trust policy) and stores the
// passkey.
func (s *Service) FinishConformanceRegistration(ctx context.Context, binding string, credential json.RawMessage) error {
	rp := s.cfg.Conformance
	if rp == nil {
		return errConformanceOff
	}
	reg, err := ceremony.ParseRegistration(credential)
	if err != nil {
		return err
	}
	ch, err := s.consumeConformance(ctx, reg.Challenge, passkeyd.CeremonyRegistration, binding)
	if err != nil {
		return err
	}
	pk, err := rp.VerifyRegistration(reg, ch)
	if err != nil {
		return err
	}
	pk.CreatedAt = s.Now().UTC()
	pk.Name = defaultName(pk)
	if u := ch.NewUser; u != nil {
		u.CreatedAt = pk.CreatedAt
		pk.UserID = u.ID
		if err := s.store.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: pk}); err != nil {
			return err
		}
		s.audit(ctx, u.ID, "account_created", "passkey", pk.ID, nil)
		return nil
	}
	pk.UserID = ch.UserID
	if err := s.store.AddPasskey(ctx, pk); err != nil {
		return err
	}
	s.audit(ctx, pk.UserID, "passkey_added", "passkey", pk.ID, nil)
	return nil
}

// BeginConformanceAssertion answers /assertion/options: request options listing the
// named user's credentials. Unlike the passkeyd API it says when the user does not exist,
// as the conformance tools expect.
func (s *Service) BeginConformanceAssertion(ctx context.Context, binding, username, userVerification string) (*ceremony.RequestOptions, error) {
	rp := s.cfg.Conformance
	if rp == nil {
		return nil, errConformanceOff
	}
	_, key, err := NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	ch := s.newChallenge(passkeyd.CeremonyAuthentication)
	if ch.UserVerification, err = oneOf("userVerification", userVerification, "preferred", "required", "preferred", "discouraged"); err != nil {
		return nil, err
	}
	u, err := s.store.UserByUsername(ctx, key)
	if err != nil {
		return nil, notFoundAs(err, passkeyd.Errorf(passkeyd.CodeNotFound, "user %q does not exist", username))
	}
	pks, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ch.SessionID = conformancePrefix + binding
	ch.UserID, ch.Named = u.ID, true
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return rp.RequestOptions(ch, ceremony.Descriptors(pks)), nil
}

// FinishConformanceAssertion answers /assertion/result: §7.2 against the named user's
// credential, counter rule included, then the new counter is stored. No session is made.
func (s *Service) FinishConformanceAssertion(ctx context.Context, binding string, credential json.RawMessage) error {
	rp := s.cfg.Conformance
	if rp == nil {
		return errConformanceOff
	}
	a, err := ceremony.ParseAssertion(credential)
	if err != nil {
		return err
	}
	ch, err := s.consumeConformance(ctx, a.Challenge, passkeyd.CeremonyAuthentication, binding)
	if err != nil {
		return err
	}
	// Decided on a fresh read, and once more when the passkey changed before the write.
	return onceMoreIfStale(func() error {
		pk, owner, err := s.readCredential(ctx, a.CredentialID())
		if err != nil {
			return err
		}
		if err := ceremony.CheckOwner(a, ch, pk, owner); err != nil {
			return err
		}
		use, err := rp.VerifyAssertion(a, ch, pk)
		if err != nil {
			return err
		}
		use.UsedAt = s.Now().UTC()
		use.ETag, use.UserETag = pk.ETag, owner.ETag
		return notFoundAs(s.store.RecordLogin(ctx, pk.ID, use, nil, nil), errCredentialUnknown())
	})
}
