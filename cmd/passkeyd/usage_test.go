package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSubcommandHelp: each subcommand's -h is its own, not the server's list of settings;
// -version is version.
func TestSubcommandHelp(t *testing.T) {
	for cmd, want := range map[string]string{
		"probe":   "-origin",
		"admin":   "revoke-passkey",
		"doctor":  "passkeyd doctor [-url URL]",
		"import":  "-dry-run",
		"migrate": "passkeyd migrate",
		"serve":   "PASSKEYD_RP_ID",
	} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{cmd, "-h"}, func(string) string { return "" }, &out, &out); err != nil {
			t.Errorf("%s -h: %v", cmd, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s -h lacks %q:\n%s", cmd, want, out.String())
		}
		if cmd != "serve" && strings.Contains(out.String(), "PASSKEYD_RP_ID") {
			t.Errorf("%s -h prints the server's settings", cmd)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out, &out); err != nil || !strings.HasPrefix(out.String(), "passkeyd ") || !strings.Contains(out.String(), "commit") {
		t.Errorf("-version: %q %v", out.String(), err)
	}
}
