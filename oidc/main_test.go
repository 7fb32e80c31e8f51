package oidc_test

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain silences zitadel/oidc's request-error lines, which go to slog's default logger
// (passkeyd serve routes that logger to the server's own).
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
