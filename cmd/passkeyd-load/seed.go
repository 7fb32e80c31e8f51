package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/sqlite"
)

// seedStore is what seeding needs of a store.
type seedStore interface {
	CreateAccount(ctx context.Context, a passkeyd.NewAccount) error
	Close() error
}

// openSeedStore opens the database as passkeyd does (SQLite migrates at open; PostgreSQL
// is migrated here), so the seeded rows are written by the store code the server runs.
func openSeedStore(ctx context.Context, url string) (seedStore, error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		return sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	return nil, fmt.Errorf("-database-url %q: want sqlite://FILE or postgres://…", url)
}

type seedOptions struct {
	n          int
	workers    int
	dbURL      string
	popPath    string
	rpID       string
	sessionTTL time.Duration
}

// seed makes the population in popPath (created with a fresh secret when missing) hold
// users 0 … n-1, writing each account with the store's CreateAccount from concurrent
// workers. It resumes where a previous run of the file stopped: users already there are
// skipped.
func seed(ctx context.Context, o seedOptions, out io.Writer) error {
	p, err := readPopulation(o.popPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		p = newPopulation(o.rpID)
		// Written first: the secret must outlive an interrupted run.
		if err := p.write(o.popPath); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	store, err := openSeedStore(ctx, o.dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	var next, created, existed atomic.Int64
	next.Store(int64(p.Users))
	origin := "https://" + p.RPID
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.n {
					return
				}
				acc, err := p.account(i, origin, time.Now().UTC(), o.sessionTTL)
				if err == nil {
					err = store.CreateAccount(ctx, acc)
				}
				switch {
				case err == nil:
					created.Add(1)
				case errors.Is(err, passkeyd.ErrUsernameTaken):
					existed.Add(1) // an interrupted run had written it
				default:
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("user %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
	progress := time.NewTicker(5 * time.Second)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-progress.C:
			c := created.Load()
			fmt.Fprintf(os.Stderr, "seed: %d created, %d existed, %.0f/s\n", c, existed.Load(), float64(c)/time.Since(start).Seconds())
		}
	}
	progress.Stop()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.Users = max(p.Users, o.n)
	if err := p.write(o.popPath); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(out, "seeded population %s: users=%d created=%d existed=%d elapsed=%s rate=%.0f/s\n",
		p.Name, p.Users, created.Load(), existed.Load(), el.Round(time.Millisecond), float64(created.Load())/el.Seconds())
	return nil
}
