package account

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/passkeyd/passkeyd"
)

var folder = cases.Fold()

// NormalizeUsername validates a username and returns its display form (NFKC) and its key
// (NFKC, case-folded, NFKC again): two usernames are the same account when their keys are
// equal, so "Alice", "ALICE" and "Ａｌｉｃｅ" cannot be registered three times.
func NormalizeUsername(s string) (display, key string, err error) {
	if !utf8.ValidString(s) {
		return "", "", invalid("username is not valid UTF-8")
	}
	display = norm.NFKC.String(s)
	n := utf8.RuneCountInString(display)
	if n < 3 || n > 64 {
		return "", "", invalid("username must be 3 to 64 characters")
	}
	for _, r := range display {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return "", "", invalid("username must not contain spaces or control characters")
		}
	}
	key = norm.NFKC.String(folder.String(display))
	return display, key, nil
}

// cleanName validates a display name or passkey nickname: trimmed, 1–64 code points, no
// control characters. Empty input returns "" (the caller picks a default).
func cleanName(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("%s is not valid UTF-8", field)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if utf8.RuneCountInString(s) > 64 {
		return "", invalid("%s must be at most 64 characters", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", invalid("%s must not contain control characters", field)
		}
	}
	return s, nil
}

func invalid(format string, args ...any) error {
	return passkeyd.Errorf(passkeyd.CodeInvalidRequest, format, args...)
}
