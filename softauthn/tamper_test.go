package softauthn_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passkeyd/passkeyd/softauthn"
)

const evil = "https://evil.example"

// tamperCase is one bad payload. want is the go-webauthn failure it must cause; relax, when
// set, loosens the verifier so that exactly this payload passes, showing that the tamper
// broke that check and no other. Cases for what go-webauthn's protocol layer leaves to the
// relying party (counters, backup flags, credential lookup, user handles) verify and then
// assert on the parsed value instead.
type tamperCase struct {
	name   string
	opts   softauthn.Options
	tamper softauthn.Tamper
	setup  func(*verifier) // the relying party's configuration for this case
	want   string
	relax  func(*verifier)
}

var (
	otherChallenge = []byte("a challenge this server never issued")
	zero           = uint32(0)
)

func clientDataCases(otherType string) []tamperCase {
	return []tamperCase{
		{name: "type", tamper: softauthn.Tamper{Type: otherType}, want: "Error validating ceremony type"},
		{name: "challenge", tamper: softauthn.Tamper{Challenge: otherChallenge}, want: "Error validating challenge",
			relax: func(v *verifier) { v.challenge = otherChallenge }},
		{name: "origin", tamper: softauthn.Tamper{Origin: evil}, want: "Error validating origin",
			relax: func(v *verifier) { v.origins = append(v.origins, evil) }},
		{name: "crossOrigin", tamper: softauthn.Tamper{CrossOrigin: true}, want: "Error validating cross origin flag",
			relax: func(v *verifier) { v.allowCross = true }},
		{name: "topOrigin", tamper: softauthn.Tamper{TopOrigin: evil},
			setup: func(v *verifier) { v.allowCross, v.topOrigins = true, []string{"https://shop.example"} },
			want:  "Error validating top origin", relax: func(v *verifier) { v.topOrigins = append(v.topOrigins, evil) }},
		{name: "rpIdHash", tamper: softauthn.Tamper{RPID: "evil.example"}, want: "RP Hash mismatch",
			relax: func(v *verifier) { v.rpID = "evil.example" }},
		{name: "UP cleared", tamper: softauthn.Tamper{ClearUP: true}, want: "User presence required",
			relax: func(v *verifier) { v.up = false }},
		{name: "UV cleared", tamper: softauthn.Tamper{ClearUV: true}, want: "User verification required",
			relax: func(v *verifier) { v.uv = false }},
	}
}

func TestTamperRegistration(t *testing.T) {
	cases := append(clientDataCases("webauthn.get"),
		tamperCase{name: "algorithm not offered", tamper: softauthn.Tamper{Algorithm: -36}, want: "Credential public key algorithm not supported",
			relax: func(v *verifier) { v.algs = append(v.algs, -36) }},
		tamperCase{name: "packed self signature", opts: softauthn.Options{Attestation: softauthn.AttestationPackedSelf},
			tamper: softauthn.Tamper{CorruptAttestation: true}, want: "Unable to verify signature"},
		tamperCase{name: "packed x5c signature", opts: softauthn.Options{Attestation: softauthn.AttestationPacked},
			tamper: softauthn.Tamper{CorruptAttestation: true}, want: "Signature validation error"},
		tamperCase{name: "fido-u2f signature", opts: softauthn.Options{Attestation: softauthn.AttestationFIDOU2F},
			tamper: softauthn.Tamper{CorruptAttestation: true}, want: "Signature validation error"},
		tamperCase{name: "rawId is not the attested id", tamper: softauthn.Tamper{RawID: []byte("another credential")},
			want: "Error validating the attested credential id"},
		tamperCase{name: "credential id of 1024 bytes", tamper: softauthn.Tamper{CredentialIDLen: 1024}, want: "Error parsing attestation response"},
		tamperCase{name: "credential id of 1023 bytes is fine", tamper: softauthn.Tamper{CredentialIDLen: 1023}},
		tamperCase{name: "chosen credential id", tamper: softauthn.Tamper{CredentialID: []byte("chosen id")}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(c.opts)
			ch := newChallenge()
			resp, err := a.RegisterWith(creationOptions(ch, userID, allAlgs), c.tamper)
			if err != nil {
				t.Fatal(err)
			}
			v := newVerifier(ch)
			if c.setup != nil {
				c.setup(&v)
			}
			_, err = v.register(resp)
			checkVerdict(t, err, c.want)
			if c.relax != nil {
				c.relax(&v)
				if _, err := v.register(resp); err != nil {
					t.Errorf("with that check relaxed: %s", describe(err))
				}
			}
		})
	}
}

