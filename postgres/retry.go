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
// as a retryable 503. A timeout is not retried either: a stalled database would hold the
// caller for every attempt, and failing fast is what frees the pool.
var retryPauses = []time.Duration{25 * time.Millisecond, 75 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second}

func retryRead[T any](ctx context.Context, db *DB, attempt func(ctx context.Context) (T, error)) (T, error) {
	read := func() (T, error) { return do(ctx, db, attempt) }
	v, err := read()
	for _, pause := range retryPauses {
		if err == nil || !errors.Is(err, passkeyd.ErrUnavailable) || saturated(err) || timedOut(err) {
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

// errSaturated is not retried: more load would not help a saturated database.
var errSaturated = &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the database is saturated; retry shortly"}

// saturated reports whether err is errSaturated itself (errors.Is matches any error with
// the same code, which is every unavailable error).
func saturated(err error) bool {
	var e *passkeyd.Error
	return errors.As(err, &e) && e == errSaturated
}
