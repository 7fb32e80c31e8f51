package softauthn

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Flag bits of authenticatorData (§6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
	flagED = 0x80
)

// appendClientData appends CollectedClientData serialised as browsers do (§5.8.1.1,
// CCDToString): members type, challenge, origin, crossOrigin, then topOrigin when
// cross-origin. Servers must not compare it against a template, but the order is the
// browsers' all the same.
func (a *Authenticator) appendClientData(dst []byte, typ string, challenge []byte, t *Tamper) []byte {
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
	top := a.opts.TopOrigin
	if t.TopOrigin != "" {
		top = t.TopOrigin
	}
	cross := top != "" || a.opts.CrossOrigin || t.CrossOrigin
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"challenge":`...)
	dst = appendB64(dst, challenge)
	dst = append(dst, `,"origin":`...)
	dst = appendString(dst, origin)
	if cross {
		dst = append(dst, `,"crossOrigin":true`...)
		if top != "" {
			dst = append(dst, `,"topOrigin":`...)
			dst = appendString(dst, top)
		}
	} else {
		dst = append(dst, `,"crossOrigin":false`...)
	}
	return append(dst, '}')
}

// appendAuthData appends the 37 fixed bytes of authenticatorData (§6.1): rpIdHash, flags
// and signCount, with the Options' flags and the Tamper's changes.
func (a *Authenticator) appendAuthData(dst []byte, rpIDHash *[32]byte, count uint32, attested bool, t *Tamper) []byte {
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
	if t.ClearBS {
		flags &^= flagBS
	}
	if t.SignCount != nil {
		count = *t.SignCount
	}
	dst = append(dst, rpIDHash[:]...)
	dst = append(dst, flags)
	return binary.BigEndian.AppendUint32(dst, count)
}

// appendB64 appends src as a JSON string in base64url without padding.
func appendB64(dst, src []byte) []byte {
	dst = append(dst, '"')
	dst = base64.RawURLEncoding.AppendEncode(dst, src)
	return append(dst, '"')
}

// b64Len is the length appendB64 adds for n bytes.
func b64Len(n int) int { return base64.RawURLEncoding.EncodedLen(n) + 2 }

// appendString appends s as a JSON string the way JSON.stringify escapes it: quote,
// backslash and control characters only; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

func appendBool(dst []byte, v bool) []byte { return strconv.AppendBool(dst, v) }
