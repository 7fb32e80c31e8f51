// Command refserver is the yardstick of docs/performance.md: a bare go-webauthn relying
// party that keeps everything in memory and does the ceremony and nothing else — no
// database, no audit log, no limits, no logging, no metrics. It speaks the four requests
// of passkeyd's API that cmd/passkeyd-load drives, so the two servers can be measured side
// by side with the same load generator:
//
//	go run ./bench/refserver -addr 127.0.0.1:8090
//	go run ./cmd/passkeyd-load -url http://localhost:8090 -c 8 -duration 10s
//
// It is benchmark tooling, not a product: nothing imports it.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"sync"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

type user struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.id }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

type server struct {
	wa *webauthn.WebAuthn

	mu       sync.Mutex
	users    map[string]*user // by user handle
	sessions map[string]*webauthn.SessionData
	pending  map[string]*user // registrations in flight, by challenge
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	rpID := flag.String("rp-id", "localhost", "relying party id")
	origin := flag.String("origin", "", "allowed origin (default http://localhost:<port of -addr>)")
	flag.Parse()
	if *origin == "" {
		_, port, _ := bytes.Cut([]byte(*addr), []byte(":"))
		*origin = "http://localhost:" + string(port)
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: *rpID, RPDisplayName: "refserver", RPOrigins: []string{*origin},
		// The software authenticator reports credProps whether asked or not, as browsers do.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore})
	if err != nil {
		log.Fatal(err)
	}
	s := &server{wa: wa, users: map[string]*user{}, sessions: map[string]*webauthn.SessionData{}, pending: map[string]*user{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/registration/options", s.registrationOptions)
	mux.HandleFunc("POST /api/v1/registration/verify", s.registrationVerify)
	mux.HandleFunc("POST /api/v1/authentication/options", s.authenticationOptions)
	mux.HandleFunc("POST /api/v1/authentication/verify", s.authenticationVerify)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

func (s *server) registrationOptions(w http.ResponseWriter, r *http.Request) {
	var body struct{ Username string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Username == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	u := &user{id: random(32), name: body.Username}
	opts, sd, err := s.wa.BeginRegistration(u, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.sessions[sd.Challenge], s.pending[sd.Challenge] = sd, u
	s.mu.Unlock()
	json.NewEncoder(w).Encode(opts)
}

func (s *server) registrationVerify(w http.ResponseWriter, r *http.Request) {
	var body struct{ Credential json.RawMessage }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body.Credential)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	challenge := parsed.Response.CollectedClientData.Challenge
	sd, u := s.sessions[challenge], s.pending[challenge]
	delete(s.sessions, challenge)
	delete(s.pending, challenge)
	s.mu.Unlock()
	if sd == nil {
		http.Error(w, "unknown challenge", http.StatusBadRequest)
		return
	}
	cred, err := s.wa.CreateCredential(u, *sd, parsed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	u.creds = append(u.creds, *cred)
	s.users[string(u.id)] = u
	s.mu.Unlock()
	writeSession(w)
}

func (s *server) authenticationOptions(w http.ResponseWriter, r *http.Request) {
	opts, sd, err := s.wa.BeginDiscoverableLogin()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.sessions[sd.Challenge] = sd
	s.mu.Unlock()
	json.NewEncoder(w).Encode(opts)
}

func (s *server) authenticationVerify(w http.ResponseWriter, r *http.Request) {
	var body struct{ Credential json.RawMessage }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body.Credential)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	s.mu.Lock()
	sd := s.sessions[challenge]
	delete(s.sessions, challenge)
	s.mu.Unlock()
	if sd == nil {
		http.Error(w, "unknown challenge", http.StatusBadRequest)
		return
	}
	var owner *user
	cred, err := s.wa.ValidateDiscoverableLogin(func(rawID, handle []byte) (webauthn.User, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		u := s.users[string(handle)]
		if u == nil {
			return nil, protocol.ErrBadRequest.WithDetails("unknown user")
		}
		// A copy, so that the verification reads no state another request changes.
		cp := *u
		cp.creds = append([]webauthn.Credential(nil), u.creds...)
		owner = u
		return &cp, nil
	}, *sd, parsed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if cred.Authenticator.CloneWarning {
		http.Error(w, "counter regression", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	for i := range owner.creds {
		if bytes.Equal(owner.creds[i].ID, cred.ID) {
			owner.creds[i].Authenticator.SignCount = cred.Authenticator.SignCount
		}
	}
	s.mu.Unlock()
	writeSession(w)
}

// writeSession answers like passkeyd does: a session token the client could use.
func writeSession(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"session": map[string]string{"token": base64.RawURLEncoding.EncodeToString(random(32))}})
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
