package softauthn_test

import (
	"encoding/json"
	"fmt"

	"github.com/passkeyd/passkeyd/softauthn"
)

// A test signs up and signs in the way a browser would: hand the body of the server's
// options response to Register or Login and post what comes back to the verify endpoint.
func Example() {
	a, err := softauthn.New(softauthn.Options{Origin: "https://example.com"})
	if err != nil {
		panic(err)
	}
	// The body of POST /registration/options.
	creation := []byte(`{"publicKey":{"rp":{"id":"example.com","name":"Example"},
		"user":{"id":"dXNlci0x","name":"alice","displayName":"Alice"},
		"challenge":"Y2hhbGxlbmdlLWZyb20tc2VydmVy",
		"pubKeyCredParams":[{"type":"public-key","alg":-7}]}}`)
	reg, err := a.Register(creation) // post as the credential to /registration/verify
	if err != nil {
		panic(err)
	}
	// The body of POST /authentication/options: usernameless, so allowCredentials is empty.
	request := []byte(`{"publicKey":{"rpId":"example.com","challenge":"YW5vdGhlci1jaGFsbGVuZ2U"}}`)
	assertion, err := a.Login(request) // post to /authentication/verify
	if err != nil {
		panic(err)
	}

	var r, s struct {
		Type     string `json:"type"`
		Response struct {
			UserHandle string `json:"userHandle"`
		} `json:"response"`
	}
	_ = json.Unmarshal(reg, &r)
	_ = json.Unmarshal(assertion, &s)
	fmt.Println(r.Type, s.Response.UserHandle, a.Credentials()[0].SignCount)
	// Output: public-key dXNlci0x 1
}

// A synthetic probe keeps one passkey across runs: export after use, import at start.
func ExampleAuthenticator_Export() {
	a := softauthn.MustNew(softauthn.Options{})
	_, _ = a.Register([]byte(`{"rp":{"id":"localhost"},"user":{"id":"AQ"},"challenge":"AAAAAAAAAAAAAAAAAAAAAA"}`))
	state, _ := a.Export() // write with mode 0600: it holds the private key

	next := softauthn.MustNew(softauthn.Options{})
	if err := next.Import(state); err != nil {
		panic(err)
	}
	_, err := next.Login([]byte(`{"rpId":"localhost","challenge":"AAAAAAAAAAAAAAAAAAAAAA"}`))
	fmt.Println(err, len(next.Credentials()))
	// Output: <nil> 1
}
