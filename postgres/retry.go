package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Reads are idempotent, so a read that fails because the database is briefly unreachable
// (a failover, a dropped connection) is retried a few times with growing pauses, within the
// caller's deadline; a failover shorter than the budget is then invisible to clients.
// Writes are never retried here: a commit whose answer was lost may have happened, and
// doing it again could give a wrong answer (username_taken for the caller's own sign-up, a
// counter regression for its own login). They fail with ErrUnavailable, which clients see
// as a retryable 503.
var retryPauses = []time.Duration{25 * time.Millisecond, 75 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second}

func retryRead[T any](ctx context.Context, read func() (T, error)) (T, error) {
	v, err := read()
	for _, pause := range retryPauses {
		if err == nil || !errors.Is(err, passkeyd.ErrUnavailable) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(pause):
		}
		v, err = read()
	}
	return v, err
}
