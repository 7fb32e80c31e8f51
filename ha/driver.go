package main

import (
	"bytes"
	"context"
	"encoding/json"
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
}

type event struct {
	at time.Time
	ok bool
}

type ack struct {
	id []byte
	at time.Time
}

func newDriver(base, origin string) *driver {
	return &driver{base: base, origin: origin, client: &http.Client{Timeout: 15 * time.Second}}
}

func (d *driver) post(ctx context.Context, path string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return out, resp.StatusCode, err
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
	opts, status, err := d.post(ctx, "/api/v1/registration/options", body)
	if err != nil || status != 200 {
		return nil, fmt.Errorf("options: %d %v %s", status, err, opts)
	}
	cred, err := a.Register(opts)
	if err != nil {
		return nil, err
	}
	out, status, err := d.post(ctx, "/api/v1/registration/verify", wrap(cred))
	if err != nil || status != 201 {
		return nil, fmt.Errorf("verify: %d %v %s", status, err, out)
	}
	creds := a.Credentials()
	d.mu.Lock()
	d.acked = append(d.acked, ack{id: creds[len(creds)-1].ID, at: time.Now()})
	d.mu.Unlock()
	return a, nil
}

func (d *driver) login(ctx context.Context, a *softauthn.Authenticator) error {
	opts, status, err := d.post(ctx, "/api/v1/authentication/options", []byte(`{}`))
	if err != nil || status != 200 {
		return fmt.Errorf("options: %d %v", status, err)
	}
	cred, err := a.Login(opts)
	if err != nil {
		return err
	}
	out, status, err := d.post(ctx, "/api/v1/authentication/verify", wrap(cred))
	if err != nil || status != 200 {
		return fmt.Errorf("verify: %d %v %s", status, err, out)
	}
	return nil
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
				d.events = append(d.events, event{at: time.Now(), ok: err == nil})
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

func (d *driver) acknowledged() []ack {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]ack(nil), d.acked...)
}
