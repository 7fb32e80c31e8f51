package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/passkeyd/passkeyd/account"
)

const importUsage = `usage: passkeyd import -file users.jsonl [-dry-run] [-workers N] [server flags]

Imports password users from JSON Lines, one object per line:
  {"username": "…", "displayName": "…", "passwordHash": "$2b$… or $argon2id$…", "totpSecret": "BASE32…"}
displayName and totpSecret are optional. Each user is created with its TOTP in one
transaction. Existing usernames are skipped after one lookup, so an interrupted import is
resumed by running it again. A progress line goes to standard error every second; the
summary (imported, skipped, failed) to standard output.

  -file F      JSON Lines file of users (- for standard input; default -)
  -dry-run     validate every record and report which users exist; store nothing
  -workers N   records imported at once (default 2×GOMAXPROCS)
`

// importUsers is `passkeyd import`; see importUsage.
func importUsers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("file", "-", "")
	dryRun := fs.Bool("dry-run", false, "")
	workers := fs.Int("workers", 2*runtime.GOMAXPROCS(0), "")
	// The rest of the flags are the server's, to find its database: take ours out first.
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-file" || a == "--file" || a == "-workers" || a == "--workers") && i+1 < len(args):
			if err := fs.Parse(args[i : i+2]); err != nil {
				return fmt.Errorf("%v\n%s", err, importUsage)
			}
			i++
		case a == "-dry-run" || a == "--dry-run" || a == "-dry-run=true" || a == "-dry-run=false":
			if err := fs.Parse([]string{a}); err != nil {
				return err
			}
		default:
			rest = append(rest, a)
		}
	}
	if *workers < 1 || *workers > 256 {
		return fmt.Errorf("import: -workers %d is outside 1 to 256", *workers)
	}
	cfg, err := loadConfig(rest, getenv)
	if err != nil {
		return err
	}
	in, total, err := openImport(*file)
	if err != nil {
		return err
	}
	defer in.Close()
	d, err := openDeps(ctx, cfg, nil, nil)
	if err != nil {
		return err
	}
	defer d.close()
	imp := &importer{accounts: d.accounts, opts: account.ImportOptions{DryRun: *dryRun}, total: total, start: time.Now()}
	stopProgress := imp.progressEvery(time.Second, stderr)
	err = imp.run(ctx, in, *workers, stdout)
	stopProgress()
	s := imp.snapshot()
	key := "imported"
	if *dryRun {
		key = "would_import"
	}
	fmt.Fprintf(stdout, "%s=%d skipped=%d failed=%d in %.1fs\n", key, s.imported, s.skipped, s.failed, time.Since(imp.start).Seconds())
	if err != nil {
		return err
	}
	if s.failed > 0 {
		return fmt.Errorf("%d records failed", s.failed)
	}
	return nil
}

// openImport opens the file (or standard input) and counts its non-empty lines when it is
// a regular file, so that progress can say how much is left; total is 0 when unknown.
func openImport(name string) (io.ReadCloser, int, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), 0, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return f, 0, nil
	}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			total++
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, total, nil
}

type importer struct {
	accounts                  *account.Service
	opts                      account.ImportOptions
	total                     int
	start                     time.Time
	imported, skipped, failed atomic.Int64
	outMu                     sync.Mutex // one writer of error lines at a time
}

type importCounts struct{ imported, skipped, failed int64 }

func (im *importer) snapshot() importCounts {
	return importCounts{im.imported.Load(), im.skipped.Load(), im.failed.Load()}
}

type importLine struct {
	n    int
	data []byte
}

// run imports every line with a bounded number of workers: the store's lookups and
// commits overlap (PostgreSQL serves them in parallel; SQLite serialises the writes).
func (im *importer) run(ctx context.Context, in io.Reader, workers int, out io.Writer) error {
	lines := make(chan importLine, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range lines {
				im.one(ctx, l, out)
			}
		}()
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var err error
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		select {
		case lines <- importLine{n: n, data: bytes.Clone(b)}:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	close(lines)
	wg.Wait()
	if err == nil {
		err = sc.Err()
	}
	return err
}

func (im *importer) one(ctx context.Context, l importLine, out io.Writer) {
	var r account.ImportRecord
	dec := json.NewDecoder(bytes.NewReader(l.data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&r)
	if err == nil {
		err = im.accounts.Import(ctx, r, im.opts)
	}
	switch {
	case err == nil:
		im.imported.Add(1)
	case errors.Is(err, account.ErrImportExists):
		im.skipped.Add(1)
	default:
		im.failed.Add(1)
		im.outMu.Lock()
		fmt.Fprintf(out, "line %d: %v\n", l.n, err)
		im.outMu.Unlock()
	}
}

// progressEvery writes a progress line every interval until the returned function is
// called: done/total, the rate since the start and the time left at that rate.
func (im *importer) progressEvery(interval time.Duration, w io.Writer) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintln(w, im.progressLine(time.Since(im.start)))
			}
		}
	}()
	return func() { close(stop); <-done }
}

func (im *importer) progressLine(elapsed time.Duration) string {
	s := im.snapshot()
	n := s.imported + s.skipped + s.failed
	rate := float64(n) / elapsed.Seconds()
	if im.total == 0 {
		return fmt.Sprintf("import: %d done, %.0f/s (imported %d, skipped %d, failed %d)", n, rate, s.imported, s.skipped, s.failed)
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(int64(im.total)-n) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("import: %d/%d (%.0f%%), %.0f/s, ETA %s (imported %d, skipped %d, failed %d)",
		n, im.total, 100*float64(n)/float64(im.total), rate, eta, s.imported, s.skipped, s.failed)
}
