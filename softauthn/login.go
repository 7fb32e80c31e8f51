package softauthn

import (
	"crypto/sha256"
)

// Login answers navigator.credentials.get() for options: a server's
// {"publicKey": PublicKeyCredentialRequestOptionsJSON} body or the bare options. It
// returns AuthenticationResponseJSON.
//
// With a non-empty allowCredentials it uses the first listed credential held here for
// the RP ID; with an empty one, the newest discoverable credential for the RP ID.
// Either way ErrNoCredential if there is none. The signature covers authenticatorData ||
// SHA-256(clientDataJSON) (§6.3.3); the counter advances unless
// Options.ZeroCounter; userHandle is set for discoverable credentials.
func (a *Authenticator) Login(options []byte) ([]byte, error) {
	return a.LoginWith(options, Tamper{})
}

// LoginWith is Login with t applied.
func (a *Authenticator) LoginWith(options []byte, t Tamper) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	o, err := parseRequest(options)
	if err != nil {
		return nil, err
	}
	rpID, err := a.rpID(o.RPID)
	if err != nil {
		return nil, err
	}
	c := a.pick(rpID, o.AllowCredentials)
	if c == nil {
		return nil, ErrNoCredential
	}
	var count uint32
	if !a.opts.ZeroCounter {
		count = c.count.Add(1)
	}

	// clientDataJSON and the signed message stay on the stack in the common case.
	var cdBuf [384]byte
	clientData, err := t.editClientData(a.appendClientData(cdBuf[:0], "webauthn.get", o.Challenge, &t))
	if err != nil {
		return nil, err
	}
	cdHash := sha256.Sum256(clientData)
	rpIDHash := &c.rpIDHash
	if t.RPID != "" {
		h := sha256.Sum256([]byte(t.RPID))
		rpIDHash = &h
	}
	var msgBuf [37 + 32]byte
	msg := a.appendAuthData(msgBuf[:0], rpIDHash, count, false, &t)
	if t.AuthData != nil {
		msg = t.AuthData(msg)
	}
	authData := msg[:len(msg):len(msg)]
	msg = append(msg, cdHash[:]...)
	sig, err := signAlg(c.key, c.alg, msg)
	if err != nil {
		return nil, err
	}
	if t.CorruptSignature {
		corrupt(sig)
	}

	rawID := c.id
	if t.RawID != nil {
		rawID = t.RawID
	}
	var userHandle []byte
	switch {
	case t.OmitUserHandle:
	case t.UserHandle != nil:
		userHandle = t.UserHandle
	case c.discoverable:
		userHandle = c.userHandle
	}

	// AuthenticationResponseJSON (§5.1.8), members in lexicographic order as browsers
	// convert WebIDL dictionaries.
	out := make([]byte, 0, 224+len(a.opts.Attachment)+2*b64Len(len(rawID))+b64Len(len(authData))+
		b64Len(len(clientData))+b64Len(len(sig))+b64Len(len(userHandle)))
	out = append(out, `{"authenticatorAttachment":`...)
	out = appendString(out, a.opts.Attachment)
	out = append(out, `,"clientExtensionResults":{},"id":`...)
	out = appendB64(out, rawID)
	out = append(out, `,"rawId":`...)
	out = appendB64(out, rawID)
	out = append(out, `,"response":{"authenticatorData":`...)
	out = appendB64(out, authData)
	out = append(out, `,"clientDataJSON":`...)
	out = appendB64(out, clientData)
	out = append(out, `,"signature":`...)
	out = appendB64(out, sig)
	if userHandle != nil {
		out = append(out, `,"userHandle":`...)
		out = appendB64(out, userHandle)
	}
	out = append(out, `},"type":"public-key"}`...)
	return out, nil
}

// pick chooses the credential for a get() (§6.3.3).
func (a *Authenticator) pick(rpID string, allow []descriptor) *credential {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if len(allow) > 0 {
		for _, d := range allow {
			if c := a.byID[string(d.ID)]; c != nil && c.rpID == rpID {
				return c
			}
		}
		return nil
	}
	for i := len(a.creds) - 1; i >= 0; i-- {
		if c := a.creds[i]; c.discoverable && c.rpID == rpID {
			return c
		}
	}
	return nil
}
