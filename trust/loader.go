package trust

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
)

// maxBLOB bounds a downloaded BLOB; the production one is a few megabytes.
const maxBLOB = 64 << 20

// Loader loads the FIDO MDS3 BLOB from a file or an https URL, verifies its JWS chain to
// the MDS root (with the revocation checks of go-webauthn's decoder), and keeps the last
// good copy: a failed refresh never replaces it, and never stops the server.
type Loader struct {
	// Source is a file path or an https URL.
	Source string
	// Root is the trust anchor of the BLOB's signing chain, base64 DER; empty means the
	// FIDO Alliance production root (metadata.ProductionMDSRoot).
	Root string
	// Client fetches URLs; nil means one with a 30 s timeout.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// OnRefresh, when set, hears the outcome of every load.
	OnRefresh func(err error)

	current atomic.Pointer[Metadata]
	mu      sync.Mutex
	lastErr error
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Current returns the last good metadata, nil before the first successful load.
func (l *Loader) Current() *Metadata {
	if l == nil {
		return nil
	}
	return l.current.Load()
}

// Err returns the error of the last load, nil when it succeeded: /readyz reports it as a
// note while the last good copy keeps serving.
func (l *Loader) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// Load fetches, verifies and parses the BLOB once. A BLOB that does not verify, is past its
// nextUpdate, or is older (a lower serial number) than the one in force is refused and the
// one in force is kept.
func (l *Loader) Load(ctx context.Context) error {
	md, err := l.load(ctx)
	if err == nil {
		if cur := l.current.Load(); cur != nil && md.Number < cur.Number {
			err = fmt.Errorf("metadata BLOB number %d is older than the one in force (%d): refused as a rollback", md.Number, cur.Number)
		} else {
			l.current.Store(md)
		}
	}
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
	if l.OnRefresh != nil {
		l.OnRefresh(err)
	}
	return err
}

func (l *Loader) load(ctx context.Context) (*Metadata, error) {
	raw, err := l.fetch(ctx)
	if err != nil {
		return nil, err
	}
	return l.Verify(raw)
}

// Verify checks a BLOB's signature chain and freshness and indexes it.
func (l *Loader) Verify(raw []byte) (*Metadata, error) {
	opts := []metadata.DecoderOption{metadata.WithIgnoreEntryParsingErrors()}
	if l.Root != "" {
		opts = append(opts, metadata.WithRootCertificate(l.Root))
	}
	dec, err := metadata.NewDecoder(opts...)
	if err != nil {
		return nil, err
	}
	payload, err := dec.DecodeBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("metadata BLOB does not verify: %w", err)
	}
	parsed, err := dec.Parse(payload)
	if err != nil {
		return nil, fmt.Errorf("metadata BLOB: %w", err)
	}
	// nextUpdate is a date; the BLOB is good through the end of it.
	if !l.now().Before(parsed.Parsed.NextUpdate.Add(24 * time.Hour)) {
		return nil, fmt.Errorf("metadata BLOB number %d expired: its nextUpdate %s has passed", parsed.Parsed.Number, parsed.Parsed.NextUpdate.Format(time.DateOnly))
	}
	return NewMetadata(parsed), nil
}

func (l *Loader) fetch(ctx context.Context) ([]byte, error) {
	if !strings.HasPrefix(l.Source, "https://") {
		return os.ReadFile(l.Source)
	}
	client := l.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.Source, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", l.Source, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBLOB+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBLOB {
		return nil, errors.New("metadata BLOB is over 64 MiB")
	}
	return body, nil
}

// NextRefresh is when to load again: a day before nextUpdate (the FIDO Alliance publishes
// by then), at most a day from now, and an hour after a failure.
func (l *Loader) NextRefresh() time.Duration {
	now := l.now()
	if l.Err() != nil || l.Current() == nil {
		return time.Hour
	}
	d := time.Until(l.Current().NextUpdate)
	if l.Now != nil {
		d = l.Current().NextUpdate.Sub(now)
	}
	d = min(d-24*time.Hour, 24*time.Hour)
	return max(d, time.Hour)
}

// Run refreshes the BLOB in the background until ctx ends.
func (l *Loader) Run(ctx context.Context) {
	for {
		t := time.NewTimer(l.NextRefresh())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := l.Load(ctx); err != nil && l.Log != nil {
			l.Log.Warn("metadata refresh failed; the last good BLOB stays in force", "source", l.Source, "err", err)
		}
	}
}
