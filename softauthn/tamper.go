package softauthn

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Tamper changes what one RegisterWith or LoginWith call produces, to make each payload a
// server must refuse while everything else about it stays valid (signatures are computed
// over the tampered data unless a Corrupt field says otherwise). The zero value changes
// nothing. Fields marked register-only or login-only are refused by the other call, so a
// test cannot silently tamper with nothing.
type Tamper struct {
	// clientDataJSON (§5.8.1), checked in §7.1 and §7.2.
	Type        string // type instead of webauthn.create / webauthn.get
	Challenge   []byte // challenge instead of the options'; non-nil empty sends ""
	Origin      string // origin instead of Options.Origin
	TopOrigin   string // topOrigin instead of Options.TopOrigin; implies crossOrigin true
	CrossOrigin bool   // crossOrigin true

	// authenticatorData (§6.1), checked in §7.1 and §7.2.
	RPID      string  // hash this into rpIdHash instead of the RP ID
	ClearUP   bool    // clear UP (user present)
	ClearUV   bool    // clear UV (user verified)
	SetBE     bool    // set BE (backup eligible)
	ClearBE   bool    // clear BE
	SetBS     bool    // set BS (backed up); without SetBE or Options.BackupEligible this is BS without BE
	ClearBS   bool    // clear BS
	SignCount *uint32 // report this signCount; the stored counter still advances

	// Signatures.
	CorruptSignature   bool // login-only: flip a bit of the assertion signature (§6.3.3)
	CorruptAttestation bool // register-only: flip a bit of attStmt.sig (§8)

	// Credential ids and keys.
	RawID           []byte    // report this id and rawId instead of the credential's
	CredentialID    []byte    // register-only: create the credential under this id
	CredentialIDLen int       // register-only: create it under a random id of this many bytes (e.g. 1024, §7.1 step 24)
	Algorithm       int64     // register-only: claim this COSE alg in the credential public key and publicKeyAlgorithm
	AAGUID          *[16]byte // register-only: report this AAGUID (e.g. a non-zero one with fido-u2f, §8.6)

	// userHandle, which §7.2 matches against the credential's user.
	UserHandle     []byte // login-only: report this userHandle
	OmitUserHandle bool   // login-only: report none, even for a discoverable credential

	// Structure edits, for the malformed payloads of the FIDO server test list (wrong types,
	// missing members, leftover bytes). Each runs on the value about to be encoded, so the
	// signatures cover the edited bytes and only the edit itself can make a server refuse.
	//
	// ClientData edits the members of clientDataJSON, which is then re-serialised with
	// encoding/json (members sorted); e.g. set "tokenBinding" or delete "type".
	ClientData func(members map[string]any)
	// AuthData replaces authenticatorData (flags, attested credential data, extensions,
	// trailing bytes); see AuthDataFlags for the bits.
	AuthData func(authData []byte) []byte
	// CredentialKey (register-only) edits the COSE_Key (RFC 9052 §7: 1 kty, 3 alg, -1 crv,
	// ...) before it goes into the attested credential data.
	CredentialKey func(key map[int]any)
	// AttestationObject (register-only) returns the value encoded as attestationObject,
	// given the map about to be encoded (fmt, attStmt, authData): edit and return it, or
	// return something else entirely (an array, a string).
	AttestationObject func(obj map[string]any) any
}

// AuthDataFlags are the flag bits of authenticatorData (§6.1), for Tamper.AuthData.
const (
	FlagUP = flagUP
	FlagUV = flagUV
	FlagBE = flagBE
	FlagBS = flagBS
	FlagAT = flagAT
	FlagED = flagED
)

// check refuses fields that do not apply to the ceremony.
func (t *Tamper) check(register bool) error {
	var wrong string
	switch {
	case register && t.CorruptSignature:
		wrong = "CorruptSignature (assertions only; use CorruptAttestation)"
	case register && t.UserHandle != nil:
		wrong = "UserHandle (assertions only)"
	case register && t.OmitUserHandle:
		wrong = "OmitUserHandle (assertions only)"
	case !register && t.CorruptAttestation:
		wrong = "CorruptAttestation (registrations only; use CorruptSignature)"
	case !register && (t.CredentialID != nil || t.CredentialIDLen != 0):
		wrong = "CredentialID (registrations only; use RawID)"
	case !register && t.Algorithm != 0:
		wrong = "Algorithm (registrations only)"
	case !register && t.AAGUID != nil:
		wrong = "AAGUID (registrations only)"
	case !register && t.CredentialKey != nil:
		wrong = "CredentialKey (registrations only)"
	case !register && t.AttestationObject != nil:
		wrong = "AttestationObject (registrations only)"
	}
	if wrong != "" {
		return fmt.Errorf("softauthn: Tamper.%s", wrong)
	}
	if t.CredentialID != nil && t.CredentialIDLen != 0 {
		return errors.New("softauthn: Tamper.CredentialID and CredentialIDLen are exclusive")
	}
	if t.CredentialIDLen < 0 || t.CredentialIDLen > 0xffff || len(t.CredentialID) > 0xffff {
		return errors.New("softauthn: a credential id must fit authenticatorData's 16-bit length (§6.5.1)")
	}
	return nil
}

// editClientData applies t.ClientData to serialised clientDataJSON.
func (t *Tamper) editClientData(clientData []byte) ([]byte, error) {
	if t.ClientData == nil {
		return clientData, nil
	}
	var m map[string]any
	if err := json.Unmarshal(clientData, &m); err != nil {
		return nil, err
	}
	t.ClientData(m)
	return json.Marshal(m)
}

// editCredentialKey applies t.CredentialKey to an encoded COSE_Key.
func (t *Tamper) editCredentialKey(cose []byte) ([]byte, error) {
	if t.CredentialKey == nil {
		return cose, nil
	}
	var m map[int]any
	if err := cbor.Unmarshal(cose, &m); err != nil {
		return nil, err
	}
	t.CredentialKey(m)
	return ctap2.Marshal(m)
}

// corrupt flips the low bit of a signature's last byte: still well-formed DER for ECDSA,
// so a verifier rejects the signature itself rather than its encoding.
func corrupt(sig []byte) {
	if len(sig) > 0 {
		sig[len(sig)-1] ^= 1
	}
}
