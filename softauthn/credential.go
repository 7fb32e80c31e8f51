package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/fxamacker/cbor/v2"
)

// credential is one key pair and what the authenticator stores with it (CTAP2 §6.1.2).
type credential struct {
	id           []byte
	rpID         string
	rpIDHash     [32]byte
	userHandle   []byte
	alg          int64
	discoverable bool
	key          crypto.Signer
	cose         []byte // the COSE_Key of the public half
	count        atomic.Uint32
}

// newCredential makes a credential with a fresh key pair for alg.
func newCredential(id []byte, rpID string, userHandle []byte, alg int64, discoverable bool) (*credential, error) {
	key, err := newKey(alg)
	if err != nil {
		return nil, err
	}
	return makeCredential(id, rpID, userHandle, alg, discoverable, key)
}

func makeCredential(id []byte, rpID string, userHandle []byte, alg int64, discoverable bool, key crypto.Signer) (*credential, error) {
	cose, err := coseKey(key.Public(), alg)
	if err != nil {
		return nil, err
	}
	return &credential{
		id: id, rpID: rpID, rpIDHash: sha256.Sum256([]byte(rpID)), userHandle: userHandle,
		alg: alg, discoverable: discoverable, key: key, cose: cose,
	}, nil
}

func (c *credential) public() Credential {
	return Credential{
		ID: clone(c.id), RPID: c.rpID, UserHandle: clone(c.userHandle), Algorithm: c.alg,
		SignCount: c.count.Load(), Discoverable: c.discoverable, PublicKey: clone(c.cose),
	}
}

func newKey(alg int64) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("softauthn: unsupported algorithm %d", alg)
}

// keyMatches reports whether key is of the type alg needs, for Import.
func keyMatches(key crypto.Signer, alg int64) bool {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return alg == ES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == EdDSA
	case *rsa.PrivateKey:
		return alg == RS256
	}
	return false
}

// sign produces a WebAuthn signature (§6.5.5) over msg: ASN.1 DER ECDSA, raw Ed25519,
// RSASSA-PKCS1-v1_5; ECDSA and RSA over SHA-256(msg).
func sign(key crypto.Signer, msg []byte) ([]byte, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(msg)
		return ecdsa.SignASN1(rand.Reader, k, h[:])
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	case *rsa.PrivateKey:
		h := sha256.Sum256(msg)
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	}
	return nil, fmt.Errorf("softauthn: unsupported key %T", key)
}

// ctap2 encodes CBOR in the CTAP2 canonical form (CTAP2 §8, RFC 8949 §4.2.3 length-first
// core deterministic): definite lengths, shortest integers, map keys sorted.
var ctap2 = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// coseKey encodes pub as a COSE_Key (RFC 9053 §7.1 EC2 and OKP, RFC 8230 §4 RSA) claiming
// alg, which Tamper.Algorithm may set to something else.
func coseKey(pub crypto.PublicKey, alg int64) ([]byte, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		p, err := k.Bytes() // 0x04 || x || y
		if err != nil {
			return nil, err
		}
		return ctap2.Marshal(map[int]any{1: 2, 3: alg, -1: 1, -2: p[1:33], -3: p[33:65]})
	case ed25519.PublicKey:
		return ctap2.Marshal(map[int]any{1: 1, 3: alg, -1: 6, -2: []byte(k)})
	case *rsa.PublicKey:
		return ctap2.Marshal(map[int]any{1: 3, 3: alg, -1: k.N.Bytes(), -2: big.NewInt(int64(k.E)).Bytes()})
	}
	return nil, fmt.Errorf("softauthn: unsupported public key %T", pub)
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
