package softauthn

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Register answers navigator.credentials.create() for options: a server's
// {"publicKey": PublicKeyCredentialCreationOptionsJSON} body or the bare options. It
// returns RegistrationResponseJSON and keeps the new credential.
//
// Like a browser and authenticator together it uses the configured algorithm if
// pubKeyCredParams offers it (ErrAlgorithm if not), refuses with ErrExcluded when
// excludeCredentials names a credential held here for the RP, binds the credential to
// rp.id and user.id, and signs the challenge into clientDataJSON.
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	return a.RegisterWith(options, Tamper{})
}

// RegisterWith is Register with t applied. The credential is kept, under its attested id,
// even when t makes the response one a server refuses.
func (a *Authenticator) RegisterWith(options []byte, t Tamper) ([]byte, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	o, err := parseCreation(options)
	if err != nil {
		return nil, err
	}
	rpID, err := a.rpID(o.RP.ID)
	if err != nil {
		return nil, err
	}
	if !a.offered(o) {
		return nil, ErrAlgorithm
	}
	if a.holdsAny(o.ExcludeCredentials, rpID) {
		return nil, ErrExcluded
	}

	id := t.CredentialID
	if id == nil {
		n := t.CredentialIDLen
		if n == 0 {
			n = 32
			if a.opts.Attestation == AttestationFIDOU2F {
				n = 64 // a U2F key handle
			}
		}
		id = make([]byte, n)
		_, _ = rand.Read(id)
	} else {
		id = clone(id)
	}
	c, err := newCredential(id, rpID, o.User.ID, a.opts.Algorithm, !a.opts.NonDiscoverable)
	if err != nil {
		return nil, err
	}
	alg, cose := c.alg, c.cose
	if t.Algorithm != 0 {
		alg = t.Algorithm
		if cose, err = coseKey(c.key.Public(), alg); err != nil {
			return nil, err
		}
	}

	if cose, err = t.editCredentialKey(cose); err != nil {
		return nil, err
	}

	clientData, err := t.editClientData(a.appendClientData(make([]byte, 0, 256), "webauthn.create", o.Challenge, &t))
	if err != nil {
		return nil, err
	}
	cdHash := sha256.Sum256(clientData)

	// authenticatorData with attested credential data (§6.5.1).
	rpIDHash := c.rpIDHash
	if t.RPID != "" {
		rpIDHash = sha256.Sum256([]byte(t.RPID))
	}
	authData := a.appendAuthData(make([]byte, 0, 37+16+2+len(id)+len(cose)), &rpIDHash, 0, true, &t)
	aaguid := a.opts.AAGUID
	if t.AAGUID != nil {
		aaguid = *t.AAGUID
	}
	authData = append(authData, aaguid[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(id)))
	authData = append(authData, id...)
	authData = append(authData, cose...)
	if t.AuthData != nil {
		authData = t.AuthData(authData)
	}

	format, stmt, err := a.attest(c, alg, authData, cdHash[:], &t)
	if err != nil {
		return nil, err
	}
	var obj any = map[string]any{"fmt": format, "attStmt": stmt, "authData": authData}
	if t.AttestationObject != nil {
		obj = t.AttestationObject(obj.(map[string]any))
	}
	attObj, err := ctap2.Marshal(obj)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(c.key.Public())
	if err != nil {
		return nil, err
	}

	rawID := id
	if t.RawID != nil {
		rawID = t.RawID
	}
	// RegistrationResponseJSON (§5.1.8), members in the lexicographic order in which
	// browsers convert WebIDL dictionaries.
	out := make([]byte, 0, 320+2*b64Len(len(rawID))+b64Len(len(attObj))+b64Len(len(authData))+b64Len(len(clientData))+b64Len(len(spki)))
	out = append(out, `{"authenticatorAttachment":`...)
	out = appendString(out, a.opts.Attachment)
	out = append(out, `,"clientExtensionResults":{"credProps":{"rk":`...)
	out = appendBool(out, c.discoverable)
	out = append(out, `}},"id":`...)
	out = appendB64(out, rawID)
	out = append(out, `,"rawId":`...)
	out = appendB64(out, rawID)
	out = append(out, `,"response":{"attestationObject":`...)
	out = appendB64(out, attObj)
	out = append(out, `,"authenticatorData":`...)
	out = appendB64(out, authData)
	out = append(out, `,"clientDataJSON":`...)
	out = appendB64(out, clientData)
	out = append(out, `,"publicKey":`...)
	out = appendB64(out, spki)
	out = append(out, `,"publicKeyAlgorithm":`...)
	out = appendInt(out, alg)
	out = append(out, `,"transports":[`...)
	for i, tr := range a.opts.Transports {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, tr)
	}
	out = append(out, `]},"type":"public-key"}`...)

	a.add(c)
	return out, nil
}

