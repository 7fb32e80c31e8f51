package softauthn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// b64 is a binary member of WebAuthn JSON. It decodes base64url with or without padding,
// and standard base64 as some servers send (encoding/json's []byte); it encodes base64url
// without padding (§5.1.8's Base64URLString).
type b64 []byte

func (b *b64) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return errors.New("softauthn: binary member is not a base64url string")
	}
	s := bytes.TrimRight(data[1:len(data)-1], "=")
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(s)))
	n, err := base64.RawURLEncoding.Decode(out, s)
	if err != nil {
		if n, err = base64.RawStdEncoding.Decode(out, s); err != nil {
			return fmt.Errorf("softauthn: binary member is not base64url: %w", err)
		}
	}
	*b = out[:n]
	return nil
}

func (b b64) MarshalJSON() ([]byte, error) {
	return appendB64(nil, b), nil
}

// descriptor is PublicKeyCredentialDescriptorJSON.
type descriptor struct {
	Type string `json:"type"`
	ID   b64    `json:"id"`
}

// credParam is PublicKeyCredentialParameters.
type credParam struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

// creationOptions is the part of PublicKeyCredentialCreationOptionsJSON (§5.4) an
// authenticator acts on.
type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID b64 `json:"id"`
	} `json:"user"`
	Challenge          b64          `json:"challenge"`
	PubKeyCredParams   []credParam  `json:"pubKeyCredParams"`
	ExcludeCredentials []descriptor `json:"excludeCredentials"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptionsJSON (§5.5) an
// authenticator acts on.
type requestOptions struct {
	Challenge        b64          `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

// The envelopes accept both a server's {"publicKey": {...}} body (CredentialCreationOptions
// as passed to navigator.credentials.create()) and the bare options in one decode.
type creationEnvelope struct {
	PublicKey *creationOptions `json:"publicKey"`
	creationOptions
}

type requestEnvelope struct {
	PublicKey *requestOptions `json:"publicKey"`
	requestOptions
}

func parseCreation(data []byte) (*creationOptions, error) {
	var env creationEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	o := &env.creationOptions
	if env.PublicKey != nil {
		o = env.PublicKey
	}
	// A browser throws TypeError for these before any authenticator is asked (§5.1.3).
	if len(o.Challenge) == 0 {
		return nil, errors.New("softauthn: creation options have no challenge")
	}
	if n := len(o.User.ID); n < 1 || n > 64 {
		return nil, fmt.Errorf("softauthn: creation options user.id is %d bytes, not 1 to 64", n)
	}
	return o, nil
}

func parseRequest(data []byte) (*requestOptions, error) {
	var env requestEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	o := &env.requestOptions
	if env.PublicKey != nil {
		o = env.PublicKey
	}
	if len(o.Challenge) == 0 {
		return nil, errors.New("softauthn: request options have no challenge")
	}
	return o, nil
}

// rpID is the RP ID a browser uses: the options' or, absent that, the origin's host
// (§5.1.3, §5.1.4.1).
func (a *Authenticator) rpID(fromOptions string) (string, error) {
	if fromOptions != "" {
		return fromOptions, nil
	}
	if a.rpIDFromO == "" {
		return "", fmt.Errorf("softauthn: options have no RP ID and origin %q has no host", a.opts.Origin)
	}
	return a.rpIDFromO, nil
}
