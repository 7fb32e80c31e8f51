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
  oidc-clients                      list the OpenID Connect clients
  oidc-client-add ID REDIRECT-URI[,URI…] [public] [SCOPE,…]
                                    add a client (confidential unless "public"; the
                                    generated secret is printed once)
  oidc-client-remove ID             remove a client added at run time, and its grants
  aaguids                           show the AAGUID allow and deny lists (configured and run-time)
  aaguid-allow AAGUID [NOTE]        put a model on the run-time allow list (all instances)
  aaguid-deny AAGUID [NOTE]         put a model on the run-time deny list (all instances)
  aaguid-remove AAGUID              take a model off the run-time lists
  aaguid-users AAGUID [AFTER]       list the users holding passkeys of a model, a page at a time
  aaguid-revoke AAGUID              revoke every passkey of a model, ending their sessions
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
	var body any
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
	case rest[0] == "oidc-clients" && len(rest) == 1:
		method, path = http.MethodGet, "/admin/v1/oidc/clients"
	case rest[0] == "oidc-client-add" && len(rest) >= 3 && len(rest) <= 5:
		method, path = http.MethodPost, "/admin/v1/oidc/clients"
		body = oidcClientBody(rest[1:])
	case rest[0] == "oidc-client-remove" && len(rest) == 2:
		method, path = http.MethodDelete, "/admin/v1/oidc/clients/"+p(rest[1])
	case rest[0] == "aaguids" && len(rest) == 1:
		method, path = http.MethodGet, "/admin/v1/aaguids"
	case (rest[0] == "aaguid-allow" || rest[0] == "aaguid-deny") && len(rest) >= 2:
		method, path = http.MethodPut, "/admin/v1/aaguids/"+p(rest[1])
		body = map[string]string{"list": strings.TrimPrefix(rest[0], "aaguid-"), "note": strings.Join(rest[2:], " ")}
	case rest[0] == "aaguid-remove" && len(rest) == 2:
		method, path = http.MethodDelete, "/admin/v1/aaguids/"+p(rest[1])
	case rest[0] == "aaguid-users" && (len(rest) == 2 || len(rest) == 3):
		method, path = http.MethodGet, "/admin/v1/aaguids/"+p(rest[1])+"/users"
		if len(rest) == 3 {
			path += "?after=" + url.QueryEscape(rest[2])
		}
	case rest[0] == "aaguid-revoke" && len(rest) == 2:
		return revokeAAGUID(ctx, *base, *token, rest[1], stdout)
	default:
		return fmt.Errorf("%s", adminUsage)
	}
	out, err := adminCall(ctx, *base, *token, method, path, body)
	if err != nil {
		return err
	}
	if len(out) == 0 {
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// adminCall makes one operator API request and returns the body of a 2xx answer.
func adminCall(ctx context.Context, base, token, method, path string, body any) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}

// revokeAAGUID calls the bulk revocation until no passkey of the model is left (each call
// revokes a bounded batch) and prints the total.
func revokeAAGUID(ctx context.Context, base, token, aaguid string, stdout io.Writer) error {
	path := "/admin/v1/aaguids/" + url.PathEscape(aaguid) + "/revoke"
	total := 0
	for {
		out, err := adminCall(ctx, base, token, http.MethodPost, path, nil)
		if err != nil {
			if total > 0 {
				return fmt.Errorf("%d passkeys revoked, then: %w", total, err)
			}
			return err
		}
		var r struct {
			Revoked int  `json:"revoked"`
			More    bool `json:"more"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("POST %s: %s", path, bytes.TrimSpace(out))
		}
		total += r.Revoked
		if !r.More {
			break
		}
		if r.Revoked == 0 {
			// The server says more remain but revoked none this time: do not spin.
			return fmt.Errorf("%d passkeys revoked; the server reports more but revoked none on the last call, try again", total)
		}
	}
	fmt.Fprintf(stdout, "{\n  \"revoked\": %d\n}\n", total)
	return nil
}

// oidcClientBody is the JSON of oidc-client-add ID URIS [public] [SCOPES].
func oidcClientBody(args []string) any {
	c := struct {
		ID           string   `json:"id"`
		RedirectURIs []string `json:"redirectURIs"`
		Public       bool     `json:"public"`
		Scopes       []string `json:"scopes,omitempty"`
	}{ID: args[0], RedirectURIs: strings.Split(args[1], ",")}
	for _, a := range args[2:] {
		if a == "public" {
			c.Public = true
		} else {
			c.Scopes = strings.Split(a, ",")
		}
	}
	return c
}