// offered reports whether pubKeyCredParams offers the configured algorithm. An empty list
// means ES256 and RS256 (§5.1.3).
func (a *Authenticator) offered(o *creationOptions) bool {
	if len(o.PubKeyCredParams) == 0 {
		return a.opts.Algorithm == ES256 || a.opts.Algorithm == RS256
	}
	return slices.ContainsFunc(o.PubKeyCredParams, func(p credParam) bool {
		return p.Type == "public-key" && p.Alg == a.opts.Algorithm
	})
}

// holdsAny reports whether a credential for rpID named in list is held here.
func (a *Authenticator) holdsAny(list []descriptor, rpID string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, d := range list {
		if c := a.byID[string(d.ID)]; c != nil && c.rpID == rpID {
			return true
		}
	}
	return false
}

// attest makes the attestation statement (§8) of the configured format over authData and
// the client data hash.
func (a *Authenticator) attest(c *credential, alg int64, authData, cdHash []byte, t *Tamper) (string, map[string]any, error) {
	signed := slices.Concat(authData, cdHash)
	var (
		format string
		stmt   map[string]any
		sig    []byte
		err    error
	)
	switch a.opts.Attestation {
	case AttestationNone:
		if t.CorruptAttestation {
			return "", nil, errors.New("softauthn: Tamper.CorruptAttestation: attestation none has no signature")
		}
		return "none", map[string]any{}, nil
	case AttestationPackedSelf: // §8.2 self attestation: alg is the credential's, sig by its key
		sig, err = signAlg(c.key, c.alg, signed)
		format, stmt = "packed", map[string]any{"alg": alg}
	case AttestationPacked: // §8.2 basic attestation: sig by the key of x5c[0]
		sig, err = sign(a.attKey, signed)
		format, stmt = "packed", map[string]any{"alg": ES256, "x5c": slices.Clone(a.attChain)}
	case AttestationFIDOU2F: // §8.6: the U2F registration response signature
		ec, ok := c.key.Public().(*ecdsa.PublicKey)
		if !ok {
			return "", nil, errors.New("softauthn: fido-u2f needs a P-256 credential key")
		}
		pub, perr := ec.Bytes()
		if perr != nil {
			return "", nil, perr
		}
		msg := make([]byte, 0, 1+32+32+len(c.id)+len(pub))
		msg = append(msg, 0)
		msg = append(msg, authData[:32]...)
		msg = append(msg, cdHash...)
		msg = append(msg, c.id...)
		msg = append(msg, pub...)
		sig, err = sign(a.attKey, msg)
		format, stmt = "fido-u2f", map[string]any{"x5c": [][]byte{a.attChain[0]}}
	default:
		return "", nil, fmt.Errorf("softauthn: unknown attestation %q", a.opts.Attestation)
	}
	if err != nil {
		return "", nil, err
	}
	if t.CorruptAttestation {
		corrupt(sig)
	}
	stmt["sig"] = sig
	return format, stmt, nil
}
