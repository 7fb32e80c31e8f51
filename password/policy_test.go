package password

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The passphrases the rest of the repository's tests sign up with must stay acceptable under
// the default policy; the breached ones the issue named must not.
func TestDefaultPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"password123":                  false,
		"qwerty123":                    false,
		"aaaaaaaa":                     false,
		"P@ssw0rd!":                    false,
		"letmein2024":                  false,
		"hunter22hunter":               false,
		"a perfectly fine passphrase":  true,
		"another fine passphrase":      true,
		"correct horse battery staple": true,
		"lee's good passphrase":        true,
		"ben's argon passphrase":       true,
		"petra's first passphrase":     true,
		"old bcrypt passphrase":        true,
		"another long passphrase here": true,
		"ünïcødé-passwörd":             true,
	} {
		if err := Check(pw); (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func TestPolicyMinScore(t *testing.T) {
	ctx := context.Background()
	// With the estimate off only the floor (length, bundled list) applies.
	if err := (Policy{}).Check(ctx, "qwerty123"); err != nil {
		t.Errorf("MinScore 0 refused qwerty123: %v", err)
	}
	if err := (Policy{}).Check(ctx, "password1"); err == nil {
		t.Error("MinScore 0 accepted password1, which is on the bundled list")
	}
	if err := (Policy{MinScore: 4}).Check(ctx, "imported secret"); err == nil {
		t.Error("MinScore 4 accepted a score-3 password")
	}
	// The username is a guessable word.
	if err := (Policy{MinScore: 3}).Check(ctx, "petravonundzu", "petravonundzu"); err == nil {
		t.Error("a password equal to the username passed")
	}
}

func TestPolicyLongPasswordIsFast(t *testing.T) {
	pw := strings.Repeat("ab1!", 64) // 256 characters of a pattern
	start := time.Now()
	_ = Check(pw)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a 256-character password took %v to check", d)
	}
}

// fakeRangeAPI is a local Pwned Passwords range API holding the given passwords, answering
// with padding as the real one does; it records the paths it was asked for.
type fakeRangeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newFakeRangeAPI(t *testing.T, breached map[string]int) *fakeRangeAPI {
	f := &fakeRangeAPI{}
	hashes := map[string]int{}
	for pw, n := range breached {
		s := sha1.Sum([]byte(pw))
		hashes[strings.ToUpper(hex.EncodeToString(s[:]))] = n
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
		if !ok || len(prefix) != 5 {
			http.NotFound(w, r)
			return
		}
		for h, n := range hashes {
			if strings.HasPrefix(h, prefix) {
				fmt.Fprintf(w, "%s:%d\r\n", h[5:], n)
			}
		}
		if r.Header.Get("Add-Padding") == "true" {
			fmt.Fprintf(w, "%s:0\r\n", strings.Repeat("0", 35))
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func TestRangeChecker(t *testing.T) {
	ctx := context.Background()
	api := newFakeRangeAPI(t, map[string]int{"a perfectly fine passphrase": 3, "seen once only here": 1})
	rc := &RangeChecker{URL: api.URL}
	p := Policy{MinScore: DefaultMinScore, Breaches: rc}
	if err := p.Check(ctx, "a perfectly fine passphrase"); err == nil || !strings.Contains(err.Error(), "breach") {
		t.Errorf("a breached passphrase: %v", err)
	}
	if err := p.Check(ctx, "another fine passphrase"); err != nil {
		t.Errorf("a passphrase the API does not know: %v", err)
	}
	if rc2 := (&RangeChecker{URL: api.URL, MinCount: 2}); rc2.Breached(ctx, "seen once only here") {
		t.Error("MinCount 2 counted a password seen once")
	}
	// k-anonymity: only the 5-digit prefix reached the API, never the rest of the hash.
	s := sha1.Sum([]byte("a perfectly fine passphrase"))
	full := strings.ToUpper(hex.EncodeToString(s[:]))
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, path := range api.paths {
		if path == "/range/"+full[:5] {
			continue
		}
		if len(path) != len("/range/")+5 || strings.Contains(path, full[5:]) {
			t.Errorf("the API was asked for %q", path)
		}
	}
	if rc.Failures() != 0 {
		t.Errorf("Failures = %d with a working API", rc.Failures())
	}
}

func TestRangeCheckerFailsOpen(t *testing.T) {
	ctx := context.Background()
	api := newFakeRangeAPI(t, map[string]int{"another fine passphrase": 10})
	url := api.URL
	api.Close() // down
	rc := &RangeChecker{URL: url, Timeout: time.Second}
	if err := (Policy{MinScore: DefaultMinScore, Breaches: rc}).Check(ctx, "another fine passphrase"); err != nil {
		t.Errorf("with the API down the password was refused: %v", err)
	}
	if rc.Failures() != 1 {
		t.Errorf("Failures = %d, want 1", rc.Failures())
	}
	// An API that answers an error fails open too, and counts.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	defer bad.Close()
	rc = &RangeChecker{URL: bad.URL}
	if rc.Breached(ctx, "anything") || rc.Failures() != 1 {
		t.Errorf("a 429 from the API: failures=%d", rc.Failures())
	}
}
