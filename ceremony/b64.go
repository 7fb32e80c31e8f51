package ceremony

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Bytes is binary data in JSON. It encodes as base64url without padding (WebAuthn Level 3
// JSON) and decodes leniently: padded or unpadded, URL or standard alphabet, because
// browsers and client libraries vary and the contract asks us to accept all four.
type Bytes []byte

var errNotBase64 = errors.New("not a base64 or base64url string")

// MarshalJSON encodes b as unpadded base64url.
func (b Bytes) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, base64.RawURLEncoding.EncodedLen(len(b))+2)
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, b)
	return append(out, '"'), nil
}

// UnmarshalJSON decodes a JSON string in any of the accepted base64 forms. null leaves b nil.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var s string
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' && !bytes.ContainsAny(data[1:n-1], "\\\"") {
		s = string(data[1 : n-1]) // the common case: a plain string, no escapes to undo
	} else if err := json.Unmarshal(data, &s); err != nil {
		return errNotBase64
	}
	v, err := DecodeBase64(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// DecodeBase64 decodes base64url or standard base64, with or without padding.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		if strings.ContainsAny(s, "-_") {
			return nil, errNotBase64 // a mix of both alphabets is no encoding at all
		}
		enc = base64.RawStdEncoding
	}
	v, err := enc.Strict().DecodeString(s)
	if err != nil {
		// Strict rejects non-zero trailing bits; accept them as the library and browsers do.
		v, err = enc.DecodeString(s)
		if err != nil {
			return nil, errNotBase64
		}
	}
	return v, nil
}

// EncodeBase64 encodes b as unpadded base64url, the form the API always returns.
func EncodeBase64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
