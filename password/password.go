// Package password hashes and checks passwords for the password fallback: argon2id in the
// PHC string format for new hashes, bcrypt accepted for imported ones (and rehashed on the
// next successful sign-in), and a policy that refuses short and commonly breached passwords.
package password

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
}

// DefaultParams follow RFC 9106's second recommendation (64 MiB, 3 passes), with two lanes
// for small servers.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32}

// Hasher hashes and verifies with fixed parameters. Its work goes through a bounded queue
// (see Limits): each argon2id computation takes Params.Memory and a core, so a flood of
// attempts waits briefly and is then refused with a *BusyError instead of exhausting the
// server's memory and making every legitimate sign-in wait behind it.
type Hasher struct {
	p     Params
	dummy string // a hash to verify against when the user does not exist
	q     *queue
	// argon2 computes the key; tests replace it with a slow one to fill the queue.
	argon2 func(password, salt []byte, p Params, keyLen uint32) []byte
}

// New returns a Hasher with the default Limits; zero fields of p take the defaults.
func New(p Params) *Hasher { return NewLimited(p, Limits{}) }

// NewLimited returns a Hasher whose work is bounded by l; zero fields of p and l take the
// defaults.
func NewLimited(p Params, l Limits) *Hasher {
	if p.Memory == 0 {
		p.Memory = DefaultParams.Memory
	}
	if p.Time == 0 {
		p.Time = DefaultParams.Time
	}
	if p.Threads == 0 {
		p.Threads = DefaultParams.Threads
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultParams.KeyLen
	}
	// The dummy's key is random rather than derived: VerifyNobody only needs a hash with h's
	// parameters to spend a real computation on, and no password derives a random 256-bit
	// key. Deriving one would allocate Params.Memory (64 MiB by default) at start, which
	// left the garbage collector's heap goal, and so the server's resident memory, at twice
	// that long after the buffer was garbage.
	salt, key := make([]byte, 16), make([]byte, p.KeyLen)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	return &Hasher{p: p, dummy: phc(p, salt, key), q: newQueue(l.withDefaults()), argon2: idKey}
}

// phc formats an argon2id hash as a PHC string.
func phc(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func idKey(password, salt []byte, p Params, keyLen uint32) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, keyLen)
}

// Stats reports the queue's occupancy and refusals (for metrics).
func (h *Hasher) Stats() Stats { return h.q.stats() }

// Hash returns the PHC string of password: $argon2id$v=19$m=…,t=…,p=…$salt$hash. It waits
// for a slot within ctx; a *BusyError (errors.Is ErrBusy) means it was refused.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	release, err := h.q.acquire(ctx)
	if err != nil {
		return "", err
	}
	key := h.argon2([]byte(password), salt, h.p, h.p.KeyLen)
	release()
	return phc(h.p, salt, key), nil
}

// Verify checks password against a stored hash (argon2id or bcrypt). needsRehash is true
// when the hash is bcrypt or uses other parameters than h's: store h.Hash(password) then.
// A *BusyError (errors.Is ErrBusy) means the check was refused, not that it failed.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (ok, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, salt, key, err := parseArgon2(hash)
		if err != nil {
			return false, false, err
		}
		release, err := h.q.acquire(ctx)
		if err != nil {
			return false, false, err
		}
		got := h.argon2([]byte(password), salt, p, uint32(len(key)))
		release()
		ok := subtle.ConstantTimeCompare(got, key) == 1
		return ok, ok && (p.Memory != h.p.Memory || p.Time != h.p.Time || p.Threads != h.p.Threads), nil
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		// bcrypt costs a core for as long as argon2id does: it shares the queue.
		release, err := h.q.acquire(ctx)
		if err != nil {
			return false, false, err
		}
		err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		release()
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, false, nil
		}
		if err != nil {
			return false, false, err
		}
		return true, true, nil
	}
	return false, false, errors.New("password: unknown hash format")
}

// VerifyNobody spends the time a real verification costs, so that sign-in attempts for
// unknown usernames cannot be told apart by their timing. Its only error is a *BusyError:
// a saturated queue refuses unknown and known users alike.
func (h *Hasher) VerifyNobody(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

func parseArgon2(hash string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return p, nil, nil, errors.New("password: malformed argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errors.New("password: malformed argon2id parameters")
	}
	// argon2.IDKey panics on zero rounds or zero threads: a stored hash is input too.
	if p.Memory > 256*1024 || p.Time == 0 || p.Time > 10 || p.Threads == 0 || p.Threads > 16 {
		return p, nil, nil, errors.New("password: argon2id parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errors.New("password: malformed salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("password: malformed hash")
	}
	return p, salt, key, nil
}

// common.txt is Openwall's list of the 3,546 passwords most often seen in breaches
// (public domain; compiled by Solar Designer, shipped in Debian's john-data).
//
//go:embed common.txt
var commonList []byte

var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonList))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#!comment") {
			continue
		}
		m[strings.ToLower(line)] = true
	}
	return m
}()

// Check applies DefaultPolicy without a breach lookup (see Policy.Check).
func Check(password string) error { return DefaultPolicy.Check(context.Background(), password) }

// checkShape refuses what no policy allows: invalid UTF-8, fewer than 8 or more than 256
// characters, and the bundled list of the most commonly breached passwords (a floor that
// holds whatever the strength estimate says).
func checkShape(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errors.New("the password is not valid UTF-8")
	case n < 8:
		return errors.New("the password must have at least 8 characters")
	case n > 256:
		return errors.New("the password must have at most 256 characters")
	case common[strings.ToLower(password)]:
		return errors.New("this password is among the most common ones in breaches; choose another")
	}
	return nil
}

// ValidateHash checks that a stored hash is one Verify can check later (argon2id with
// parameters in range, or bcrypt of cost 4 to 15) without computing it: an import of
// thousands of hashes must not spend a bcrypt computation on each.
func ValidateHash(hash string) error {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		_, _, _, err := parseArgon2(hash)
		return err
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil || len(hash) != 60 {
			return errors.New("password: malformed bcrypt hash")
		}
		// Above 15 one sign-in would take seconds of a core: refuse it at import, not then.
		if cost > 15 {
			return fmt.Errorf("password: bcrypt cost %d is above 15", cost)
		}
		return nil
	}
	return errors.New("password: unknown hash format (want bcrypt or argon2id)")
}
