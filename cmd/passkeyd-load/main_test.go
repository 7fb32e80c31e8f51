package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/softauthn"
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

// newServer is an in-process passkeyd on the SQLite database at path.
func newServer(t *testing.T, path string) (*sqlite.DB, *httptest.Server) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ch := memory.NewChallenges()
	t.Cleanup(func() { ch.Close() })
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "load", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := account.New(context.Background(), db, ch, rp, account.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(acc.Close)
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Accounts: acc, Origins: []string{"http://localhost:8080"}}))
	t.Cleanup(srv.Close)
	return db, srv
}

// TestSeededPopulationSignsIn seeds a store, extends the population, and logs in as its
// users through the HTTP API: every seeded credential is one the server accepts.
func TestSeededPopulationSignsIn(t *testing.T) {
	dir := t.TempDir()
	path, pop := filepath.Join(dir, "seed.db"), filepath.Join(dir, "pop.json")
	for _, c := range []struct {
		n    int
		want string
	}{{40, "users=40 created=40 existed=0"}, {50, "users=50 created=10 existed=0"}} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"-seed", strconv.Itoa(c.n), "-workers", "8", "-population", pop, "-database-url", "sqlite://" + path}, &out)
		if err != nil || !strings.Contains(out.String(), c.want) {
			t.Fatalf("seed %d: %v %s; want %s", c.n, err, out.String(), c.want)
		}
	}
	if st, err := os.Stat(pop); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("population file: %v %v; want mode 0600", st, err)
	}
	_, srv := newServer(t, path)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-origin", "http://localhost:8080", "-population", pop, "-c", "4", "-n", "200", "-duration", "20s"}, &out)
	if err != nil || !strings.Contains(out.String(), "logins=200 failed=0") {
		t.Fatalf("logins: %v\n%s", err, out.String())
	}
}

// TestSeededPasskeyIsARegisteredOne: a seeded account stores what a sign-up through the API
// with the same software authenticator stores, but for the random parts.
func TestSeededPasskeyIsARegisteredOne(t *testing.T) {
	db, srv := newServer(t, filepath.Join(t.TempDir(), "reg.db"))
	a := softauthn.MustNew(softauthn.Options{Origin: "http://localhost:8080", ZeroCounter: true})
	l := &loader{client: srv.Client(), base: srv.URL}
	if err := l.signUp(context.Background(), a, "registered"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := db.UserByUsername(ctx, "registered")
	if err != nil {
		t.Fatal(err)
	}
	pks, err := db.Passkeys(ctx, u.ID)
	if err != nil || len(pks) != 1 {
		t.Fatalf("passkeys: %v %v", pks, err)
	}
	sessions, err := db.Sessions(ctx, u.ID, time.Now())
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %v %v", sessions, err)
	}
	acc, err := newPopulation("localhost").account(7, "http://localhost:8080", time.Now().UTC(), 336*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reg, seeded := *pks[0], *acc.Passkey
	for _, p := range []*passkeyd.Passkey{&reg, &seeded} {
		// The etag is drawn by the store when a row is written.
		p.ID, p.UserID, p.PublicKey, p.CreatedAt, p.LastUsedAt, p.ETag = nil, "", nil, time.Time{}, time.Time{}, 0
	}
	if !reflect.DeepEqual(reg, seeded) {
		t.Errorf("passkey:\nregistered %+v\nseeded     %+v", reg, seeded)
	}
	rs, ss := *sessions[0], *acc.Session
	for _, s := range []*passkeyd.Session{&rs, &ss} {
		if s.ExpiresAt.Sub(s.CreatedAt) != 336*time.Hour {
			t.Errorf("session lifetime %v", s.ExpiresAt.Sub(s.CreatedAt))
		}
		s.ID, s.TokenHash, s.UserID, s.CredentialID = "", nil, "", nil
		s.AuthenticatedAt, s.CreatedAt, s.ExpiresAt = time.Time{}, time.Time{}, time.Time{}
		s.UserAgent, s.IP = "", ""
	}
	if !reflect.DeepEqual(rs, ss) {
		t.Errorf("session:\nregistered %+v\nseeded     %+v", rs, ss)
	}
	if u.DisplayName != u.Username || acc.User.DisplayName != acc.User.Username || len(acc.User.Handle) != len(u.Handle) || acc.User.PasswordHash != "" {
		t.Errorf("user: registered %+v, seeded %+v", u, acc.User)
	}
}
