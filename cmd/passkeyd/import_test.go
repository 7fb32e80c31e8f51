package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeUsers writes n users sharing one bcrypt hash (import never computes it), every
// tenth with a TOTP secret.
func writeUsers(t testing.TB, file string, n int) {
	bc, err := bcrypt.GenerateFromPassword([]byte("old bcrypt passphrase"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := range n {
		totp := ""
		if i%10 == 0 {
			totp = `, "totpSecret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"`
		}
		fmt.Fprintf(&b, `{"username": "user%05d", "passwordHash": "%s"%s}`+"\n", i, bc, totp)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestImportDryRunAndResume: -dry-run reports and stores nothing; a real run stores every
// user, with the TOTP of those that have one; a re-run skips them all; progress lines say
// done/total, rate and ETA.
func TestImportDryRunAndResume(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	writeUsers(t, file, 200)
	env := map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(dir, "p.db"), "PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", "-dry-run", "-file", file}, getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), "would_import=200 skipped=0 failed=0") {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	d, err := openDeps(context.Background(), mustConfig(t, getenv), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.UserByUsername(context.Background(), "user00000"); err == nil {
		t.Fatal("a dry run stored a user")
	}
	d.close()

	out.Reset()
	if err := run(context.Background(), []string{"import", "-file", file, "-workers", "3"}, getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), "imported=200 skipped=0 failed=0") {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", "-file", file}, getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), "imported=0 skipped=200 failed=0") {
		t.Fatalf("re-run: %v\n%s", err, out.String())
	}
	d, err = openDeps(context.Background(), mustConfig(t, getenv), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for i, wantTOTP := range map[int]bool{0: true, 1: false, 190: true, 199: false} {
		u, err := d.store.UserByUsername(context.Background(), fmt.Sprintf("user%05d", i))
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		got, err := d.store.TOTP(context.Background(), u.ID)
		if (err == nil) != wantTOTP || wantTOTP && !got.Confirmed {
			t.Errorf("user %d: TOTP %+v, %v; want one: %v", i, got, err, wantTOTP)
		}
	}
}

func TestImportProgressLine(t *testing.T) {
	im := &importer{total: 1000}
	im.imported.Add(200)
	im.skipped.Add(50)
	im.failed.Add(50)
	if got, want := im.progressLine(3*time.Second), "import: 300/1000 (30%), 100/s, ETA 7s (imported 200, skipped 50, failed 50)"; got != want {
		t.Errorf("progress line\n got %q\nwant %q", got, want)
	}
	im.total = 0
	if got := im.progressLine(3 * time.Second); !strings.HasPrefix(got, "import: 300 done, 100/s") {
		t.Errorf("progress line without a total: %q", got)
	}
}

// BenchmarkImport10k imports 10,000 bcrypt users (a tenth with TOTP) into SQLite, then runs
// the import again (every user skipped). Run with -benchtime 1x.
func BenchmarkImport10k(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	writeUsers(b, file, 10000)
	for i := 0; i < b.N; i++ {
		env := map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(dir, fmt.Sprintf("p%d.db", i)), "PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1"}
		if u := os.Getenv("PASSKEYD_BENCH_DATABASE_URL"); u != "" {
			env["PASSKEYD_DATABASE_URL"] = u
		}
		getenv := func(k string) string { return env[k] }
		var out bytes.Buffer
		start := time.Now()
		if err := run(context.Background(), []string{"import", "-file", file}, getenv, &out, &bytes.Buffer{}); err != nil {
			b.Fatalf("%v\n%s", err, out.String())
		}
		first := time.Since(start)
		start = time.Now()
		out.Reset()
		if err := run(context.Background(), []string{"import", "-file", file}, getenv, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "skipped=10000") {
			b.Fatalf("re-run: %v\n%s", err, out.String())
		}
		b.ReportMetric(first.Seconds(), "s/import")
		b.ReportMetric(time.Since(start).Seconds(), "s/rerun")
	}
}
