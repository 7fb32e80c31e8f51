package ceremony

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/trust"
)

// maxCredentialIDLen is the §7.1 step 24 limit on credential ids.
const maxCredentialIDLen = 1023

// registrationJSON is RegistrationResponseJSON as clients send it. Binary members decode
// leniently (see Bytes) before go-webauthn, which accepts only base64url, sees them.
type registrationJSON struct {
	ID                      string                                         `json:"id"`
	RawID                   Bytes                                          `json:"rawId"`
	Type                    string                                         `json:"type"`
	AuthenticatorAttachment string                                         `json:"authenticatorAttachment"`
	ClientExtensionResults  protocol.AuthenticationExtensionsClientOutputs `json:"clientExtensionResults"`
	Response                struct {
		ClientDataJSON     Bytes    `json:"clientDataJSON"`
		AttestationObject  Bytes    `json:"attestationObject"`
		Transports         []string `json:"transports"`
		AuthenticatorData  Bytes    `json:"authenticatorData"`
		PublicKey          Bytes    `json:"publicKey"`
		PublicKeyAlgorithm int64    `json:"publicKeyAlgorithm"`
	} `json:"response"`
}

// Registration is a parsed registration response, not yet verified.
type Registration struct {
	parsed *protocol.ParsedCredentialCreationData
	// Challenge is the challenge the client signed, decoded from clientDataJSON; the server
	// finds the ceremony's state by it.
	Challenge  []byte
	transports []string
}

// ParseRegistration decodes a RegistrationResponseJSON. Anything malformed — JSON, base64,
// clientDataJSON, CBOR — is invalid_request.
func ParseRegistration(data []byte) (*Registration, error) {
	var in registrationJSON
	if err := strictUnmarshal(data, &in); err != nil {
		return nil, invalid("credential: %v", err)
	}
	id, err := DecodeBase64(in.ID)
	if err != nil || len(id) == 0 {
		return nil, invalid("credential.id is not base64url")
	}
	if len(in.Response.ClientDataJSON) == 0 || len(in.Response.AttestationObject) == 0 {
		return nil, invalid("credential.response needs clientDataJSON and attestationObject")
	}
	ccr := protocol.CredentialCreationResponse{
		PublicKeyCredential: protocol.PublicKeyCredential{
			Credential:              protocol.Credential{ID: EncodeBase64(id), Type: in.Type},
			RawID:                   protocol.URLEncodedBase64(in.RawID),
			ClientExtensionResults:  in.ClientExtensionResults,
			AuthenticatorAttachment: in.AuthenticatorAttachment,
		},
		AttestationResponse: protocol.AuthenticatorAttestationResponse{
			AuthenticatorResponse: protocol.AuthenticatorResponse{ClientDataJSON: protocol.URLEncodedBase64(in.Response.ClientDataJSON)},
			Transports:            in.Response.Transports,
			AuthenticatorData:     protocol.URLEncodedBase64(in.Response.AuthenticatorData),
			PublicKey:             protocol.URLEncodedBase64(in.Response.PublicKey),
			PublicKeyAlgorithm:    in.Response.PublicKeyAlgorithm,
			AttestationObject:     protocol.URLEncodedBase64(in.Response.AttestationObject),
		},
	}
	parsed, err := parseCreation(ccr)
	if err != nil {
		return nil, invalid("credential: %s", describe(responseError(ccr, err)))
	}
	// §7.1 step 12 decodes fmt, authData and attStmt; go-webauthn leaves a missing fmt or
	// attStmt to the format verifiers, whose messages would not say what is missing.
	if att := &parsed.Response.AttestationObject; att.Format == "" {
		return nil, invalid("attestationObject.fmt is missing or empty")
	} else if att.AttStatement == nil {
		return nil, invalid("attestationObject.attStmt is missing")
	}
	ch, err := DecodeBase64(parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, invalid("clientDataJSON.challenge is not base64url")
	}
	return &Registration{parsed: parsed, Challenge: ch, transports: in.Response.Transports}, nil
}

// parseCreation runs go-webauthn's parser, which must never take the server down: a panic
// on hostile input is turned into an error.
func parseCreation(ccr protocol.CredentialCreationResponse) (p *protocol.ParsedCredentialCreationData, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("malformed credential")
		}
	}()
	return ccr.Parse()
}

