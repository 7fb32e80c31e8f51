package ceremony

import (
	"slices"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/passkeyd/passkeyd"
)

func coseAlg(alg int64) webauthncose.COSEAlgorithmIdentifier {
	return webauthncose.COSEAlgorithmIdentifier(alg)
}

// CreationOptions is PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3 §5.4).
type CreationOptions struct {
	RP                     rpEntity               `json:"rp"`
	User                   userEntity             `json:"user"`
	Challenge              Bytes                  `json:"challenge"`
	PubKeyCredParams       []credParam            `json:"pubKeyCredParams"`
	Timeout                int                    `json:"timeout"`
	ExcludeCredentials     []Descriptor           `json:"excludeCredentials"`
	AuthenticatorSelection authenticatorSelection `json:"authenticatorSelection"`
	Attestation            string                 `json:"attestation"`
	Extensions             creationExtensions     `json:"extensions"`
	Hints                  []string               `json:"hints,omitempty"`
}

// RequestOptions is PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3 §5.5).
type RequestOptions struct {
	Challenge        Bytes        `json:"challenge"`
	Timeout          int          `json:"timeout"`
	RPID             string       `json:"rpId"`
	AllowCredentials []Descriptor `json:"allowCredentials"`
	UserVerification string       `json:"userVerification"`
}

// Descriptor is PublicKeyCredentialDescriptorJSON.
type Descriptor struct {
	Type       string   `json:"type"`
	ID         Bytes    `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

type rpEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userEntity struct {
	ID          Bytes  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

type credParam struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

type authenticatorSelection struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	ResidentKey             string `json:"residentKey"`
	RequireResidentKey      bool   `json:"requireResidentKey"`
	UserVerification        string `json:"userVerification"`
}

type creationExtensions struct {
	CredProps bool `json:"credProps"`
}

// PrepareRegistration fills the policy-derived fields of a registration challenge: the
// user verification and resident key requirements of the chosen attachment profile.
func (rp *RP) PrepareRegistration(ch *passkeyd.Challenge) {
	p := rp.cfg.Profile(ch.Attachment)
	ch.UserVerification = p.UserVerification
	ch.ResidentKey = p.ResidentKey
}

// PrepareAuthentication fills the policy-derived fields of an authentication challenge.
func (rp *RP) PrepareAuthentication(ch *passkeyd.Challenge) {
	ch.UserVerification = rp.cfg.Profile("").UserVerification
}

// CreationOptions returns the options for navigator.credentials.create() for user, who
// already has the passkeys in exclude (so the authenticator will not register twice).
func (rp *RP) CreationOptions(ch *passkeyd.Challenge, user *passkeyd.User, exclude []*passkeyd.Passkey) *CreationOptions {
	o := &CreationOptions{
		RP:                 rpEntity{ID: rp.cfg.RPID, Name: rp.cfg.RPName},
		User:               userEntity{ID: user.Handle, Name: user.Username, DisplayName: user.DisplayName},
		Challenge:          ch.Value,
		PubKeyCredParams:   rp.pubKeyArgs,
		Timeout:            rp.timeoutMS,
		ExcludeCredentials: make([]Descriptor, 0, len(exclude)),
		AuthenticatorSelection: authenticatorSelection{
			AuthenticatorAttachment: ch.Attachment,
			ResidentKey:             ch.ResidentKey,
			RequireResidentKey:      ch.ResidentKey == "required",
			UserVerification:        ch.UserVerification,
		},
		Attestation: rp.conveyance(ch.Attachment),
		Extensions:  creationExtensions{CredProps: true},
	}
	switch ch.Attachment {
	case "platform":
		o.Hints = []string{"client-device"}
	case "cross-platform":
		o.Hints = []string{"security-key"}
	}
	for _, p := range exclude {
		o.ExcludeCredentials = append(o.ExcludeCredentials, Descriptor{Type: "public-key", ID: p.ID, Transports: p.Transports})
	}
	return o
}

// RequestOptions returns the options for navigator.credentials.get(). An empty allow list
// asks for a discoverable credential (usernameless login, conditional UI).
func (rp *RP) RequestOptions(ch *passkeyd.Challenge, allow []Descriptor) *RequestOptions {
	if allow == nil {
		allow = []Descriptor{}
	}
	return &RequestOptions{
		Challenge:        ch.Value,
		Timeout:          rp.timeoutMS,
		RPID:             rp.cfg.RPID,
		AllowCredentials: allow,
		UserVerification: ch.UserVerification,
	}
}

// Descriptors lists passkeys as allowCredentials entries.
func Descriptors(ps []*passkeyd.Passkey) []Descriptor {
	out := make([]Descriptor, 0, len(ps))
	for _, p := range ps {
		// Sorted here as well, for passkeys stored before transports were kept sorted.
		out = append(out, Descriptor{Type: "public-key", ID: p.ID, Transports: slices.Sorted(slices.Values(p.Transports))})
	}
	return out
}
