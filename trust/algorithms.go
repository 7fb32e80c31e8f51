package trust

import (
	"slices"

	"github.com/go-webauthn/webauthn/metadata"
)

// CheckAlgorithms refuses a statement whose attestation algorithm (attStmt.alg) or
// credential key algorithm is not one of the authenticationAlgorithms of the
// authenticator's metadata statement (FIDO2 server test list, MakeCredential Resp-3 F-16
// and Resp-5 F-8): an authenticator claiming a listed model while signing with an
// algorithm that model does not implement is not that model. An entry that lists no
// algorithm (MDS3 requires one; a BLOB parsed leniently may lack it) is not checked, and
// neither is an algorithm the statement does not carry (0).
func CheckAlgorithms(st Statement, entry *metadata.Entry) error {
	if entry == nil || len(entry.MetadataStatement.AuthenticationAlgorithms) == 0 {
		return nil
	}
	listed := make([]int64, 0, len(entry.MetadataStatement.AuthenticationAlgorithms))
	for _, a := range entry.MetadataStatement.AuthenticationAlgorithms {
		if id, ok := a.COSEAlgorithmIdentifier(); ok {
			listed = append(listed, int64(id))
		}
	}
	for _, c := range []struct {
		what string
		alg  int64
	}{{"attestation statement algorithm (attStmt.alg)", st.Alg}, {"credential key algorithm", st.KeyAlg}} {
		if c.alg != 0 && !slices.Contains(listed, c.alg) {
			return refuse("algorithm", "the %s %d is not one of the authenticationAlgorithms %v of this authenticator's FIDO metadata statement (AAGUID %s)",
				c.what, c.alg, entry.MetadataStatement.AuthenticationAlgorithms, entry.AaGUID)
		}
	}
	return nil
}
