package httpapi

import (
	"context"
	"net/http"

	"github.com/passkeyd/passkeyd/oidc"
)

// OIDCClients is the OpenID provider's client set as the operator API manages it
// (*oidc.Clients).
type OIDCClients interface {
	List(ctx context.Context) ([]oidc.ClientInfo, error)
	Add(ctx context.Context, c oidc.ClientConfig) (oidc.ClientInfo, string, error)
	Remove(ctx context.Context, id string) error
}

func (s *server) oidcOn() bool { return s.OIDCClients != nil }

func (s *server) handleAdminOIDCClients() http.Handler {
	type response struct {
		Clients []oidc.ClientInfo `json:"clients"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := s.OIDCClients.List(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Clients: cs})
	})
}

// handleAdminAddOIDCClient adds a runtime client. A confidential client sent without a
// secret gets a generated one, shown in this response only.
func (s *server) handleAdminAddOIDCClient() http.Handler {
	type response struct {
		Client oidc.ClientInfo `json:"client"`
		Secret string          `json:"secret,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req oidc.ClientConfig
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		c, secret, err := s.OIDCClients.Add(r.Context(), req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.Logger.InfoContext(r.Context(), "operator added an OpenID client", "client", c.ID)
		encode(w, http.StatusCreated, response{Client: c, Secret: secret})
	})
}

func (s *server) handleAdminRemoveOIDCClient() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.OIDCClients.Remove(r.Context(), r.PathValue("id")); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.Logger.InfoContext(r.Context(), "operator removed an OpenID client", "client", r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
}
