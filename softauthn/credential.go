package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // RS1 (conformance)
	"crypto/sha256"
	_ "crypto/sha512"
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

// algHash is the hash each signature algorithm signs over (EdDSA signs the message).
var algHash = map[int64]crypto.Hash{
	ES256: crypto.SHA256, ES384: crypto.SHA384, ES512: crypto.SHA512,
	RS256: crypto.SHA256, RS384: crypto.SHA384, RS512: crypto.SHA512, RS1: crypto.SHA1,
	PS256: crypto.SHA256, PS384: crypto.SHA384, PS512: crypto.SHA512,
}

// curveOf is the curve of each ECDSA algorithm (RFC 9053 §2.1).
var curveOf = map[int64]elliptic.Curve{ES256: elliptic.P256(), ES384: elliptic.P384(), ES512: elliptic.P521()}

func isRSA(alg int64) bool {
	switch alg {
	case RS256, RS384, RS512, RS1, PS256, PS384, PS512:
		return true
	}
	return false
}

func newKey(alg int64) (crypto.Signer, error) {
	switch {
	case curveOf[alg] != nil:
		return ecdsa.GenerateKey(curveOf[alg], rand.Reader)
	case alg == EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case isRSA(alg):
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("softauthn: unsupported algorithm %d", alg)
}

// keyMatches reports whether key is of the type alg needs, for Import.
func keyMatches(key crypto.Signer, alg int64) bool {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return curveOf[alg] != nil && k.Curve == curveOf[alg]
	case ed25519.PrivateKey:
		return alg == EdDSA
	case *rsa.PrivateKey:
		return isRSA(alg)
	}
	return false
}

// sign produces an ES256 / EdDSA / RS256 signature by key type; signAlg one for alg.
func sign(key crypto.Signer, msg []byte) ([]byte, error) {
	switch key.(type) {
	case ed25519.PrivateKey:
		return signAlg(key, EdDSA, msg)
	case *rsa.PrivateKey:
		return signAlg(key, RS256, msg)
	}
	return signAlg(key, ES256, msg)
}

// signAlg produces a WebAuthn signature (§6.5.5) over msg with alg: ASN.1 DER ECDSA, raw
// Ed25519, RSASSA-PKCS1-v1_5 or RSASSA-PSS, over the algorithm's hash of msg.
func signAlg(key crypto.Signer, alg int64, msg []byte) ([]byte, error) {
	if k, ok := key.(ed25519.PrivateKey); ok {
		return ed25519.Sign(k, msg), nil
	}
	hash, ok := algHash[alg]
	if !ok {
		return nil, fmt.Errorf("softauthn: unsupported algorithm %d for %T", alg, key)
	}
	h := hash.New()
	h.Write(msg)
	sum := h.Sum(nil)
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, k, sum)
	case *rsa.PrivateKey:
		switch alg {
		case PS256, PS384, PS512:
			return rsa.SignPSS(rand.Reader, k, hash, sum, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(nil, k, hash, sum)
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
		crv := map[string]int{"P-256": 1, "P-384": 2, "P-521": 3}[k.Curve.Params().Name]
		n := (len(p) - 1) / 2
		return ctap2.Marshal(map[int]any{1: 2, 3: alg, -1: crv, -2: p[1 : 1+n], -3: p[1+n:]})
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
