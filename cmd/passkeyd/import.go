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

	"github.com/passkeyd/passkeyd/account"
)

// importUsers is `passkeyd import -file users.jsonl`: one JSON object per line,
// {"username", "displayName"?, "passwordHash" (bcrypt or argon2id), "totpSecret"? (base32)}.
// Existing usernames are skipped, so an interrupted import can be run again.
func importUsers(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("passkeyd import", flag.ContinueOnError)
	file := fs.String("file", "-", "JSON Lines file of users (- for standard input)")
	// The rest of the flags are the server's, to find its database.
	var rest []string
	for i := 0; i < len(args); i++ {
		if (args[i] == "-file" || args[i] == "--file") && i+1 < len(args) {
			*file = args[i+1]
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	cfg, err := loadConfig(rest, getenv)
	if err != nil {
		return err
	}
	in := os.Stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	d, err := openDeps(ctx, cfg, nil, nil)
	if err != nil {
		return err
	}
	defer d.close()
	accounts := d.accounts
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var imported, skipped, failed int
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r account.ImportRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		err := dec.Decode(&r)
		if err == nil {
			err = accounts.Import(ctx, r)
		}
		switch {
		case err == nil:
			imported++
		case errors.Is(err, account.ErrImportExists):
			skipped++
		default:
			failed++
			fmt.Fprintf(stdout, "line %d: %v\n", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported=%d skipped=%d failed=%d\n", imported, skipped, failed)
	if failed > 0 {
		return fmt.Errorf("%d records failed", failed)
	}
	return nil
}
