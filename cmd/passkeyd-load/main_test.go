package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/sqlite"
)

// TestLoadAgainstServer runs the load generator briefly against an in-process server on
// the durable store: every login must succeed.
func TestLoadAgainstServer(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "load.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ch := memory.NewChallenges()
	defer ch.Close()
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "load", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := account.New(context.Background(), db, ch, rp, account.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Accounts: acc, Origins: []string{"http://localhost:8080"}}))
	defer srv.Close()
	var out bytes.Buffer
	err = run(context.Background(), []string{"-url", srv.URL, "-origin", "http://localhost:8080", "-users", "4", "-c", "4", "-n", "200", "-duration", "20s"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "logins=200 failed=0") {
		t.Fatalf("report: %s", out.String())
	}
}
