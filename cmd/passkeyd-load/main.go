// Command passkeyd-load drives a running passkeyd with software authenticators: it signs up
// users, then runs full usernameless logins (options + verify, each a real ES256 signature)
// from concurrent clients for a fixed time, and reports throughput and latency percentiles.
//
//	passkeyd-load -url http://localhost:8080 -users 64 -c 32 -duration 10s
//
// For runs against a large store it seeds a population first, writing N accounts (user,
// passkey, sign-up session) into the database through the store code the server runs,
// then logs in as users drawn at random from all N:
//
//	passkeyd-load -seed 100000 -population pop.json -database-url sqlite:///tmp/p.db
//	passkeyd-load -url http://localhost:8080 -population pop.json -c 32 -duration 10s
//
// The population file holds the secret every user's key is derived from: whoever has it
// signs in as all of them. Seed benchmark databases only.
//
// The server's per-IP rate limit applies to it like to anyone: run the server with
// PASSKEYD_RATE_LIMIT=0 to measure it rather than the limit.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "passkeyd-load:", err)
		os.Exit(1)
	}
}

// Report is the outcome of a run.
type Report struct {
	Logins, Failed     int
	Elapsed            time.Duration
	P50, P90, P99, Max time.Duration
}

func (r Report) String() string {
	rate := float64(r.Logins) / r.Elapsed.Seconds()
	return fmt.Sprintf("logins=%d failed=%d elapsed=%s rate=%.0f/s p50=%s p90=%s p99=%s max=%s",
		r.Logins, r.Failed, r.Elapsed.Round(time.Millisecond), rate, r.P50, r.P90, r.P99, r.Max)
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("passkeyd-load", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8080", "passkeyd base URL")
	origin := fs.String("origin", "", "origin the authenticators claim (default: -url)")
	users := fs.Int("users", 32, "users to sign up first")
	conc := fs.Int("c", 16, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long to run logins")
	maxLogins := fs.Int("n", 0, "stop after this many logins (0: run for -duration)")
	popPath := fs.String("population", "", "population file: with -seed, the one to create or extend; else log in as its users instead of signing up -users")
	seedN := fs.Int("seed", 0, "write this many population users into -database-url and exit (no server needed)")
	dbURL := fs.String("database-url", "", "with -seed: the store, sqlite://FILE or postgres://…")
	rpID := fs.String("rp-id", "localhost", "with -seed: the RP ID of a new population's credentials")
	workers := fs.Int("workers", 64, "with -seed: accounts written at once")
	sessionTTL := fs.Duration("session-ttl", 336*time.Hour, "with -seed: lifetime of each account's sign-up session")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *seedN < 0 {
		return errors.New("-seed must not be negative")
	}
	if *seedN > 0 {
		if *popPath == "" || *dbURL == "" {
			return errors.New("-seed needs -population and -database-url")
		}
		if *workers < 1 {
			return errors.New("-workers must be at least 1")
		}
		return seed(ctx, seedOptions{n: *seedN, workers: *workers, dbURL: *dbURL, popPath: *popPath, rpID: *rpID, sessionTTL: *sessionTTL}, out)
	}
	if *origin == "" {
		*origin = *url
	}
	if *users < 1 || *conc < 1 {
		return errors.New("-users and -c must be at least 1")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc * 2},
	}
	l := &loader{client: client, base: *url}
	if *popPath != "" {
		p, err := readPopulation(*popPath)
		if err != nil {
			return err
		}
		if p.Users < 1 {
			return fmt.Errorf("population %s has no users yet: seed it first", *popPath)
		}
		fmt.Fprintf(out, "population %s: %d users; running logins as random ones with %d clients\n", p.Name, p.Users, *conc)
		// Drawn from all of them, so each login looks up rows anywhere in the tables. The
		// authenticator is rebuilt for every login whatever the population's size, so the
		// client's work per login is the same for 1,000 users as for a million.
		pick := func(int) (*softauthn.Authenticator, error) { return p.authenticator(rand.IntN(p.Users), *origin) }
		rep, err := l.logins(ctx, pick, *conc, *duration, *maxLogins)
		return printReport(out, rep, err)
	}
	// Each client signs in with its own users: two clients using one credential at once
	// would deliver counters out of order, which the server rightly treats as a clone.
	*users = max(*users, *conc)
	auths := make([]*softauthn.Authenticator, *users)
	for i := range auths {
		a, err := softauthn.New(softauthn.Options{Origin: *origin})
		if err != nil {
			return err
		}
		name := fmt.Sprintf("load-%d-%d", time.Now().UnixNano(), i)
		if err := l.signUp(ctx, a, name); err != nil {
			return fmt.Errorf("sign-up %d: %w", i, err)
		}
		auths[i] = a
	}
	fmt.Fprintf(out, "signed up %d users; running logins with %d clients\n", *users, *conc)
	pick := func(i int) (*softauthn.Authenticator, error) { return auths[i%len(auths)], nil }
	rep, err := l.logins(ctx, pick, *conc, *duration, *maxLogins)
	return printReport(out, rep, err)
}

// printReport prints a run's report; the run failed when a login did.
func printReport(out io.Writer, rep Report, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintln(out, rep)
	if rep.Failed > 0 {
		return fmt.Errorf("%d logins failed", rep.Failed)
	}
	return nil
}

type loader struct {
	client *http.Client
	base   string
}

func (l *loader) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}

func wrap(cred []byte) []byte {
	out, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
	return out
}

func (l *loader) signUp(ctx context.Context, a *softauthn.Authenticator, username string) error {
	body, _ := json.Marshal(map[string]string{"username": username})
	opts, err := l.post(ctx, "/api/v1/registration/options", body)
	if err != nil {
		return err
	}
	cred, err := a.Register(opts)
	if err != nil {
		return err
	}
	_, err = l.post(ctx, "/api/v1/registration/verify", wrap(cred))
	return err
}

func (l *loader) login(ctx context.Context, a *softauthn.Authenticator) error {
	opts, err := l.post(ctx, "/api/v1/authentication/options", []byte(`{}`))
	if err != nil {
		return err
	}
	cred, err := a.Login(opts)
	if err != nil {
		return err
	}
	_, err = l.post(ctx, "/api/v1/authentication/verify", wrap(cred))
	return err
}

// logins runs conc clients until the time or the count is up; client w's n-th login signs
// with pick(w + n*conc).
func (l *loader) logins(ctx context.Context, pick func(int) (*softauthn.Authenticator, error), conc int, d time.Duration, max int) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    atomic.Int64
		started   atomic.Int64
		wg        sync.WaitGroup
		firstErr  error
	)
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1024)
			for i := w; ctx.Err() == nil; i += conc {
				if max > 0 && started.Add(1) > int64(max) {
					break
				}
				a, err := pick(i)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					failed.Add(1)
					break
				}
				t0 := time.Now()
				err = l.login(ctx, a)
				if err != nil {
					if ctx.Err() != nil {
						break // the run ended mid-request: not a failure of the server
					}
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	rep := Report{Logins: len(latencies), Failed: int(failed.Load()), Elapsed: time.Since(start)}
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "first failure:", firstErr)
	}
	if len(latencies) == 0 {
		return rep, errors.New("no login completed")
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(p*float64(len(latencies)-1))].Round(10 * time.Microsecond)
	}
	rep.P50, rep.P90, rep.P99, rep.Max = pct(.50), pct(.90), pct(.99), latencies[len(latencies)-1].Round(10*time.Microsecond)
	return rep, nil
}