func TestTamperAuthentication(t *testing.T) {
	synced := softauthn.Options{BackupEligible: true, BackedUp: true}
	other := []byte("someone else's handle")
	cases := append(clientDataCases("webauthn.create"),
		tamperCase{name: "signature", tamper: softauthn.Tamper{CorruptSignature: true}, want: "Error validating the assertion signature"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(c.opts)
			cose := registered(t, a).Response.AttestationObject.AuthData.AttData.CredentialPublicKey
			ch := newChallenge()
			resp, err := a.LoginWith(requestOptions(ch), c.tamper)
			if err != nil {
				t.Fatal(err)
			}
			v := newVerifier(ch)
			if c.setup != nil {
				c.setup(&v)
			}
			_, err = v.login(resp, cose)
			checkVerdict(t, err, c.want)
			if c.relax != nil {
				c.relax(&v)
				if _, err := v.login(resp, cose); err != nil {
					t.Errorf("with that check relaxed: %s", describe(err))
				}
			}
		})
	}

	// What §7.2 leaves to the relying party's records: the payload verifies, and carries
	// the tampered value for the server to refuse.
	relyingPartyCases := []struct {
		name   string
		opts   softauthn.Options
		tamper softauthn.Tamper
		check  func(p *protocol.ParsedCredentialAssertionData, registered []byte) bool
	}{
		{"counter regression", softauthn.Options{}, softauthn.Tamper{SignCount: &zero},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				return p.Response.AuthenticatorData.Counter == 0
			}},
		{"BS without BE (§6.1.3)", softauthn.Options{}, softauthn.Tamper{SetBS: true},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				f := p.Response.AuthenticatorData.Flags
				return f.HasBackupState() && !f.HasBackupEligible()
			}},
		{"BE set after registration", softauthn.Options{}, softauthn.Tamper{SetBE: true},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				return p.Response.AuthenticatorData.Flags.HasBackupEligible()
			}},
		{"BE cleared after registration", synced, softauthn.Tamper{ClearBE: true},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				f := p.Response.AuthenticatorData.Flags
				return !f.HasBackupEligible() && f.HasBackupState()
			}},
		{"BS cleared", synced, softauthn.Tamper{ClearBS: true},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				f := p.Response.AuthenticatorData.Flags
				return f.HasBackupEligible() && !f.HasBackupState()
			}},
		{"unknown credential id", softauthn.Options{}, softauthn.Tamper{RawID: []byte("never registered")},
			func(p *protocol.ParsedCredentialAssertionData, reg []byte) bool {
				return string(p.RawID) == "never registered" && p.ID == "bmV2ZXIgcmVnaXN0ZXJlZA"
			}},
		{"userHandle of another user", softauthn.Options{}, softauthn.Tamper{UserHandle: other},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool {
				return bytes.Equal(p.Response.UserHandle, other)
			}},
		{"userHandle omitted for a discoverable credential", softauthn.Options{}, softauthn.Tamper{OmitUserHandle: true},
			func(p *protocol.ParsedCredentialAssertionData, _ []byte) bool { return p.Response.UserHandle == nil }},
	}
	for _, c := range relyingPartyCases {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(c.opts)
			reg := registered(t, a)
			ch := newChallenge()
			resp, err := a.LoginWith(requestOptions(ch), c.tamper)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newVerifier(ch).login(resp, reg.Response.AttestationObject.AuthData.AttData.CredentialPublicKey)
			if err != nil {
				t.Fatalf("§7.2 verification: %s", describe(err))
			}
			if !c.check(p, reg.RawID) {
				t.Errorf("tamper not visible: %s", resp)
			}
		})
	}
}

func TestTamperSignCountLeavesTheCounter(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	registered(t, a)
	seven := uint32(7)
	if _, err := a.LoginWith(requestOptions(newChallenge()), softauthn.Tamper{SignCount: &seven}); err != nil {
		t.Fatal(err)
	}
	if got := a.Credentials()[0].SignCount; got != 1 {
		t.Errorf("stored counter %d, want 1", got)
	}
}