// responseError returns why the response member failed to parse when err is go-webauthn's
// generic verdict on it, which drops the cause (an attestation object that is not a CBOR
// map, authData whose flags and length disagree, ...).
func responseError(ccr protocol.CredentialCreationResponse, err error) error {
	if e, ok := err.(*protocol.Error); !ok || e.Details != "Error parsing attestation response" {
		return err
	}
	var inner error
	func() {
		defer func() {
			if r := recover(); r != nil {
				inner = fmt.Errorf("malformed credential")
			}
		}()
		_, inner = ccr.AttestationResponse.Parse()
	}()
	if inner == nil {
		return err
	}
	return inner
}

// Format returns the attestation statement format, reduced to the registered formats
// (anything else is "other", so it can label a metric without unbounded values).
func (r *Registration) Format() string {
	switch f := r.parsed.Response.AttestationObject.Format; f {
	case "packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple", "none", "compound":
		return f
	}
	return "other"
}

// CredentialID returns the credential id the response claims.
func (r *Registration) CredentialID() []byte { return r.parsed.RawID }

// VerifyRegistration runs §7.1 against the consumed challenge ch and returns the passkey to
// store (without user, name or creation time). It checks every step that has its own error
// code first, in the order of the specification, and then hands the whole response to
// go-webauthn, whose verdict on the attestation statement is final.
func (rp *RP) VerifyRegistration(r *Registration, ch *passkeyd.Challenge) (*passkeyd.Passkey, error) {
	p := r.parsed
	cd := &p.Response.CollectedClientData
	att := &p.Response.AttestationObject
	ad := &att.AuthData

	// §7.1 steps 7–17.
	if err := rp.checkShared(protocol.CreateCeremony, passkeyd.CeremonyRegistration, cd, ad, ch, r.Challenge); err != nil {
		return nil, err
	}
	if !ad.Flags.HasAttestedCredentialData() || len(ad.AttData.CredentialID) == 0 {
		return nil, invalid("authenticatorData carries no attested credential")
	}
	// Step 24: credential id length.
	if len(ad.AttData.CredentialID) > maxCredentialIDLen {
		return nil, invalid("credential id is %d bytes, more than %d", len(ad.AttData.CredentialID), maxCredentialIDLen)
	}
	if !bytes.Equal(p.RawID, ad.AttData.CredentialID) {
		return nil, invalid("credential rawId differs from the attested credential id")
	}
	// Step 20: the algorithm must be one we offered, and one this build can verify — storing
	// a key we can never check a signature with would lock the user out later.
	alg, err := keyAlgorithm(ad.AttData.CredentialPublicKey)
	if err != nil {
		return nil, invalid("credential public key: %v", err)
	}
	if !rp.algAllowed(alg) {
		return nil, passkeyd.Errorf(passkeyd.CodeAlgorithmNotAllowed, "credential algorithm %d is not allowed", alg)
	}
	if _, err := webauthncose.ParsePublicKey(ad.AttData.CredentialPublicKey); err != nil {
		return nil, passkeyd.Errorf(passkeyd.CodeAlgorithmNotAllowed, "credential public key (algorithm %d) cannot be used: %v", alg, err)
	}

	// Steps 21–22: the attestation statement, by format. go-webauthn re-checks the client
	// data and flags too; those already passed, so any failure here is the attestation's.
	uvRequired := ch.UserVerification == "required"
	if _, err := p.Verify(cd.Challenge, rp.cfg.RPID, rp.cfg.Origins, rp.cfg.OpaqueOrigins, rp.cfg.TopOrigins,
		protocol.TopOriginExplicitVerificationMode, len(rp.cfg.TopOrigins) > 0, uvRequired, true,
		nil, rp.credParams, protocol.AttestationPolicy{}, protocol.SignaturePolicy{}); err != nil {
		detail := describe(err)
		// go-webauthn refuses a packed or fido-u2f chain (a tpm AIK) outside its validity without
		// saying which certificate; name it (Resp-5 F-6, F-7, F-12 of the FIDO test list).
		if st, _ := StatementOf(att); len(st.Chain) > 0 {
			if v := trust.CheckValidity(st.Chain, rp.cfg.Now()); v != nil {
				detail = v.Error()
			}
		}
		return nil, &passkeyd.Error{Code: passkeyd.CodeAttestationInvalid, Detail: "attestation statement (" + att.Format + ") does not verify: " + detail, Err: err}
	}
	// A U2F device has no AAGUID. The WebAuthn verification procedure (§8.6) does not
	// check it (the specification's own example carries one), but the FIDO server test list
	// refuses a fido-u2f statement with a non-zero AAGUID.
	if rp.cfg.Conformance && att.Format == "fido-u2f" && !bytes.Equal(ad.AttData.AAGUID, make([]byte, 16)) {
		return nil, passkeyd.Errorf(passkeyd.CodeAttestationInvalid, "a fido-u2f attestation must report the zero AAGUID (§8.6)")
	}
	// The FIDO server test list (Resp-5 F-10) refuses a packed x5c that carries its root:
	// a trust anchor is the relying party's to supply, never the authenticator's.
	if rp.cfg.Conformance && att.Format == "packed" && carriesRoot(att) {
		return nil, passkeyd.Errorf(passkeyd.CodeAttestationInvalid, "packed attStmt.x5c must not include a self-signed root certificate")
	}
	// Step 23: is the verified statement trustworthy, per the profile's policy?
	if err := rp.checkTrust(ch.Attachment, att); err != nil {
		return nil, err
	}

	pk := &passkeyd.Passkey{
		ID:                bytes.Clone(ad.AttData.CredentialID),
		PublicKey:         bytes.Clone(ad.AttData.CredentialPublicKey),
		Algorithm:         alg,
		SignCount:         ad.Counter,
		AAGUID:            bytes.Clone(ad.AttData.AAGUID),
		Transports:        cleanTransports(r.transports),
		AttestationFormat: att.Format,
		AttestationType:   att.Type,
		BackupEligible:    ad.Flags.HasBackupEligible(),
		BackedUp:          ad.Flags.HasBackupState(),
		UserVerified:      ad.Flags.HasUserVerified(),
		Discoverable:      discoverable(ch.ResidentKey, p.ClientExtensionResults.CredProps),
	}
	return pk, nil
}

