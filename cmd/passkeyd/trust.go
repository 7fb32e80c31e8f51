package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
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
	if cfg.MDS == "" {
		return a, nil
	}
	l := &trust.Loader{Source: cfg.MDS, Log: log}
	if cfg.FIDOConformance {
		// The conformance tools sign their test BLOBs with the FIDO MDS3 "FAKE" root.
		l.Root = metadata.ConformanceMDSRoot
	}
	if obs != nil && obs.onMetadataRefresh != nil {
		l.OnRefresh = obs.onMetadataRefresh
	}
	if err := l.Load(ctx); err != nil {
		// Not fatal: the server runs without metadata (registrations that need it are
		// refused with a clear detail) and the refresher keeps trying.
		log.Error("FIDO metadata could not be loaded; retrying hourly", "source", cfg.MDS, "err", err)
	} else {
		log.Info("FIDO metadata loaded", "source", cfg.MDS, "number", l.Current().Number, "next_update", l.Current().NextUpdate.Format("2006-01-02"), "authenticators", l.Current().Len())
	}
	go l.Run(ctx)
	passkeyd.SetMetadataNames(func(aaguid [16]byte) string { return l.Current().Description(uuid.UUID(aaguid)) })
	a.Metadata = l.Current
	a.Loader = l
	return a, nil
}

// conformanceAlgorithms are every COSE algorithm the FIDO2 server conformance tools
// register with: ES256, ES384, ES512, EdDSA, RS256/384/512, PS256/384/512 and RS1.
var conformanceAlgorithms = []int64{-7, -35, -36, -8, -257, -258, -259, -37, -38, -39, -65535}

// conformanceRP is the relying party of the FIDO2 conformance API, nil unless
// PASSKEYD_FIDO_CONFORMANCE is on. It trusts full attestation only when its chain ends at
// a root of PASSKEYD_ATTESTATION_ROOTS or of the metadata, and accepts self and none, as
// the server test list requires.
func conformanceRP(cfg *config.Config, anchors trust.Anchors, log *slog.Logger) (*ceremony.RP, error) {
	if !cfg.FIDOConformance {
		return nil, nil
	}
	if anchors.Roots == nil && cfg.MDS == "" {
		log.Warn("FIDO conformance API on without PASSKEYD_ATTESTATION_ROOTS or PASSKEYD_MDS: every full attestation will be refused")
	}
	log.Warn("FIDO conformance API enabled (PASSKEYD_FIDO_CONFORMANCE): for certification runs only, never in production")
	return ceremony.New(ceremony.Config{
		RPID: cfg.RPID, RPName: cfg.RPName, Origins: cfg.WebOrigins(), OpaqueOrigins: cfg.OpaqueOrigins(),
		Algorithms: conformanceAlgorithms, Timeout: cfg.ChallengeTTL, Attestation: "none",
		Profile: func(string) ceremony.Profile {
			return ceremony.Profile{ResidentKey: "discouraged", UserVerification: "preferred", Trust: trust.Policy{Mode: trust.Roots}}
		},
		Trust:       anchors,
		Conformance: true,
	})
}

// aaguidLists parses policy.aaguidAllow and policy.aaguidDeny (validated by config.Load).
func aaguidLists(cfg *config.Config) (trust.AAGUIDList, error) {
	allow, err := trust.ParseAAGUIDs(cfg.Policy.AAGUIDAllow)
	if err != nil {
		return trust.AAGUIDList{}, fmt.Errorf("policy.aaguidAllow: %w", err)
	}
	deny, err := trust.ParseAAGUIDs(cfg.Policy.AAGUIDDeny)
	if err != nil {
		return trust.AAGUIDList{}, fmt.Errorf("policy.aaguidDeny: %w", err)
	}
	return trust.AAGUIDList{Allow: allow, Deny: deny}, nil
}
