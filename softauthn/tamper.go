package softauthn

import (
	"errors"
	"fmt"
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
}

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

// corrupt flips the low bit of a signature's last byte: still well-formed DER for ECDSA,
// so a verifier rejects the signature itself rather than its encoding.
func corrupt(sig []byte) {
	if len(sig) > 0 {
		sig[len(sig)-1] ^= 1
	}
}
