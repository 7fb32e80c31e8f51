package password

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustelem/zxcvbn"
)

// DefaultMinScore is the zxcvbn score a new password needs by default: 3 ("safely
// unguessable: moderate protection from an offline slow-hash scenario", about 10^8
// guesses). It refuses keyboard walks, repeats and a word with digits ("password123",
// "qwerty123", "aaaaaaaa" score 0) and accepts passphrases of a few ordinary words.
const DefaultMinScore = 3

// DefaultPolicy is the policy of Check: the bundled list and DefaultMinScore, no lookup.
var DefaultPolicy = Policy{MinScore: DefaultMinScore}

// strengthRunes bounds the part of a password zxcvbn looks at: its matching grows faster
// than linearly with length, and a 256-character password must not cost a core for long.
// 64 characters that score 3 are strong whatever follows them.
const strengthRunes = 64

// Policy decides whether a new password is acceptable. The zero value checks the bundled
// list only.
type Policy struct {
	// MinScore is the least zxcvbn score (0–4) accepted; 0 turns the estimate off.
	MinScore int
	// Breaches, when set, is asked whether the password appears in a breach corpus
	// (Pwned Passwords' range API); it fails open.
	Breaches *RangeChecker
}

// ErrWeak is the class of the errors Check returns for a password it refuses.
var ErrWeak = errors.New("password refused")

// Check refuses a password that is malformed, on the bundled list, weaker than MinScore or,
// with Breaches set, known from a breach. userInputs (username, display name) count as
// guessable words. The error says why, for the person choosing it.
func (p Policy) Check(ctx context.Context, password string, userInputs ...string) error {
	if err := checkShape(password); err != nil {
		return err
	}
	if p.MinScore > 0 {
		head := password
		if r := []rune(password); len(r) > strengthRunes {
			head = string(r[:strengthRunes])
		}
		res := zxcvbn.PasswordStrength(head, userInputs)
		if res.Score < p.MinScore {
			return fmt.Errorf("this password is too easy to guess (strength %d of 4, at least %d needed); a few unrelated words make a strong one", res.Score, p.MinScore)
		}
	}
	if p.Breaches != nil && p.Breaches.Breached(ctx, password) {
		return errors.New("this password appears in known data breaches; choose another")
	}
	return nil
}
