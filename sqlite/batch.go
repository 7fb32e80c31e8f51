package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Group commit. Every write is a durable commit (synchronous=FULL fsyncs the WAL), and an
// fsync costs far more than the statements it protects. Writes that arrive while one commit
// is in flight are queued and committed together: each runs in its own SAVEPOINT, so one
// write's failure (a username taken, a counter regression) rolls back only that write, and
// all of them are acknowledged only after the single commit that makes them durable.
//
// Queueing alone groups little: a sign-in spends most of its time verifying a signature and
// speaking HTTP, so under moderate load the writer is idle when a write arrives and commits
// it alone. Once the writer has seen concurrency — a batch of more than one, or writes that
// queued while it committed — it holds the next batch open for commitWindow (as
// PostgreSQL's commit_delay does when other transactions are active), which gathers the
// sign-ins in flight into one fsync. A lone client never sees concurrency and never waits.

const (
	// maxBatch bounds a batch so that a commit (and the wait of its first writer) stays short.
	maxBatch = 64
	// commitWindow is how long a batch stays open under concurrency: a fraction of a
	// sign-in's own latency, long enough for several concurrent sign-ins to reach the writer.
	commitWindow = 400 * time.Microsecond
)

type write struct {
	ctx  context.Context
	fn   func(tx wtx) error
	done chan error
}

// CommitStats counts the writer's commits and the writes they made durable: writes per
// commit is how well group commit groups (passkeyd_sqlite_writes_total divided by
// passkeyd_sqlite_commits_total).
type CommitStats struct {
	Commits     uint64
	Writes      uint64
	Checkpoints uint64
}

type commitCounters struct{ commits, writes, checkpoints atomic.Uint64 }

// CommitStats returns the counts so far.
func (db *DB) CommitStats() CommitStats {
	return CommitStats{Commits: db.stats.commits.Load(), Writes: db.stats.writes.Load(), Checkpoints: db.stats.checkpoints.Load()}
}

// writer runs batches until the queue is closed.
func (db *DB) writer() {
	defer close(db.stopped)
	batch := make([]write, 0, maxBatch)
	window := time.NewTimer(time.Hour)
	window.Stop()
	concurrent := false
	for first := range db.queue {
		batch = append(batch[:0], first)
		batch = db.drain(batch)
		if concurrent && len(batch) < maxBatch {
			batch = db.gather(batch, window)
		}
		db.commit(batch)
		db.prepareWrites()
		concurrent = len(batch) > 1 || len(db.queue) > 0
	}
}

// drain adds the writes already queued, without waiting.
func (db *DB) drain(batch []write) []write {
	for len(batch) < maxBatch {
		select {
		case w, ok := <-db.queue:
			if !ok {
				return batch
			}
			batch = append(batch, w)
		default:
			return batch
		}
	}
	return batch
}

// gather adds the writes that arrive within commitWindow.
func (db *DB) gather(batch []write, window *time.Timer) []write {
	window.Reset(commitWindow)
	defer window.Stop()
	for len(batch) < maxBatch {
		select {
		case w, ok := <-db.queue:
			if !ok {
				return batch
			}
			batch = append(batch, w)
		case <-window.C:
			return batch
		}
	}
	return batch
}

// commit runs one batch in one transaction.
func (db *DB) commit(batch []write) {
	results := make([]error, len(batch))
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		db.noteStorage(err)
		for _, w := range batch {
			w.done <- mapErr(err)
		}
		return
	}
	// A write alone needs no savepoint: if it fails, the whole transaction rolls back.
	alone := len(batch) == 1
	applied := 0
	for i, w := range batch {
		if err := w.ctx.Err(); err != nil {
			results[i] = err // the caller gave up while queued: do nothing for it
			continue
		}
		wt := wtx{tx: tx, db: db}
		if alone {
			if err := w.fn(wt); err != nil {
				db.noteStorage(err)
				results[i] = mapErr(err)
			} else {
				applied++
			}
			continue
		}
		if _, err := wt.ExecContext(w.ctx, "SAVEPOINT w"); err != nil {
			results[i] = err
			continue
		}
		if err := w.fn(wt); err != nil {
			db.noteStorage(err)
			results[i] = mapErr(err)
			if storageError(err) {
				// On a full disk or an I/O error SQLite may roll back the whole transaction,
				// savepoints and all; the statements after it would then run (and commit) on
				// their own. Nothing of the batch is written: fail every write in it.
				tx.Rollback()
				for j, w := range batch {
					if j != i {
						results[j] = mapErr(err)
					}
					w.done <- results[j]
				}
				return
			}
			if _, rerr := wt.ExecContext(context.Background(), "ROLLBACK TO w"); rerr != nil {
				results[i] = fmt.Errorf("sqlite: rollback to savepoint: %w", rerr)
			}
		} else {
			applied++
		}
		if _, err := wt.ExecContext(context.Background(), "RELEASE w"); err != nil && results[i] == nil {
			results[i] = err
		}
	}
	if applied == 0 {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		db.noteStorage(err)
		// Nothing in the batch is durable: every write that had succeeded fails.
		for i := range results {
			if results[i] == nil {
				results[i] = mapErr(err)
			}
		}
	} else {
		db.stats.commits.Add(1)
		db.stats.writes.Add(uint64(applied))
	}
	if applied > 0 && db.fault.Load() != nil && !anyStorageError(results) {
		db.fault.Store(nil) // a write went through: the storage takes writes again
	}
	for i, w := range batch {
		w.done <- results[i]
	}
}

// noteStorage records err when it is the storage failing.
func (db *DB) noteStorage(err error) {
	if storageError(err) {
		db.fault.Store(&storageFault{at: time.Now(), err: err})
	}
}

func anyStorageError(errs []error) bool {
	for _, err := range errs {
		if err != nil && storageError(err) {
			return true
		}
	}
	return false
}

// tx runs fn in a write transaction, batched with concurrent writes, and returns when the
// write is durable (or failed). fn must only use tx, and may run after others in the same
// transaction.
func (db *DB) tx(ctx context.Context, fn func(tx wtx) error) error {
	w := write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return errClosed
	}
	select {
	case db.queue <- w:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the write may already be in a
	// commit, and the caller must not be told it failed when it is durable.
	return <-w.done
}
