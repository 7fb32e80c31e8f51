package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

// The operator API of the AAGUID allow and deny lists (docs/attestation.md).

type aaguidEntryView struct {
	AAGUID    string     `json:"aaguid"`
	List      string     `json:"list"`
	Source    string     `json:"source"` // configuration | runtime
	Name      *string    `json:"name"`   // the provider or model, when known
	Note      string     `json:"note,omitempty"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

func viewAAGUIDEntry(e account.AAGUIDEntry) aaguidEntryView {
	v := aaguidEntryView{AAGUID: e.AAGUID.String(), List: string(e.List), Source: e.Source, Note: e.Note}
	if name := passkeyd.ProviderName(e.AAGUID[:]); name != "" {
		v.Name = &name
	}
	if !e.UpdatedAt.IsZero() {
		at := e.UpdatedAt
		v.UpdatedAt = &at
	}
	return v
}

func (s *server) handleAdminAAGUIDs() http.Handler {
	type response struct {
		Entries         []aaguidEntryView `json:"entries"`
		AllowListActive bool              `json:"allowListActive"`
		RefreshSeconds  int               `json:"refreshSeconds"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Accounts.AAGUIDPolicy(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := response{Entries: make([]aaguidEntryView, 0, len(p.Entries)), AllowListActive: p.AllowListActive, RefreshSeconds: int(p.Refresh / time.Second)}
		for _, e := range p.Entries {
			out.Entries = append(out.Entries, viewAAGUIDEntry(e))
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *server) handleAdminPutAAGUID() http.Handler {
	type request struct {
		List string `json:"list"`
		Note string `json:"note"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		e, err := s.Accounts.SetAAGUIDRule(r.Context(), r.PathValue("aaguid"), req.List, req.Note)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, viewAAGUIDEntry(*e))
	})
}

func (s *server) handleAdminDeleteAAGUID() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Accounts.RemoveAAGUIDRule(r.Context(), r.PathValue("aaguid")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleAdminAAGUIDUsers() http.Handler {
	type holder struct {
		User     userView      `json:"user"`
		Passkeys []passkeyView `json:"passkeys"`
	}
	type response struct {
		Users []holder `json:"users"`
		// Next is the after= of the next page; absent on the last.
		Next string `json:"next,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit := account.MaxAAGUIDHolders
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > account.MaxAAGUIDHolders {
				s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "limit must be a number from 1 to %d", account.MaxAAGUIDHolders))
				return
			}
			limit = n
		}
		hs, next, err := s.Accounts.AAGUIDHolders(r.Context(), r.PathValue("aaguid"), q.Get("after"), limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := response{Users: make([]holder, 0, len(hs)), Next: next}
		for _, h := range hs {
			out.Users = append(out.Users, holder{User: viewUser(h.User), Passkeys: viewPasskeys(h.Passkeys)})
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *server) handleAdminRevokeAAGUID() http.Handler {
	type response struct {
		Revoked int `json:"revoked"`
		// More says that passkeys of the model remain (one call revokes at most
		// account.RevokeBatch): call again.
		More bool `json:"more"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, more, err := s.Accounts.RevokeAAGUID(r.Context(), r.PathValue("aaguid"))
		if err != nil && n == 0 {
			s.writeError(w, r, err)
			return
		}
		if err != nil {
			// Some were revoked before the store failed: say how many, and that more remain.
			s.Logger.ErrorContext(r.Context(), "bulk revocation stopped", "revoked", n, "err", err)
			more = true
		}
		encode(w, http.StatusOK, response{Revoked: n, More: more})
	})
}
