package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
)

// BeginLogin returns request options. With no username it asks for a discoverable
// credential (usernameless login and conditional UI). With a username it lists that user's
// credentials — and for a username that does not exist, or has no passkey, a decoy list that
// looks the same and stays the same across calls, so the answer reveals nothing.
func (s *Service) BeginLogin(ctx context.Context, username string) (*ceremony.RequestOptions, error) {
	ch := s.newChallenge(passkeyd.CeremonyAuthentication)
	s.rp.PrepareAuthentication(ch)
	var allow []ceremony.Descriptor
	if username != "" {
		_, key, err := NormalizeUsername(username)
		if err != nil {
			return nil, err
		}
		if err := s.limitAccount(ctx, key); err != nil {
			return nil, err
		}
		ch.Named = true
		// Known and unknown usernames cost the same store work — one user lookup and one
		// passkey listing — and the same decoy computation, so neither the answer nor its
		// timing says which usernames exist or have passkeys.
		decoys := s.decoys(key)
		u, err := s.store.UserByUsername(ctx, key)
		owner := decoyOwner(decoys)
		switch {
		case err == nil:
			owner = u.ID
		case !errors.Is(err, passkeyd.ErrNotFound):
			return nil, err
		}
		ps, err := s.store.Passkeys(ctx, owner)
		if err != nil {
			return nil, err
		}
		if u != nil {
			ch.UserID = u.ID
			allow = ceremony.Descriptors(ps)
		}
		if len(allow) == 0 {
			allow = decoys
		}
	}
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return s.rp.RequestOptions(ch, allow), nil
}

// decoyOwner is a user id no account has (ids are base64url; this one is not), for the
// passkey listing that an unknown username costs.
func decoyOwner(decoys []ceremony.Descriptor) string {
	return "decoy:" + base64.RawURLEncoding.EncodeToString(decoys[0].ID[:8])
}

// The decoy shapes follow what real accounts hold: how many passkeys, how long their ids are
// and which transports they report (in the canonical sorted order stored transports use).
// Each table is a cumulative distribution over 256: a seed byte picks an entry.
var (
	decoyCounts = []struct {
		upTo byte
		n    int
	}{{153, 1}, {217, 2}, {242, 3}, {255, 4}} // 60 %, 25 %, 10 %, 5 %
	decoyIDLengths = []struct {
		upTo byte
		n    int
	}{{76, 16}, {140, 20}, {217, 32}, {255, 64}} // 30 %, 25 %, 30 %, 15 %
	decoyTransports = []struct {
		upTo byte
		t    []string
	}{
		{127, []string{"hybrid", "internal"}}, // platform and synced passkeys
		{178, []string{"internal"}},
		{216, []string{"nfc", "usb"}}, // security keys
		{242, []string{"usb"}},
		{255, []string{"ble", "hybrid", "internal"}},
	}
)

// decoys derives a credential list from the server secret and the username key. It is
// stable (the same username always gets the same list, as a real account would) and drawn
// from the distribution of real lists (count, id length, transports and their order).
func (s *Service) decoys(usernameKey string) []ceremony.Descriptor {
	mac := hmac.New(sha256.New, s.decoyKey)
	mac.Write([]byte(usernameKey))
	seed := mac.Sum(nil)
	n := 4
	for _, e := range decoyCounts {
		if seed[0] <= e.upTo {
			n = e.n
			break
		}
	}
	out := make([]ceremony.Descriptor, 0, n)
	for i := 0; i < n; i++ {
		m := hmac.New(sha256.New, s.decoyKey)
		m.Write(seed)
		m.Write([]byte{byte(i)})
		id := m.Sum(nil)
		for len(id) < 64 {
			m.Write(id)
			id = m.Sum(id)
		}
		length := 64
		for _, e := range decoyIDLengths {
			if seed[1+i] <= e.upTo {
				length = e.n
				break
			}
		}
		transports := decoyTransports[len(decoyTransports)-1].t
		for _, e := range decoyTransports {
			if seed[8+i] <= e.upTo {
				transports = e.t
				break
			}
		}
		out = append(out, ceremony.Descriptor{Type: "public-key", ID: id[:length], Transports: transports})
	}
	return out
}

// LoggedIn is a successful sign-in.
type LoggedIn struct {
	User    *passkeyd.User
	Passkey *passkeyd.Passkey
	Session NewSession
	// audited says the sign_in event was written in the sign-in's transaction.
	audited bool
}

