package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
)

// probe is a synthetic monitor: it walks a whole passkey journey against a running server
// with the software authenticator — sign up, add a second passkey, sign in without a
// username, delete the second passkey, sign out — prints each step's latency, and fails
// (non-zero exit) on the first step that does not answer as the contract says. Suitable
// for cron or a Kubernetes probe. Each run leaves one account named probe-<random>.
type probeOptions struct {
	base, origin string
	timeout      time.Duration
}

func probeFlags(o *probeOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.base, "url", "http://localhost:8080", "passkeyd base URL")
	fs.StringVar(&o.origin, "origin", "", "origin the authenticator claims (default: -url)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "deadline for the whole journey")
	fs.Usage = func() {}
	return fs
}

const probeAbout = `Walks a whole passkey journey against a running server with a software authenticator
(sign up, add a passkey, sign in, delete it, sign out), prints each step's latency, and exits
non-zero on the first step that fails. Each run leaves one account named probe-<random>.`

func probe(ctx context.Context, args []string, stdout io.Writer) error {
	var o probeOptions
	fs := probeFlags(&o)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v\n%s", err, flagUsage(fs, probeAbout))
	}
	base, origin, timeout := &o.base, &o.origin, &o.timeout
	if *origin == "" {
		*origin = *base
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	p := &prober{base: *base, client: &http.Client{}, out: stdout}
	phone, err := softauthn.New(softauthn.Options{Origin: *origin})
	if err != nil {
		return err
	}
	key, err := softauthn.New(softauthn.Options{Origin: *origin, Transports: []string{"usb"}, Attachment: "cross-platform"})
	if err != nil {
		return err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	username := "probe-" + hex.EncodeToString(suffix)
	start := time.Now()

	var signup struct {
		Session struct{ Token string } `json:"session"`
	}
	if err := p.step(ctx, "sign-up", func() error {
		opts, err := p.call(ctx, "POST", "/api/v1/registration/options", "", map[string]string{"username": username}, 200)
		if err != nil {
			return err
		}
		cred, err := phone.Register(opts)
		if err != nil {
			return err
		}
		body, err := p.call(ctx, "POST", "/api/v1/registration/verify", "", map[string]json.RawMessage{"credential": cred}, 201)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &signup)
	}); err != nil {
		return err
	}
	var added struct {
		Passkey struct{ ID string } `json:"passkey"`
	}
	if err := p.step(ctx, "add-passkey", func() error {
		opts, err := p.call(ctx, "POST", "/api/v1/registration/options", signup.Session.Token, map[string]string{}, 200)
		if err != nil {
			return err
		}
		cred, err := key.Register(opts)
		if err != nil {
			return err
		}
		body, err := p.call(ctx, "POST", "/api/v1/registration/verify", signup.Session.Token, map[string]any{"credential": json.RawMessage(cred), "name": "probe key"}, 201)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &added)
	}); err != nil {
		return err
	}
	var login struct {
		Session struct{ Token string } `json:"session"`
	}
	if err := p.step(ctx, "sign-in", func() error {
		opts, err := p.call(ctx, "POST", "/api/v1/authentication/options", "", map[string]string{}, 200)
		if err != nil {
			return err
		}
		cred, err := phone.Login(opts)
		if err != nil {
			return err
		}
		body, err := p.call(ctx, "POST", "/api/v1/authentication/verify", "", map[string]json.RawMessage{"credential": cred}, 200)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &login)
	}); err != nil {
		return err
	}
	if err := p.step(ctx, "delete-passkey", func() error {
		_, err := p.call(ctx, "DELETE", "/api/v1/passkeys/"+added.Passkey.ID, login.Session.Token, nil, 204)
		return err
	}); err != nil {
		return err
	}
	if err := p.step(ctx, "sign-out", func() error {
		if _, err := p.call(ctx, "DELETE", "/api/v1/session", login.Session.Token, nil, 204); err != nil {
			return err
		}
		// The session is revoked server-side.
		_, err := p.call(ctx, "GET", "/api/v1/session", login.Session.Token, nil, 401)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "probe ok total=%s user=%s\n", time.Since(start).Round(time.Microsecond), username)
	return nil
}

type prober struct {
	base   string
	client *http.Client
	out    io.Writer
}

func (p *prober) step(ctx context.Context, name string, fn func() error) error {
	start := time.Now()
	err := fn()
	d := time.Since(start).Round(time.Microsecond)
	if err != nil {
		fmt.Fprintf(p.out, "step=%s ok=false latency=%s error=%q\n", name, d, err)
		return fmt.Errorf("probe failed at %s: %w", name, err)
	}
	fmt.Fprintf(p.out, "step=%s ok=true latency=%s\n", name, d)
	return nil
}

func (p *prober) call(ctx context.Context, method, path, token string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, bytes.TrimSpace(out))
	}
	return out, nil
}
