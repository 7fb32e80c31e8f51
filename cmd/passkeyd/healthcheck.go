package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

const healthcheckAbout = `Asks a running passkeyd's /healthz (or -path /readyz) and exits 0 on 200, 1 otherwise: the
container image's HEALTHCHECK, which has no shell or curl to do it with.`

func healthcheckFlags(url, path *string, timeout *time.Duration) *flag.FlagSet {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(url, "url", "http://127.0.0.1:8080", "passkeyd base URL")
	fs.StringVar(path, "path", "/healthz", "endpoint: /healthz (the process serves) or /readyz (its dependencies answer)")
	fs.DurationVar(timeout, "timeout", 3*time.Second, "deadline of the request")
	return fs
}

// healthcheck is `passkeyd healthcheck`; see healthcheckAbout.
func healthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	var url, path string
	var timeout time.Duration
	fs := healthcheckFlags(&url, &path, &timeout)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v\n%s", err, flagUsage(fs, healthcheckAbout))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s%s answered %s", url, path, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