// FinishLogin verifies an AuthenticationResponseJSON (§7.2) and creates a session. Every
// outcome goes to the audit log.
func (s *Service) FinishLogin(ctx context.Context, credential json.RawMessage) (*LoggedIn, error) {
	if s.cfg.PasskeySecondFactor {
		return nil, &passkeyd.Error{Code: passkeyd.CodeUnauthenticated, Detail: "on this server a passkey is a second factor: sign in with your password first"}
	}
	res, userID, credID, err := s.finishLogin(ctx, credential, "", "passkey")
	switch {
	case err == nil && res.audited:
		// written with the sign-in
	case err == nil && res.Passkey.CloneWarning:
		s.audit(ctx, userID, "sign_in_clone_warning", "passkey", credID, nil)
	case err == nil:
		s.audit(ctx, userID, "sign_in", "passkey", credID, nil)
	case errors.Is(err, passkeyd.ErrCounterRegression):
		s.audit(ctx, userID, "counter_regression", "passkey", credID, err)
	default:
		s.audit(ctx, userID, "sign_in_failed", "passkey", credID, err)
	}
	return res, err
}

// finishLogin verifies an assertion. With mfaUser set it is the second factor of that
// user's password sign-in, and only a challenge issued for that (SecondFactor) will do;
// otherwise it is a primary sign-in, which such a challenge cannot be used for. A sign-in
// that moves the counter records its sign_in event (with auditMethod) in the same write.
func (s *Service) finishLogin(ctx context.Context, credential json.RawMessage, mfaUser, auditMethod string) (res *LoggedIn, userID string, credID []byte, err error) {
	a, err := ceremony.ParseAssertion(credential)
	if err != nil {
		return nil, "", nil, err
	}
	credID = a.CredentialID()
	ch, err := s.consume(ctx, a.Challenge, passkeyd.CeremonyAuthentication)
	if err != nil {
		return nil, "", credID, err
	}
	// A re-authentication challenge (bound to a session) never signs anyone in.
	if ch.SessionID != "" || ch.SecondFactor != (mfaUser != "") || (mfaUser != "" && ch.UserID != mfaUser) {
		return nil, "", credID, passkeyd.ErrChallengeUnknown
	}
	method := passkeyd.MethodPasskey
	if mfaUser != "" {
		method = passkeyd.MethodMFA
	}
	// §7.2 steps 5–6: which credential, and whose: from the sign-in cache when this passkey
	// signed in here lately. Whatever is decided on a cached read but a sign-in the store
	// applies is decided again on a fresh read, and so is a sign-in decided on a fresh read
	// that the store refuses because the passkey or its owner changed meanwhile — once: a
	// passkey that keeps changing under its sign-ins is left to the client to try again.
	pk, owner, cached := s.signIns.get(credID, s.Now())
	s.cacheOutcome(cached)
	for fresh := 0; ; {
		if !cached {
			if pk, owner, err = s.readCredential(ctx, credID); err != nil {
				return nil, "", credID, err
			}
		}
		res, again, err := s.decideLogin(ctx, a, ch, pk, owner, cached, method, auditMethod)
		if !again {
			return res, owner.ID, credID, err
		}
		s.signIns.dropPasskey(credID)
		if cached {
			cached = false
			if s.cfg.OnSignInCache != nil {
				s.cfg.OnSignInCache("redecided")
			}
			continue
		}
		if fresh++; fresh == 2 {
			return nil, owner.ID, credID, errChangedDuringSignIn
		}
	}
}

// errChangedDuringSignIn: the passkey or its owner changed between the read a sign-in was
// decided on and its write, twice in a row.
var errChangedDuringSignIn = &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the passkey changed while it was signing in; sign in again"}

// onceMoreIfStale runs decide, which reads the passkey and decides on that read, and runs it
// once more when the store refused its write because the passkey or its owner changed since
// (ErrStale); a second refusal is errChangedDuringSignIn.
func onceMoreIfStale(decide func() error) error {
	err := decide()
	if errors.Is(err, passkeyd.ErrStale) {
		err = decide()
	}
	if errors.Is(err, passkeyd.ErrStale) {
		return errChangedDuringSignIn
	}
	return err
}

// errCredentialUnknown is the answer for a credential id that names no registered passkey
// (or one deleted, with its account or alone, while it was signing in).
func errCredentialUnknown() error {
	return passkeyd.Errorf(passkeyd.CodeCredentialUnknown, "the credential is not registered")
}

// readCredential reads a passkey and its owner from the store.
func (s *Service) readCredential(ctx context.Context, credID []byte) (*passkeyd.Passkey, *passkeyd.User, error) {
	pk, err := s.store.Passkey(ctx, credID)
	if err != nil {
		return nil, nil, notFoundAs(err, errCredentialUnknown())
	}
	owner, err := s.store.UserByID(ctx, pk.UserID)
	if err != nil {
		return nil, nil, notFoundAs(err, errCredentialUnknown())
	}
	return pk, owner, nil
}