// carriesRoot reports whether a statement's x5c, beyond its leaf, includes a self-signed
// certificate.
func carriesRoot(att *protocol.AttestationObject) bool {
	raw, _ := att.AttStatement["x5c"].([]any)
	for i, c := range raw {
		der, _ := c.([]byte)
		cert, err := x509.ParseCertificate(der)
		if i > 0 && err == nil && bytes.Equal(cert.RawIssuer, cert.RawSubject) && cert.CheckSignatureFrom(cert) == nil {
			return true
		}
	}
	return false
}

// discoverable applies the credProps rule: residentKey=required ⇒ true; else credProps.rk
// when the client reported it; else unknown.
func discoverable(residentKey string, props *protocol.CredentialPropertiesOutput) *bool {
	if residentKey == "required" {
		t := true
		return &t
	}
	if props != nil && props.RK != nil {
		rk := *props.RK
		return &rk
	}
	return nil
}

func keyAlgorithm(cose []byte) (int64, error) {
	var pk webauthncose.PublicKeyData
	if err := webauthncbor.Unmarshal(cose, &pk); err != nil {
		return 0, fmt.Errorf("not a COSE key")
	}
	return pk.Algorithm, nil
}

func (rp *RP) algAllowed(alg int64) bool {
	for _, a := range rp.cfg.Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// checkShared runs, in the specification's order, the steps registration (§7.1 steps 7–17)
// and authentication (§7.2 steps 11–18) have in common: C.type, C.challenge, origin and
// topOrigin, rpIdHash, and the UP, UV and BE/BS flags.
func (rp *RP) checkShared(typ protocol.CeremonyType, c passkeyd.Ceremony, cd *protocol.CollectedClientData, ad *protocol.AuthenticatorData, ch *passkeyd.Challenge, signed []byte) error {
	if cd.Type != typ {
		return passkeyd.Errorf(passkeyd.CodeCeremonyTypeMismatch, "clientDataJSON.type is %q, expected %q", cd.Type, typ)
	}
	// The caller found ch by the signed challenge; compare again in constant time so that
	// verification is correct on its own.
	if ch.Ceremony != c || subtle.ConstantTimeCompare(ch.Value, signed) != 1 {
		return passkeyd.ErrChallengeUnknown
	}
	if err := rp.checkOrigin(cd); err != nil {
		return err
	}
	if !bytes.Equal(ad.RPIDHash, rp.rpIDHash[:]) {
		return passkeyd.Errorf(passkeyd.CodeRPIDMismatch, "authenticatorData.rpIdHash is not the SHA-256 of %q", rp.cfg.RPID)
	}
	f := ad.Flags
	if rp.presenceOptional(typ, ch) {
		f |= protocol.FlagUserPresent
	}
	return checkFlags(f, ch.UserVerification)
}

// presenceOptional reports whether UP may be clear: only in the conformance profile's
// assertions, whose test list (Server-ServerAuthenticatorAssertionResponse-Resp-3 P-2, P-4,
// P-6, P-7) expects assertions without UP to pass whatever userVerification asked for.
func (rp *RP) presenceOptional(typ protocol.CeremonyType, ch *passkeyd.Challenge) bool {
	return rp.cfg.Conformance && typ == protocol.AssertCeremony
}

// checkOrigin covers §7.1 steps 9–10 and §7.2 steps 13–14.
func (rp *RP) checkOrigin(cd *protocol.CollectedClientData) error {
	if !rp.originAllowed(cd.Origin) {
		return passkeyd.Errorf(passkeyd.CodeOriginMismatch, "clientDataJSON.origin %q is not an allowed origin", cd.Origin)
	}
	if cd.CrossOrigin || cd.TopOrigin != "" {
		// A ceremony in a cross-origin iframe is acceptable only when the embedding page is
		// one the operator listed; without a topOrigin we cannot tell who embeds us.
		if !cd.CrossOrigin || cd.TopOrigin == "" || !rp.topOriginAllowed(cd.TopOrigin) {
			return passkeyd.Errorf(passkeyd.CodeOriginMismatch, "cross-origin ceremony from top origin %q is not allowed", cd.TopOrigin)
		}
	}
	// Level 2 §7.1 step 10 / §7.2 step 14: tokenBinding.status must match the connection.
	// passkeyd never negotiates Token Binding, so "present" cannot be true of it.
	if tb := cd.TokenBinding; tb != nil {
		switch tb.Status {
		case protocol.Supported, protocol.NotSupported:
		case protocol.Present:
			return invalid("clientDataJSON.tokenBinding.status is present, but this server does not use Token Binding")
		default:
			return invalid("clientDataJSON.tokenBinding.status %q is not present, supported or not-supported", tb.Status)
		}
	}
	return nil
}

// checkFlags covers UP, UV and the BE/BS consistency of §6.1 (§7.1 steps 14–17, §7.2
// steps 16–18).
func checkFlags(f protocol.AuthenticatorFlags, userVerification string) error {
	if !f.HasUserPresent() {
		return passkeyd.Errorf(passkeyd.CodeUserPresenceRequired, "the authenticator did not report user presence (UP)")
	}
	if userVerification == "required" && !f.HasUserVerified() {
		return passkeyd.Errorf(passkeyd.CodeUserVerificationRequired, "user verification is required but the authenticator did not perform it (UV)")
	}
	if f.HasBackupState() && !f.HasBackupEligible() {
		return passkeyd.Errorf(passkeyd.CodeFlagsInvalid, "backup state (BS) set on a credential that is not backup eligible (BE)")
	}
	return nil
}

var knownTransports = map[string]bool{"usb": true, "nfc": true, "ble": true, "smart-card": true, "hybrid": true, "internal": true}

// cleanTransports keeps the known transport names, once each, at most six: the list is
// echoed back in options, so a client must not be able to store arbitrary strings in it.
func cleanTransports(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		if knownTransports[t] && !contains(out, t) {
			out = append(out, t)
		}
	}
	// One canonical order, whatever order the browser reported: the decoys for unknown
	// usernames use the same order, so the order cannot tell real lists from decoys.
	slices.Sort(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func invalid(format string, args ...any) error {
	return passkeyd.Errorf(passkeyd.CodeInvalidRequest, format, args...)
}

// describe renders a go-webauthn error with its details, which say which check failed.
func describe(err error) string {
	if e, ok := err.(*protocol.Error); ok {
		s := e.Details
		if s == "" {
			s = e.Type
		}
		if e.DevInfo != "" {
			s += " (" + e.DevInfo + ")"
		}
		return s
	}
	return err.Error()
}

// strictUnmarshal decodes one JSON value and refuses trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}
