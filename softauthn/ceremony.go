package softauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// Tamper changes what one ceremony produces, to make the payloads a server must refuse.
// The zero value changes nothing.
type Tamper struct {
	Type        string // clientDataJSON.type instead of webauthn.create / webauthn.get
	Challenge   []byte // clientDataJSON.challenge instead of the options' challenge
	Origin      string // clientDataJSON.origin instead of Options.Origin
	TopOrigin   string // adds topOrigin and sets crossOrigin
	CrossOrigin bool   // sets crossOrigin
	RPID        string // hashes this into rpIdHash instead of the options' RP ID

	ClearUP, ClearUV bool // clear the user present / verified flags
	SetBE, ClearBE   bool // force the backup eligible flag
	SetBS            bool // set backup state (without BE, unless SetBE)

	SignCount *uint32 // the counter to report (the stored one is not changed)

	CorruptSignature   bool // flip a bit in the assertion or packed-self/u2f signature
	CorruptAttestation bool // flip a bit in the attestation statement's signature

	RawID          []byte // report this id/rawId instead of the credential's
	CredentialID   []byte // register under this credential id (e.g. 1024 bytes)
	UserHandle     []byte // report this userHandle
	OmitUserHandle bool

	Algorithm int64 // claim this COSE alg in the credential public key
}

type b64 []byte

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	s = strings.TrimRight(s, "=")
	v, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		v, err = base64.RawStdEncoding.DecodeString(s)
	}
	*b = v
	return err
}

func (b b64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + base64.RawURLEncoding.EncodeToString(b) + `"`), nil
}

type descriptor struct {
	ID b64 `json:"id"`
}

type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID b64 `json:"id"`
	} `json:"user"`
	Challenge        b64 `json:"challenge"`
	PubKeyCredParams []struct {
		Alg int64 `json:"alg"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials     []descriptor `json:"excludeCredentials"`
	AuthenticatorSelection struct {
		ResidentKey string `json:"residentKey"`
	} `json:"authenticatorSelection"`
}

type requestOptions struct {
	Challenge        b64          `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

// unwrap accepts either {"publicKey": {...}} (the server's response) or the bare options.
func unwrap(data []byte, v any) error {
	var env struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(data, &env); err == nil && len(env.PublicKey) > 0 {
		data = env.PublicKey
	}
	return json.Unmarshal(data, v)
}

// Register answers navigator.credentials.create() for the options JSON.
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	return a.RegisterWith(options, Tamper{})
}