// decideLogin verifies an assertion against the passkey pk of owner and applies the
// verdict, unless it says again: then nothing was written, and the sign-in must be decided
// again on a fresh read. On a cached read (cached) only a sign-in that RecordLogin applies
// is final — a refusal, a clone flag or a counter regression may be the cache's, not the
// passkey's, so it never flags a passkey or answers by itself; on a fresh read, again means
// that the store refused the write because the passkey or its owner changed since the read.
func (s *Service) decideLogin(ctx context.Context, a *ceremony.Assertion, ch *passkeyd.Challenge, pk *passkeyd.Passkey, owner *passkeyd.User, cached bool, method passkeyd.SessionMethod, auditMethod string) (res *LoggedIn, again bool, err error) {
	if err := ceremony.CheckOwner(a, ch, pk, owner); err != nil {
		return nil, cached, err
	}
	use, err := s.rp.VerifyAssertion(a, ch, pk)
	regressed := errors.Is(err, passkeyd.ErrCounterRegression)
	if err != nil && !regressed {
		return nil, cached, err
	}
	if cached && (regressed || pk.CloneWarning) {
		return nil, true, nil
	}
	use.UsedAt = s.Now().UTC()
	use.ETag, use.UserETag = pk.ETag, owner.ETag
	if regressed || pk.CloneWarning {
		res, err := s.cloneSuspected(ctx, owner, pk, use, err)
		return res, false, err
	}
	in := passkeySignIn(pk.ID, use.UserVerified)
	if method == passkeyd.MethodMFA {
		in = secondFactorSignIn(method, in)
	}
	ns := s.newSession(ctx, owner.ID, in)
	e, webhooks := s.newEvent(ctx, owner.ID, "sign_in", auditMethod, pk.ID, nil)
	if err := s.store.RecordLogin(ctx, pk.ID, use, ns.Session, e, webhooks...); err != nil {
		switch {
		case errors.Is(err, passkeyd.ErrStale),
			cached && (errors.Is(err, passkeyd.ErrNotFound) || errors.Is(err, passkeyd.ErrCounterRegression)):
			return nil, true, nil
		case errors.Is(err, passkeyd.ErrNotFound):
			// Deleted since the read, with its account or alone.
			return nil, false, errCredentialUnknown()
		case errors.Is(err, passkeyd.ErrCounterRegression):
			// A concurrent login with the same or a later counter won the conditional
			// update: one of the two signatures was replayed or cloned.
			res, err := s.cloneSuspected(ctx, owner, pk, use, err)
			return res, false, err
		}
		return nil, false, err
	}
	s.emitted(e)
	pk.SignCount, pk.BackedUp, pk.LastUsedAt = use.SignCount, use.BackedUp, use.UsedAt
	// The store has just confirmed both etags: the entry is as fresh as a read.
	s.signIns.put(pk, owner, use.UsedAt)
	return &LoggedIn{User: owner, Passkey: pk, Session: ns, audited: true}, false, nil
}

// cacheOutcome counts a sign-in cache lookup.
func (s *Service) cacheOutcome(hit bool) {
	if s.cfg.OnSignInCache == nil || s.signIns == nil {
		return
	}
	if hit {
		s.cfg.OnSignInCache("hit")
	} else {
		s.cfg.OnSignInCache("miss")
	}
}

// cloneSuspected handles a credential whose signature counter went backwards (now or
// before): it is flagged, the event is logged, and under the "refuse" policy the sign-in is
// refused; under "warn" it proceeds without moving the counter.
func (s *Service) cloneSuspected(ctx context.Context, owner *passkeyd.User, pk *passkeyd.Passkey, use passkeyd.PasskeyUse, cause error) (*LoggedIn, error) {
	if !pk.CloneWarning {
		err := s.store.SetCloneWarning(ctx, pk.ID, true)
		s.signIns.dropPasskey(pk.ID)
		if err != nil {
			return nil, err
		}
		pk.CloneWarning = true
	}
	s.log.WarnContext(ctx, "signature counter regression: possible cloned authenticator",
		"user_id", owner.ID, "stored_count", pk.SignCount, "received_count", use.SignCount, "policy", s.cfg.CounterPolicy)
	if s.cfg.CounterPolicy != "warn" {
		if cause == nil || !errors.Is(cause, passkeyd.ErrCounterRegression) {
			cause = passkeyd.Errorf(passkeyd.CodeCounterRegression, "this passkey is flagged as possibly cloned; delete it and register a new one")
		}
		return nil, cause
	}
	ns := s.newSession(ctx, owner.ID, passkeySignIn(pk.ID, use.UserVerified))
	if err := s.store.CreateSession(ctx, ns.Session); err != nil {
		return nil, err
	}
	return &LoggedIn{User: owner, Passkey: pk, Session: ns}, nil
}
