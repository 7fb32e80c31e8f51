package trust

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// AAGUIDList is an operator's allow and deny lists of authenticator models. An empty
// Allow allows every model not denied.
type AAGUIDList struct {
	Allow, Deny []uuid.UUID
}

// ParseAAGUIDs parses a list of AAGUIDs in their 8-4-4-4-12 form.
func ParseAAGUIDs(in []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(in))
	for _, s := range in {
		id, err := uuid.Parse(strings.TrimSpace(s))
		if err != nil || len(strings.TrimSpace(s)) != 36 {
			return nil, fmt.Errorf("%q is not an AAGUID (e.g. fbfc3007-154e-4ecc-8c0b-6e020557d7bd)", s)
		}
		out = append(out, id)
	}
	return out, nil
}

// Check refuses an AAGUID the deny list names, or one the allow list (when not empty) does
// not. Unless the attestation chain was checked (trust mode roots or metadata), the AAGUID
// is the authenticator's own claim: the lists then keep honest models out, not attackers.
func (l AAGUIDList) Check(aaguid uuid.UUID) error {
	if slices.Contains(l.Deny, aaguid) {
		return refuse("aaguid_denied", "authenticators of model %s (AAGUID) are not accepted on this server", aaguid)
	}
	if len(l.Allow) > 0 && !slices.Contains(l.Allow, aaguid) {
		return refuse("aaguid_not_allowed", "authenticator model %s (AAGUID) is not on this server's allow list", aaguid)
	}
	return nil
}
