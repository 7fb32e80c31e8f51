package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// TestGroupCommitIsolatesFailures: concurrent writes share commits, but one write's
// failure never undoes or fails another's.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i%40) // 20 names are claimed twice
			u := &passkeyd.User{ID: fmt.Sprintf("id%d", i), Handle: []byte(fmt.Sprintf("handle%d", i)), Username: name, UsernameKey: name, DisplayName: name, CreatedAt: time.Now()}
			errs[i] = db.CreateAccount(ctx, passkeyd.NewAccount{User: u})
		}()
	}
	wg.Wait()
	ok, taken := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, passkeyd.ErrUsernameTaken):
			taken++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 40 || taken != 20 {
		t.Fatalf("%d created, %d taken; want 40 and 20", ok, taken)
	}
	for i := 0; i < 40; i++ {
		if _, err := db.UserByUsername(ctx, fmt.Sprintf("user%d", i)); err != nil {
			t.Fatalf("user%d missing after its write was acknowledged: %v", i, err)
		}
	}
}

func TestCancelledWriteDoesNothing(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := &passkeyd.User{ID: "x", Handle: []byte("h"), Username: "x", UsernameKey: "xyz", DisplayName: "x", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u}); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	if _, err := db.UserByUsername(context.Background(), "xyz"); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatalf("cancelled write stored the user: %v", err)
	}
	db.Close()
	if err := db.CreateAccount(context.Background(), passkeyd.NewAccount{User: u}); err == nil {
		t.Fatal("write after Close succeeded")
	}
}
