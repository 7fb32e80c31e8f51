package softauthn

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// ctap2 encodes CBOR in the CTAP2 canonical form authenticators use: definite lengths,
// map keys sorted by length then bytes.
var ctap2 = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// coseKey encodes the public half of key as a COSE_Key (RFC 9053).
func coseKey(key any, alg int64) ([]byte, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return ctap2.Marshal(map[int]any{1: 2, 3: alg, -1: 1, -2: pad32(k.X), -3: pad32(k.Y)})
	case ed25519.PrivateKey:
		return ctap2.Marshal(map[int]any{1: 1, 3: alg, -1: 6, -2: []byte(k.Public().(ed25519.PublicKey))})
	case *rsa.PrivateKey:
		return ctap2.Marshal(map[int]any{1: 3, 3: alg, -1: k.N.Bytes(), -2: big.NewInt(int64(k.E)).Bytes()})
	}
	return nil, fmt.Errorf("softauthn: unsupported key %T", key)
}

func pad32(n *big.Int) []byte {
	b := make([]byte, 32)
	return n.FillBytes(b)
}

// u2fPublicKey is the uncompressed ANSI X9.62 point fido-u2f attestation signs over.
func u2fPublicKey(k *ecdsa.PrivateKey) []byte {
	out := []byte{0x04}
	out = append(out, pad32(k.X)...)
	return append(out, pad32(k.Y)...)
}
