package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const adminUsage = `usage: passkeyd admin [-url URL] [-token T] COMMAND ARGS
  search PREFIX                     find accounts by username prefix
  user NAME|ID                      show an account: user, passkeys, recent activity
  revoke-passkey USER-ID CRED-ID    remove a lost or stolen passkey (even the last)
  clear-clone-warning USER-ID CRED-ID
                                    let a passkey flagged as possibly cloned sign in again
  revoke-sessions USER-ID           sign the user out everywhere
  webhooks-dead                     list webhook deliveries that were given up on
  webhook-retry DELIVERY-ID         send a dead webhook delivery again
The token defaults to PASSKEYD_ADMIN_TOKEN.`

type adminOptions struct{ base, token string }

func adminFlags(o *adminOptions, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.base, "url", "http://localhost:8080", "passkeyd base URL")
	fs.StringVar(&o.token, "token", getenv("PASSKEYD_ADMIN_TOKEN"), "admin token (PASSKEYD_ADMIN_TOKEN)")
	fs.Usage = func() {}
	return fs
}

// admin calls the operator API of a running server.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var o adminOptions
	fs := adminFlags(&o, getenv)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v\n%s", err, adminUsage)
	}
	base, token := &o.base, &o.token
	rest := fs.Args()
	if len(rest) == 0 || *token == "" {
		return fmt.Errorf("%s", adminUsage)
	}
	p := url.PathEscape
	var method, path string
	switch {
	case rest[0] == "search" && len(rest) == 2:
		method, path = http.MethodGet, "/admin/v1/users?q="+url.QueryEscape(rest[1])
	case rest[0] == "user" && len(rest) == 2:
		method, path = http.MethodGet, "/admin/v1/users/"+p(rest[1])
	case rest[0] == "revoke-passkey" && len(rest) == 3:
		method, path = http.MethodDelete, "/admin/v1/users/"+p(rest[1])+"/passkeys/"+p(rest[2])
	case rest[0] == "clear-clone-warning" && len(rest) == 3:
		method, path = http.MethodPost, "/admin/v1/users/"+p(rest[1])+"/passkeys/"+p(rest[2])+"/clear-clone-warning"
	case rest[0] == "revoke-sessions" && len(rest) == 2:
		method, path = http.MethodDelete, "/admin/v1/users/"+p(rest[1])+"/sessions"
	case rest[0] == "webhooks-dead" && len(rest) == 1:
		method, path = http.MethodGet, "/admin/v1/webhooks/dead"
	case rest[0] == "webhook-retry" && len(rest) == 2:
		method, path = http.MethodPost, "/admin/v1/webhooks/"+p(rest[1])+"/retry"
	default:
		return fmt.Errorf("%s", adminUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*base, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(body))
	}
	if len(body) == 0 {
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	fmt.Fprintln(stdout, string(body))
	return nil
}
