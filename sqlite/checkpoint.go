package sqlite

import (
	"context"
	"time"
)

// Checkpoints copy the WAL back into the database file. SQLite runs them by default inside
// the commit that crosses wal_autocheckpoint, so every thousandth sign-in waited for page
// copies and two more fsyncs. The writer connection has wal_autocheckpoint=0 instead and
// this goroutine checkpoints on its own connection: PASSIVE checkpoints run beside the
// writer without blocking it. Under sustained writes a PASSIVE checkpoint may never catch
// up with the end of the WAL (so the WAL never restarts from its beginning and keeps
// growing); past walRestartFrames a RESTART checkpoint, which holds the writer back for
// the one copy, brings it back. Durability does not depend on checkpoints: a committed
// transaction is durable once its WAL frames are fsynced.

const (
	checkpointEvery  = 100 * time.Millisecond
	walRestartFrames = 8192 // 32 MiB of 4 KiB pages
)

func (db *DB) checkpointer() {
	defer close(db.cpStopped)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.cpStop:
			db.checkpoint("TRUNCATE")
			return
		case <-t.C:
		}
		if frames, done := db.checkpoint("PASSIVE"); frames > walRestartFrames && done < frames {
			db.checkpoint("RESTART")
		}
	}
}

// checkpoint runs one checkpoint and returns the WAL's frames and how many are copied.
func (db *DB) checkpoint(mode string) (frames, done int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy int
	if err := db.cp.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &done); err != nil {
		return 0, 0
	}
	db.stats.checkpoints.Add(1)
	return frames, done
}
