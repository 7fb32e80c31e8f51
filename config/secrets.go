package config

import (
	"math"
	"strings"

	"github.com/passkeyd/passkeyd/keyring"
)

// minTokenBits is the strength an admin token must have: 128 bits, what a guesser facing
// any rate limit will never exhaust.
const minTokenBits = 128

// tokenBits estimates the entropy of a token someone chose, conservatively, in bits. A
// token from a generator (openssl rand -base64 32: 44 characters of a 64-letter alphabet)
// scores far above the bar; a memorable or patterned one does not:
//
//   - each character is worth log2 of the alphabet the token draws from — the character
//     classes it uses (16 for hex, 26/52/62 for letters and digits, +33 for punctuation) —
//     unless the token has far fewer distinct characters than a random one of its length
//     would, when it is worth log2 of that count only ("aaaa…" is worth nothing);
//   - a token that repeats a shorter block ("Xy7$Xy7$…", "abab…") is worth its block only;
//   - a character that continues a run of three equal steps ("abcde", "12345", "zzzz")
//     adds nothing.
//
// It is an estimate, not a proof: it refuses the tokens people type and accepts the ones
// machines make.
func tokenBits(tok string) float64 {
	s := []rune(tok)
	if len(s) == 0 {
		return 0
	}
	s = s[:period(s)]
	var lower, upper, digit, other, hexOnly bool
	hexOnly = true
	distinct := map[rune]bool{}
	for _, r := range s {
		distinct[r] = true
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			hexOnly = false
		}
	}
	alphabet := 0
	if hexOnly && !(lower && upper) {
		alphabet = 16
	} else {
		for _, c := range []struct {
			used bool
			n    int
		}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
			if c.used {
				alphabet += c.n
			}
		}
	}
	// A random string of n characters from an alphabet of A shows about
	// A·(1−(1−1/A)^n) distinct ones; far fewer means it was not drawn from that alphabet.
	perChar := math.Log2(float64(alphabet))
	n := float64(len(s))
	if expected := float64(alphabet) * (1 - math.Pow(1-1/float64(alphabet), n)); float64(len(distinct)) < expected/2 {
		perChar = math.Log2(float64(len(distinct)))
	}
	effective := 0
	for i := range s {
		if i >= 3 && s[i]-s[i-1] == s[i-1]-s[i-2] && s[i-1]-s[i-2] == s[i-2]-s[i-3] {
			continue
		}
		effective++
	}
	return float64(effective) * perChar
}

// period is the length of the shortest block that s repeats (a prefix of it when the last
// repetition is cut short); len(s) when it repeats nothing.
func period(s []rune) int {
	for p := 1; p <= len(s)/2; p++ {
		repeats := true
		for i := p; i < len(s); i++ {
			if s[i] != s[i-p] {
				repeats = false
				break
			}
		}
		if repeats {
			return p
		}
	}
	return len(s)
}

// Keyring returns the keyring of encryptionKeys (nil keys: values stay as they are).
func (c *Config) Keyring() (*keyring.Keyring, error) {
	return keyring.Parse(strings.Join(c.EncryptionKeys, ","))
}