func TestTamperForTheOtherCeremonyIsRefused(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	registered(t, a)
	for name, tm := range map[string]softauthn.Tamper{
		"CorruptSignature":   {CorruptSignature: true},
		"UserHandle":         {UserHandle: []byte("x")},
		"OmitUserHandle":     {OmitUserHandle: true},
		"CorruptAttestation": {CorruptAttestation: true}, // attestation none has no signature
		"both ids":           {CredentialID: []byte("x"), CredentialIDLen: 3},
	} {
		if _, err := a.RegisterWith(creationOptions(newChallenge(), userID, allAlgs), tm); err == nil {
			t.Errorf("RegisterWith accepted Tamper.%s", name)
		}
	}
	for name, tm := range map[string]softauthn.Tamper{
		"CorruptAttestation": {CorruptAttestation: true},
		"CredentialID":       {CredentialID: []byte("x")},
		"CredentialIDLen":    {CredentialIDLen: 1024},
		"Algorithm":          {Algorithm: -36},
		"CredentialKey":      {CredentialKey: func(map[int]any) {}},
		"AttestationObject":  {AttestationObject: func(o map[string]any) any { return o }},
	} {
		if _, err := a.LoginWith(requestOptions(newChallenge()), tm); err == nil {
			t.Errorf("LoginWith accepted Tamper.%s", name)
		}
	}
}

// checkVerdict checks that err is the go-webauthn failure want describes ("" for none).
func checkVerdict(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("refused: %s", describe(err))
	case want != "" && err == nil:
		t.Fatalf("verified; want %q", want)
	case want != "" && !strings.Contains(describe(err), want):
		t.Fatalf("refused for %q; want %q", describe(err), want)
	}
}

// The structure edits reach the bytes sent: clientDataJSON members, authenticatorData (in
// the response and inside the attestation object), the COSE key and the attestation object.
func TestTamperStructureEdits(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	out, err := a.RegisterWith(creationOptions(newChallenge(), userID, allAlgs), softauthn.Tamper{
		ClientData:        func(m map[string]any) { m["tokenBinding"] = map[string]any{"status": "supported"} },
		AuthData:          func(ad []byte) []byte { return append(ad, 0xee) },
		CredentialKey:     func(k map[int]any) { k[-1] = 2 },
		AttestationObject: func(o map[string]any) any { return []any{o["fmt"], o["authData"]} },
	})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Response struct {
			ClientDataJSON    protocol.URLEncodedBase64 `json:"clientDataJSON"`
			AuthenticatorData protocol.URLEncodedBase64 `json:"authenticatorData"`
			AttestationObject protocol.URLEncodedBase64 `json:"attestationObject"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.Response.ClientDataJSON), `"tokenBinding":{"status":"supported"}`) {
		t.Errorf("clientDataJSON %s", r.Response.ClientDataJSON)
	}
	ad := r.Response.AuthenticatorData
	if ad[len(ad)-1] != 0xee {
		t.Error("authenticatorData edit missing")
	}
	var obj []any
	if err := cbor.Unmarshal(r.Response.AttestationObject, &obj); err != nil || len(obj) != 2 || obj[0] != "none" || !bytes.Equal(obj[1].([]byte), ad) {
		t.Fatalf("attestationObject %x: %v", []byte(r.Response.AttestationObject), err)
	}
	var key map[int]any
	start := 37 + 16 + 2 + (int(ad[53])<<8 | int(ad[54]))
	if err := cbor.Unmarshal(ad[start:len(ad)-1], &key); err != nil || key[-1] != uint64(2) {
		t.Fatalf("credential key %v: %v", key, err)
	}

	registered(t, a)
	out, err = a.LoginWith(requestOptions(newChallenge()), softauthn.Tamper{
		AuthData: func(ad []byte) []byte { ad[32] |= softauthn.FlagED; return append(ad, 0xa0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if ad := r.Response.AuthenticatorData; len(ad) != 38 || ad[32]&softauthn.FlagED == 0 || ad[37] != 0xa0 {
		t.Errorf("assertion authenticatorData %x", []byte(ad))
	}
}
