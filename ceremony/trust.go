package ceremony

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/trust"
)

// conveyance is the attestation conveyance of an attachment's profile.
func (rp *RP) conveyance(attachment string) string {
	if a := rp.cfg.Profile(attachment).Attestation; a != "" {
		return a
	}
	return rp.cfg.Attestation
}

// checkTrust is §7.1 step 23: it assesses the trustworthiness of a statement that has
// verified, by the trust policy of the attachment the ceremony was for.
func (rp *RP) checkTrust(attachment string, att *protocol.AttestationObject) error {
	st, err := StatementOf(att)
	if err != nil {
		return err
	}
	if err := rp.cfg.AAGUIDs.Check(st.AAGUID); err != nil {
		return &passkeyd.Error{Code: passkeyd.CodeAttestationInvalid, Detail: err.Error(), Err: err}
	}
	md := rp.cfg.Trust.Current()
	entry := md.Entry(st.AAGUID, st.Chain)
	if err := trust.Evaluate(rp.cfg.Profile(attachment).Trust, st, entry, rp.cfg.Trust.Roots, rp.cfg.Now()); err != nil {
		return &passkeyd.Error{Code: passkeyd.CodeAttestationInvalid, Detail: err.Error(), Err: err}
	}
	return nil
}

// StatementOf extracts what trust decisions need from a verified attestation object: the
// format, the type go-webauthn determined, the AAGUID, the x5c chain and the algorithms of
// the statement and of the credential key.
func StatementOf(att *protocol.AttestationObject) (trust.Statement, error) {
	st := trust.Statement{Format: att.Format, Type: att.Type}
	if id, err := uuid.FromBytes(att.AuthData.AttData.AAGUID); err == nil {
		st.AAGUID = id
	}
	switch a := att.AttStatement["alg"].(type) {
	case int64:
		st.Alg = a
	case uint64:
		st.Alg = int64(a) //nolint:gosec // a COSE alg; a huge one matches nothing listed
	}
	var key webauthncose.PublicKeyData
	if webauthncbor.Unmarshal(att.AuthData.AttData.CredentialPublicKey, &key) == nil {
		st.KeyAlg = key.Algorithm
	}
	// The format's verifier has accepted the chain; one this parser cannot read (some
	// TPMs' negative serial numbers) is left out, so only a policy that needs the chain
	// refuses it.
	raw, _ := att.AttStatement["x5c"].([]any)
	if att.Format == "android-safetynet" {
		raw = safetyNetChain(att.AttStatement)
	}
	for _, c := range raw {
		der, _ := c.([]byte)
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			st.Chain = nil
			break
		}
		st.Chain = append(st.Chain, cert)
	}
	return st, nil
}

// safetyNetChain returns the x5c of an android-safetynet statement (§8.5), which is in the
// header of its JWS rather than in attStmt. The verifier has already checked the JWS; this
// only reads the header, so the trust policy can check the chain like any other.
func safetyNetChain(stmt map[string]any) []any {
	jws, _ := stmt["response"].([]byte)
	header, _, ok := strings.Cut(string(jws), ".")
	if !ok {
		return nil
	}
	h, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return nil
	}
	var hdr struct {
		X5C [][]byte `json:"x5c"` // RFC 7515 §4.1.6: standard base64, which encoding/json decodes
	}
	if json.Unmarshal(h, &hdr) != nil {
		return nil
	}
	out := make([]any, len(hdr.X5C))
	for i, c := range hdr.X5C {
		out[i] = c
	}
	return out
}
