package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd/softauthn"
)

// TestAdminAAGUIDCLI: passkeyd admin lists and changes the AAGUID lists of a running
// server, finds who holds a model's passkeys and revokes them all.
func TestAdminAAGUIDCLI(t *testing.T) {
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_ADMIN_TOKEN":  "Zk3pW9qR2vX7mB4nT8yL1cH6fJ0sD5gA",
		"PASSKEYD_AAGUID_DENY":  "00000000-0000-0000-0000-00000000dead",
	}
	getenv := func(k string) string { return env[k] }
	url := serveForTest(t, env)
	model := uuid.UUID(softauthn.DefaultAAGUID).String()
	adm := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"admin", "-url", url}, args...), getenv, &out, &out)
		return out.String(), err
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"probe", "-url", url}, getenv, &out, &out); err != nil {
		t.Fatalf("probe: %v\n%s", err, out.String())
	}
	user := strings.TrimSpace(out.String()[strings.LastIndex(out.String(), "user=")+5:])

	if o, err := adm("aaguids"); err != nil || !strings.Contains(o, `"source": "configuration"`) || strings.Contains(o, `"source": "runtime"`) {
		t.Fatalf("aaguids: %v\n%s", err, o)
	}
	if o, err := adm("aaguid-users", model); err != nil || !strings.Contains(o, `"username": "`+user+`"`) {
		t.Fatalf("aaguid-users: %v\n%s", err, o)
	}
	if o, err := adm("aaguid-deny", model, "found", "compromised"); err != nil || !strings.Contains(o, `"note": "found compromised"`) {
		t.Fatalf("aaguid-deny: %v\n%s", err, o)
	}
	// The running server refuses the model now.
	out.Reset()
	if err := run(context.Background(), []string{"probe", "-url", url}, getenv, &out, &out); err == nil || !strings.Contains(err.Error()+out.String(), "not accepted on this server") {
		t.Fatalf("probe after the deny: %v\n%s", err, out.String())
	}
	// The probe leaves one passkey (its phone) of the model.
	if o, err := adm("aaguid-revoke", model); err != nil || !strings.Contains(o, `"revoked": 1`) {
		t.Fatalf("aaguid-revoke: %v\n%s", err, o)
	}
	if o, err := adm("aaguid-users", model); err != nil || strings.Contains(o, user) {
		t.Fatalf("aaguid-users after the revocation: %v\n%s", err, o)
	}
	if o, err := adm("aaguid-allow", model); err != nil || !strings.Contains(o, `"list": "allow"`) {
		t.Fatalf("aaguid-allow: %v\n%s", err, o)
	}
	if o, err := adm("aaguid-remove", model); err != nil || strings.TrimSpace(o) != "ok" {
		t.Fatalf("aaguid-remove: %v\n%s", err, o)
	}
	if _, err := adm("aaguid-remove", model); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("removing twice: %v", err)
	}
	if _, err := adm("aaguid-deny", "not-an-aaguid"); err == nil || !strings.Contains(err.Error(), "invalid_request") {
		t.Fatalf("a bad AAGUID: %v", err)
	}
	if _, err := adm("aaguid-frobnicate", model); err == nil || !strings.Contains(err.Error(), "aaguid-revoke AAGUID") {
		t.Fatalf("unknown command: %v", err)
	}
}
