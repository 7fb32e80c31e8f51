package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
)

// driver runs sign-ups and logins continuously and records every request's outcome.
type driver struct {
	base, origin string
	client       *http.Client

	mu      sync.Mutex
	events  []event
	acked   []ack
	workers [][]*softauthn.Authenticator
	split   [2]string
}

type event struct {
	at     time.Time
	ok     bool
	took   time.Duration
	status int // of the failing request; 0 for a transport error
}

type ack struct {
	id      []byte
	session string // the session token the sign-up's 201 set
	at      time.Time
}

// statusError is a request answered with an unexpected status.
type statusError struct {
	step   string
	status int
	body   []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: %d %s", e.step, e.status, e.body) }

func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

func newDriver(base, origin string) *driver {
	return &driver{base: base, origin: origin, client: &http.Client{Timeout: 15 * time.Second}}
}

func (d *driver) post(ctx context.Context, path string, body []byte) ([]byte, int, error) {
	out, status, _, err := d.postBase(ctx, d.base, path, body)
	return out, status, err
}

// postBase posts to one base URL (an instance directly, or the balancer) and also returns
// the session cookie the answer set.
func (d *driver) postBase(ctx context.Context, base, path string, body []byte) ([]byte, int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	session := ""
	for _, c := range resp.Cookies() {
		if c.Name == "passkeyd_session" {
			session = c.Value
		}
	}
	return out, resp.StatusCode, session, err
}

func wrap(cred []byte) []byte {
	b, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
	return b
}

// signUp registers a new user; on 201 the credential is acknowledged and must survive.
func (d *driver) signUp(ctx context.Context, name string) (*softauthn.Authenticator, error) {
	a, err := softauthn.New(softauthn.Options{Origin: d.origin})
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"username": name})
	opts, status, _, err := d.postBase(ctx, d.optionsBase(), "/api/v1/registration/options", body)
	if err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	if status != 200 {
		return nil, &statusError{"options", status, opts}
	}
	cred, err := a.Register(opts)
	if err != nil {
		return nil, err
	}
	out, status, session, err := d.postBase(ctx, d.verifyBase(), "/api/v1/registration/verify", wrap(cred))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if status != 201 {
		return nil, &statusError{"verify", status, out}
	}
	creds := a.Credentials()
	d.mu.Lock()
	d.acked = append(d.acked, ack{id: creds[len(creds)-1].ID, session: session, at: time.Now()})
	d.mu.Unlock()
	return a, nil
}

func (d *driver) login(ctx context.Context, a *softauthn.Authenticator) error {
	opts, status, _, err := d.postBase(ctx, d.optionsBase(), "/api/v1/authentication/options", []byte(`{}`))
	if err != nil {
		return fmt.Errorf("options: %w", err)
	}
	if status != 200 {
		return &statusError{"options", status, opts}
	}
	cred, err := a.Login(opts)
	if err != nil {
		return err
	}
	out, status, _, err := d.postBase(ctx, d.verifyBase(), "/api/v1/authentication/verify", wrap(cred))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if status != 200 {
		return &statusError{"verify", status, out}
	}
	return nil
}

// optionsBase and verifyBase are where the two steps of a ceremony go: the balancer, or,
// while split (the clock-skew drill), options to one instance and verifies to another.
func (d *driver) optionsBase() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.split[0] != "" {
		return d.split[0]
	}
	return d.base
}

func (d *driver) verifyBase() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.split[1] != "" {
		return d.split[1]
	}
	return d.base
}

// splitCeremonies sends options to one base URL and verifies to another ("" "": undo).
func (d *driver) splitCeremonies(options, verify string) {
	d.mu.Lock()
	d.split = [2]string{options, verify}
	d.mu.Unlock()
}

// warmup gives every worker one user before the clock starts.
func (d *driver) warmup(ctx context.Context, workers int) error {
	d.workers = make([][]*softauthn.Authenticator, workers)
	for w := range d.workers {
		a, err := d.signUp(ctx, fmt.Sprintf("warm-%d-%d", w, time.Now().UnixNano()))
		if err != nil {
			return err
		}
		d.workers[w] = []*softauthn.Authenticator{a}
	}
	return nil
}

// run loops until ctx ends: each worker signs up a new user every fourth operation and
// otherwise logs in as one of its own users (its own, so counters arrive in order).
func (d *driver) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				start := time.Now()
				if i%4 == 0 {
					var a *softauthn.Authenticator
					a, err = d.signUp(ctx, fmt.Sprintf("u-%d-%d-%d", w, i, time.Now().UnixNano()))
					if err == nil {
						d.workers[w] = append(d.workers[w], a)
					}
				} else {
					users := d.workers[w]
					err = d.login(ctx, users[i%len(users)])
				}
				if ctx.Err() != nil {
					return
				}
				d.mu.Lock()
				d.events = append(d.events, event{at: time.Now(), ok: err == nil, took: time.Since(start), status: statusOf(err)})
				d.mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond) // a client backing off before retrying
				}
			}
		}()
	}
	wg.Wait()
}

// since counts operations that finished in [from, to), how many failed, and when the last
// failure was.
func (d *driver) since(from, to time.Time) (n, failed int, lastFail time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.events {
		if e.at.Before(from) || !e.at.Before(to) {
			continue
		}
		n++
		if !e.ok {
			failed++
			lastFail = e.at
		}
	}
	return n, failed, lastFail
}

// failures returns the failed operations that finished in [from, to).
func (d *driver) failures(from, to time.Time) []event {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []event
	for _, e := range d.events {
		if !e.ok && !e.at.Before(from) && e.at.Before(to) {
			out = append(out, e)
		}
	}
	return out
}

func (d *driver) acknowledged() []ack {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]ack(nil), d.acked...)
}
