package ceremony

import (
	"crypto/subtle"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passkeyd/passkeyd"
)

// assertionJSON is AuthenticationResponseJSON as clients send it.
type assertionJSON struct {
	ID                      string                                         `json:"id"`
	RawID                   Bytes                                          `json:"rawId"`
	Type                    string                                         `json:"type"`
	AuthenticatorAttachment string                                         `json:"authenticatorAttachment"`
	ClientExtensionResults  protocol.AuthenticationExtensionsClientOutputs `json:"clientExtensionResults"`
	Response                struct {
		ClientDataJSON    Bytes `json:"clientDataJSON"`
		AuthenticatorData Bytes `json:"authenticatorData"`
		Signature         Bytes `json:"signature"`
		UserHandle        Bytes `json:"userHandle"`
	} `json:"response"`
}

// Assertion is a parsed authentication response, not yet verified.
type Assertion struct {
	parsed *protocol.ParsedCredentialAssertionData
	// Challenge is the challenge the client signed, decoded from clientDataJSON.
	Challenge []byte
}

// ParseAssertion decodes an AuthenticationResponseJSON; anything malformed is
// invalid_request.
func ParseAssertion(data []byte) (*Assertion, error) {
	var in assertionJSON
	if err := strictUnmarshal(data, &in); err != nil {
		return nil, invalid("credential: %v", err)
	}
	id, err := DecodeBase64(in.ID)
	if err != nil || len(id) == 0 {
		return nil, invalid("credential.id is not base64url")
	}
	if len(in.Response.ClientDataJSON) == 0 || len(in.Response.AuthenticatorData) == 0 || len(in.Response.Signature) == 0 {
		return nil, invalid("credential.response needs clientDataJSON, authenticatorData and signature")
	}
	car := protocol.CredentialAssertionResponse{
		PublicKeyCredential: protocol.PublicKeyCredential{
			Credential:              protocol.Credential{ID: EncodeBase64(id), Type: in.Type},
			RawID:                   protocol.URLEncodedBase64(in.RawID),
			ClientExtensionResults:  in.ClientExtensionResults,
			AuthenticatorAttachment: in.AuthenticatorAttachment,
		},
		AssertionResponse: protocol.AuthenticatorAssertionResponse{
			AuthenticatorResponse: protocol.AuthenticatorResponse{ClientDataJSON: protocol.URLEncodedBase64(in.Response.ClientDataJSON)},
			AuthenticatorData:     protocol.URLEncodedBase64(in.Response.AuthenticatorData),
			Signature:             protocol.URLEncodedBase64(in.Response.Signature),
			UserHandle:            protocol.URLEncodedBase64(in.Response.UserHandle),
		},
	}
	parsed, err := parseAssertion(car)
	if err != nil {
		return nil, invalid("credential: %s", describe(err))
	}
	ch, err := DecodeBase64(parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, invalid("clientDataJSON.challenge is not base64url")
	}
	return &Assertion{parsed: parsed, Challenge: ch}, nil
}

func parseAssertion(car protocol.CredentialAssertionResponse) (p *protocol.ParsedCredentialAssertionData, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("malformed credential")
		}
	}()
	return car.Parse()
}

// CredentialID returns the id of the credential that signed.
func (a *Assertion) CredentialID() []byte { return a.parsed.RawID }

// UserHandle returns the userHandle the authenticator returned, nil when absent.
func (a *Assertion) UserHandle() []byte { return a.parsed.Response.UserHandle }

// VerifyAssertion runs §7.2 for the stored passkey p of owner, against the consumed challenge
// ch. Steps 5–6 (which credential, whose) are the caller's, since they need the store; see
// CheckOwner. On success it returns the changes to store. A counter regression returns
// passkeyd.ErrCounterRegression together with the use, so the caller can flag the passkey.
func (rp *RP) VerifyAssertion(a *Assertion, ch *passkeyd.Challenge, p *passkeyd.Passkey) (passkeyd.PasskeyUse, error) {
	var use passkeyd.PasskeyUse
	// A passkey that verified its user at registration must verify them at every sign-in,
	// whatever the options asked for: otherwise a thief holding the device (or a security
	// key without its PIN) could sign in by asking for less. The platform profile requires
	// UV at registration, so its passkeys are held to it here too.
	if p.UserVerified && ch.UserVerification != "required" && !rp.cfg.Conformance {
		strict := *ch
		strict.UserVerification = "required"
		ch = &strict
	}
	par := a.parsed
	cd := &par.Response.CollectedClientData
	ad := &par.Response.AuthenticatorData

	// §7.2 steps 11–18: type, challenge, origin, rpIdHash, UP, UV, BS without BE.
	if err := rp.checkShared(protocol.AssertCeremony, passkeyd.CeremonyAuthentication, cd, ad, ch, a.Challenge); err != nil {
		return use, err
	}
	// Step 18: BE is fixed at creation; a change means this is not the credential we stored.
	if ad.Flags.HasBackupEligible() != p.BackupEligible {
		return use, passkeyd.Errorf(passkeyd.CodeFlagsInvalid, "backup eligibility (BE) differs from the value stored at registration")
	}
	// Steps 20–21: the signature over authenticatorData || SHA-256(clientDataJSON), by
	// go-webauthn. Everything else it re-checks has passed above.
	if err := par.Verify(cd.Challenge, rp.cfg.RPID, "", rp.cfg.Origins, rp.cfg.OpaqueOrigins, rp.cfg.TopOrigins,
		protocol.TopOriginExplicitVerificationMode, len(rp.cfg.TopOrigins) > 0, ch.UserVerification == "required", !rp.presenceOptional(protocol.AssertCeremony, ch),
		p.PublicKey, protocol.SignaturePolicy{}); err != nil {
		return use, &passkeyd.Error{Code: passkeyd.CodeSignatureInvalid, Detail: "the assertion signature does not verify", Err: err}
	}
	use = passkeyd.PasskeyUse{SignCount: ad.Counter, BackedUp: ad.Flags.HasBackupState(), UserVerified: ad.Flags.HasUserVerified()}
	// Step 22: the signature counter. When either counter is non-zero the new one must be
	// greater; otherwise the authenticator may have been cloned (§6.1.1).
	if (ad.Counter != 0 || p.SignCount != 0) && ad.Counter <= p.SignCount {
		return use, passkeyd.Errorf(passkeyd.CodeCounterRegression, "signature counter %d is not greater than the stored %d: the authenticator may be cloned", ad.Counter, p.SignCount)
	}
	return use, nil
}

// CheckOwner covers §7.2 steps 5–6 once the credential has been looked up: when the options
// named a user, the credential must be theirs (credential_unknown otherwise); a userHandle,
// when present, must be the owner's handle, and it is required when no user was named
// (discoverable login), since then it is the only statement of who is signing in.
func CheckOwner(a *Assertion, ch *passkeyd.Challenge, p *passkeyd.Passkey, owner *passkeyd.User) error {
	if ch.Named && p.UserID != ch.UserID {
		return passkeyd.Errorf(passkeyd.CodeCredentialUnknown, "the credential is not one of the named user's")
	}
	uh := a.parsed.Response.UserHandle
	if len(uh) == 0 {
		if !ch.Named {
			return passkeyd.Errorf(passkeyd.CodeUserHandleMismatch, "userHandle is required for a discoverable login")
		}
		return nil
	}
	if subtle.ConstantTimeCompare(uh, owner.Handle) != 1 {
		return passkeyd.Errorf(passkeyd.CodeUserHandleMismatch, "userHandle is not the credential owner's")
	}
	return nil
}