// RegisterWith is Register with a Tamper applied.
func (a *Authenticator) RegisterWith(options []byte, t Tamper) ([]byte, error) {
	var o creationOptions
	if err := unwrap(options, &o); err != nil {
		return nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	offered := false
	for _, p := range o.PubKeyCredParams {
		offered = offered || p.Alg == a.opts.Algorithm
	}
	if !offered {
		return nil, ErrAlgorithm
	}
	a.mu.Lock()
	for _, ex := range o.ExcludeCredentials {
		for _, c := range a.cred {
			if bytes.Equal(c.id, ex.ID) && c.rpID == o.RP.ID {
				a.mu.Unlock()
				return nil, ErrExcluded
			}
		}
	}
	a.mu.Unlock()

	key, err := newKey(a.opts.Algorithm)
	if err != nil {
		return nil, err
	}
	alg := a.opts.Algorithm
	if t.Algorithm != 0 {
		alg = t.Algorithm
	}
	cose, err := coseKey(key, alg)
	if err != nil {
		return nil, err
	}
	id := t.CredentialID
	if id == nil {
		id = make([]byte, 32)
		_, _ = rand.Read(id)
	}
	c := &credential{
		id: id, rpID: o.RP.ID, userHandle: clone(o.User.ID), alg: a.opts.Algorithm, key: key, cose: cose,
		discoverable: !a.opts.NonDiscoverable,
	}

	clientData := a.clientData("webauthn.create", o.Challenge, t)
	rpID := o.RP.ID
	if t.RPID != "" {
		rpID = t.RPID
	}
	var count uint32
	if t.SignCount != nil {
		count = *t.SignCount
	}
	authData := a.authData(rpID, count, t, true)
	authData = append(authData, a.opts.AAGUID[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(id)))
	authData = append(authData, id...)
	authData = append(authData, cose...)

	cdHash := sha256.Sum256(clientData)
	fmtName, stmt, err := a.attest(c, authData, cdHash[:], t)
	if err != nil {
		return nil, err
	}
	attObj, err := ctap2.Marshal(map[string]any{"fmt": fmtName, "attStmt": stmt, "authData": authData})
	if err != nil {
		return nil, err
	}

	rawID := id
	if t.RawID != nil {
		rawID = t.RawID
	}
	resp := map[string]any{
		"id":                      base64.RawURLEncoding.EncodeToString(rawID),
		"rawId":                   b64(rawID),
		"type":                    "public-key",
		"authenticatorAttachment": a.opts.Attachment,
		"response": map[string]any{
			"clientDataJSON":     b64(clientData),
			"attestationObject":  b64(attObj),
			"authenticatorData":  b64(authData),
			"transports":         a.opts.Transports,
			"publicKeyAlgorithm": alg,
		},
		"clientExtensionResults": map[string]any{"credProps": map[string]bool{"rk": c.discoverable}},
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.cred = append(a.cred, c)
	a.mu.Unlock()
	return out, nil
}

// attest builds the attestation statement of the configured format.
func (a *Authenticator) attest(c *credential, authData, cdHash []byte, t Tamper) (string, map[string]any, error) {
	signed := append(clone(authData), cdHash...)
	switch a.opts.Attestation {
	case AttestationNone:
		return "none", map[string]any{}, nil
	case AttestationPackedSelf:
		sig, err := sign(c.key, signed)
		if err != nil {
			return "", nil, err
		}
		if t.CorruptAttestation {
			sig[len(sig)-1] ^= 1
		}
		return "packed", map[string]any{"alg": c.alg, "sig": sig}, nil
	case AttestationPacked:
		aaguid := a.opts.AAGUID
		key, cert, err := a.opts.CA.issue(aaguid[:])
		if err != nil {
			return "", nil, err
		}
		sig, err := sign(key, signed)
		if err != nil {
			return "", nil, err
		}
		if t.CorruptAttestation {
			sig[len(sig)-1] ^= 1
		}
		return "packed", map[string]any{"alg": ES256, "sig": sig, "x5c": [][]byte{cert}}, nil
	case AttestationFIDOU2F:
		key, cert, err := a.opts.CA.issue(nil)
		if err != nil {
			return "", nil, err
		}
		ec, ok := c.key.(*ecdsa.PrivateKey)
		if !ok {
			return "", nil, fmt.Errorf("softauthn: fido-u2f needs an EC key")
		}
		msg := []byte{0}
		msg = append(msg, authData[:32]...)
		msg = append(msg, cdHash...)
		msg = append(msg, c.id...)
		msg = append(msg, u2fPublicKey(ec)...)
		sig, err := sign(key, msg)
		if err != nil {
			return "", nil, err
		}
		if t.CorruptAttestation {
			sig[len(sig)-1] ^= 1
		}
		return "fido-u2f", map[string]any{"sig": sig, "x5c": [][]byte{cert}}, nil
	}
	return "", nil, fmt.Errorf("softauthn: unknown attestation %q", a.opts.Attestation)
}

// Login answers navigator.credentials.get() for the options JSON.
func (a *Authenticator) Login(options []byte) ([]byte, error) {
	return a.LoginWith(options, Tamper{})
}

// LoginWith is Login with a Tamper applied.
func (a *Authenticator) LoginWith(options []byte, t Tamper) ([]byte, error) {
	var o requestOptions
	if err := unwrap(options, &o); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	a.mu.Lock()
	c := a.pick(o)
	if c == nil {
		a.mu.Unlock()
		return nil, ErrNoCredential
	}
	if !a.opts.ZeroCounter {
		c.signCount++
	}
	count := c.signCount
	a.mu.Unlock()
	if t.SignCount != nil {
		count = *t.SignCount
	}

	clientData := a.clientData("webauthn.get", o.Challenge, t)
	rpID := o.RPID
	if t.RPID != "" {
		rpID = t.RPID
	}
	authData := a.authData(rpID, count, t, false)
	cdHash := sha256.Sum256(clientData)
	sig, err := sign(c.key, append(clone(authData), cdHash[:]...))
	if err != nil {
		return nil, err
	}
	if t.CorruptSignature {
		sig[len(sig)/2] ^= 1
	}
	rawID := c.id
	if t.RawID != nil {
		rawID = t.RawID
	}
	response := map[string]any{
		"clientDataJSON":    b64(clientData),
		"authenticatorData": b64(authData),
		"signature":         b64(sig),
	}
	switch {
	case t.OmitUserHandle:
	case t.UserHandle != nil:
		response["userHandle"] = b64(t.UserHandle)
	case c.discoverable:
		response["userHandle"] = b64(c.userHandle)
	}
	return json.Marshal(map[string]any{
		"id":                      base64.RawURLEncoding.EncodeToString(rawID),
		"rawId":                   b64(rawID),
		"type":                    "public-key",
		"authenticatorAttachment": a.opts.Attachment,
		"response":                response,
		"clientExtensionResults":  map[string]any{},
	})
}

// pick chooses the credential for a get(): the first allowed one held here, or with an
// empty allow list the newest discoverable credential for the RP. Callers hold a.mu.
func (a *Authenticator) pick(o requestOptions) *credential {
	if len(o.AllowCredentials) > 0 {
		for _, d := range o.AllowCredentials {
			for _, c := range a.cred {
				if bytes.Equal(c.id, d.ID) && c.rpID == o.RPID {
					return c
				}
			}
		}
		return nil
	}
	for i := len(a.cred) - 1; i >= 0; i-- {
		if c := a.cred[i]; c.discoverable && c.rpID == o.RPID {
			return c
		}
	}
	return nil
}

// clientData serialises CollectedClientData the way browsers do (member order type,
// challenge, origin, crossOrigin[, topOrigin]).
func (a *Authenticator) clientData(typ string, challenge []byte, t Tamper) []byte {
	if t.Type != "" {
		typ = t.Type
	}
	if t.Challenge != nil {
		challenge = t.Challenge
	}
	origin := a.opts.Origin
	if t.Origin != "" {
		origin = t.Origin
	}
	cross := t.CrossOrigin || t.TopOrigin != ""
	var b strings.Builder
	b.WriteString(`{"type":`)
	writeJSONString(&b, typ)
	b.WriteString(`,"challenge":"`)
	b.WriteString(base64.RawURLEncoding.EncodeToString(challenge))
	b.WriteString(`","origin":`)
	writeJSONString(&b, origin)
	if cross {
		b.WriteString(`,"crossOrigin":true`)
	} else {
		b.WriteString(`,"crossOrigin":false`)
	}
	if t.TopOrigin != "" {
		b.WriteString(`,"topOrigin":`)
		writeJSONString(&b, t.TopOrigin)
	}
	b.WriteString("}")
	return []byte(b.String())
}

func writeJSONString(b *strings.Builder, s string) {
	out, _ := json.Marshal(s)
	b.Write(out)
}

// Flag bits of authenticatorData (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

func (a *Authenticator) authData(rpID string, count uint32, t Tamper, attested bool) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags := byte(flagUP)
	if !a.opts.NoUserVerification {
		flags |= flagUV
	}
	if a.opts.BackupEligible {
		flags |= flagBE
	}
	if a.opts.BackedUp {
		flags |= flagBS
	}
	if attested {
		flags |= flagAT
	}
	if t.ClearUP {
		flags &^= flagUP
	}
	if t.ClearUV {
		flags &^= flagUV
	}
	if t.SetBE {
		flags |= flagBE
	}
	if t.ClearBE {
		flags &^= flagBE
	}
	if t.SetBS {
		flags |= flagBS
	}
	out := make([]byte, 0, 37+16+2+64+80)
	out = append(out, h[:]...)
	out = append(out, flags)
	return binary.BigEndian.AppendUint32(out, count)
}
