package password

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RangeChecker asks a Pwned-Passwords-compatible range API whether a password is known from
// a breach, by k-anonymity: only the first 5 hex digits of the password's SHA-1 leave the
// server, and the API answers every suffix it knows under that prefix (padded, so the
// answer's size says nothing either). SHA-1 is the API's index, not a protection here.
type RangeChecker struct {
	// URL is the API's base: GET URL + "/range/" + prefix. Pwned Passwords' is
	// https://api.pwnedpasswords.com.
	URL string
	// Client makes the requests; nil uses a client with Timeout.
	Client *http.Client
	// Timeout bounds each lookup; zero means 2 s. A slow API must not hold up sign-up.
	Timeout time.Duration
	// MinCount is how many sightings make a password breached; zero means 1.
	MinCount int

	failures atomic.Uint64
}

// Failures counts lookups that could not be answered and so let the password through
// (exported as a metric).
func (c *RangeChecker) Failures() uint64 { return c.failures.Load() }

// Breached reports whether the password is known from a breach. It fails open: when the API
// cannot answer, the password is allowed (the bundled list and strength estimate still
// apply) and Failures counts it.
func (c *RangeChecker) Breached(ctx context.Context, password string) bool {
	found, err := c.lookup(ctx, password)
	if err != nil {
		c.failures.Add(1)
		return false
	}
	return found
}

func (c *RangeChecker) lookup(ctx context.Context, password string) (bool, error) {
	sum := sha1.Sum([]byte(password))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := digest[:5], digest[5:]
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.URL, "/")+"/range/"+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "passkeyd")
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("password: breach range API answered %s", resp.Status)
	}
	minCount := c.MinCount
	if minCount <= 0 {
		minCount = 1
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	for sc.Scan() {
		s, n, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || !strings.EqualFold(s, suffix) {
			continue
		}
		count, err := strconv.Atoi(n)
		if err != nil {
			return false, fmt.Errorf("password: breach range API: malformed count %q", n)
		}
		// Padding entries have a count of 0.
		return count >= minCount, nil
	}
	return false, sc.Err()
}
