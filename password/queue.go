package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// Limits bound the hashing work a Hasher does at once. Every hash costs Params.Memory and a
// core for a noticeable time, so a flood of sign-ins (or of current-password guesses from
// one session) must queue briefly and then be turned away, rather than make every
// legitimate sign-in wait behind it.
type Limits struct {
	// Concurrency is how many hashes run at once; 0 means GOMAXPROCS.
	Concurrency int
	// Queue is how many callers may wait for a free slot; 0 means 4×Concurrency, a
	// negative value means none (a caller that finds every slot busy is refused at once).
	Queue int
}

func (l Limits) withDefaults() Limits {
	if l.Concurrency <= 0 {
		l.Concurrency = runtime.GOMAXPROCS(0)
	}
	switch {
	case l.Queue == 0:
		l.Queue = 4 * l.Concurrency
	case l.Queue < 0:
		l.Queue = 0
	}
	return l
}

// ErrBusy is matched (errors.Is) by the error of a call that was refused because the queue
// was full or the caller's deadline passed while it waited; errors.As to *BusyError gives
// when to retry.
var ErrBusy = errors.New("password: hashing is saturated")

// BusyError is a refused hash: nothing was computed, the caller should answer "unavailable,
// retry after RetryAfter".
type BusyError struct {
	RetryAfter time.Duration
	// Cause is why: ErrBusy for a full queue, or the context's error.
	Cause error
}

func (e *BusyError) Error() string { return fmt.Sprintf("%v (retry after %v)", e.Cause, e.RetryAfter) }

// Is makes errors.Is(err, ErrBusy) true for every BusyError.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Unwrap exposes the cause (context.DeadlineExceeded, say).
func (e *BusyError) Unwrap() error { return e.Cause }

// Stats are the queue's figures for metrics.
type Stats struct {
	Concurrency int
	QueueSize   int
	Running     int   // hashes computing now
	Waiting     int   // callers queued for a slot
	Rejected    int64 // calls refused since start (full queue or deadline)
}

// queue is a counting semaphore with a bounded number of waiters.
type queue struct {
	slots    chan struct{}
	size     int
	waiting  atomic.Int64
	rejected atomic.Int64
	// avg is a moving average of one hash's duration in nanoseconds, for Retry-After.
	avg atomic.Int64
}

func newQueue(l Limits) *queue {
	return &queue{slots: make(chan struct{}, l.Concurrency), size: l.Queue}
}

// acquire takes a slot, waiting (within ctx and the queue bound) when none is free. The
// release function records how long the work took.
func (q *queue) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, q.refuse(err)
	}
	select {
	case q.slots <- struct{}{}:
		return q.releaser(), nil
	default:
	}
	if q.waiting.Add(1) > int64(q.size) {
		q.waiting.Add(-1)
		return nil, q.refuse(ErrBusy)
	}
	defer q.waiting.Add(-1)
	select {
	case q.slots <- struct{}{}:
		return q.releaser(), nil
	case <-ctx.Done():
		return nil, q.refuse(ctx.Err())
	}
}

func (q *queue) releaser() func() {
	start := time.Now()
	return func() {
		d := int64(time.Since(start))
		if old := q.avg.Load(); old == 0 {
			q.avg.Store(d)
		} else {
			q.avg.Store(old + (d-old)/8)
		}
		<-q.slots
	}
}

// refuse counts a refusal and estimates when the queue will have drained: the work ahead
// of a new caller, spread over the slots, at the recent duration of one hash.
func (q *queue) refuse(cause error) error {
	q.rejected.Add(1)
	ahead := q.waiting.Load() + int64(len(q.slots))
	wait := time.Duration(q.avg.Load() * (ahead + 1) / int64(cap(q.slots)))
	return &BusyError{RetryAfter: max(time.Second, wait), Cause: cause}
}

func (q *queue) stats() Stats {
	return Stats{
		Concurrency: cap(q.slots), QueueSize: q.size,
		Running: len(q.slots), Waiting: int(q.waiting.Load()), Rejected: q.rejected.Load(),
	}
}
