package httpapi

import (
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/token"
)

// The JSON objects of the contract ("Objects").

type userView struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"displayName"`
}

type passkeyView struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	CreatedAt         time.Time  `json:"createdAt"`
	LastUsedAt        *time.Time `json:"lastUsedAt"`
	Transports        []string   `json:"transports"`
	AAGUID            string     `json:"aaguid"`
	Provider          *string    `json:"provider"`
	DeviceType        string     `json:"deviceType"`
	BackupEligible    bool       `json:"backupEligible"`
	BackedUp          bool       `json:"backedUp"`
	Discoverable      *bool      `json:"discoverable"`
	UserVerified      bool       `json:"userVerified"`
	AttestationFormat string     `json:"attestationFormat"`
}

type sessionView struct {
	ID              string    `json:"id"`
	ExpiresAt       time.Time `json:"expiresAt"`
	AuthenticatedAt time.Time `json:"authenticatedAt"`
	Method          string    `json:"method"`
	UserVerified    bool      `json:"userVerified"`
	AMR             []string  `json:"amr"`
	Token           string    `json:"token,omitempty"`
}

// sessionListView is a session in the user's session list.
type sessionListView struct {
	ID              string    `json:"id"`
	CreatedAt       time.Time `json:"createdAt"`
	ExpiresAt       time.Time `json:"expiresAt"`
	AuthenticatedAt time.Time `json:"authenticatedAt"`
	Method          string    `json:"method"`
	UserVerified    bool      `json:"userVerified"`
	AMR             []string  `json:"amr"`
	Current         bool      `json:"current"`
	UserAgent       string    `json:"userAgent"`
	IP              string    `json:"ip"`
}

func viewSessionList(list []*passkeyd.Session, current string) []sessionListView {
	out := make([]sessionListView, 0, len(list))
	for _, s := range list {
		out = append(out, sessionListView{
			ID: s.ID, CreatedAt: s.CreatedAt.UTC().Truncate(time.Second), ExpiresAt: s.ExpiresAt.UTC().Truncate(time.Second),
			AuthenticatedAt: s.AuthenticatedAt.UTC().Truncate(time.Second), Method: string(s.Method),
			UserVerified: s.UserVerified, AMR: amrOf(s), Current: s.ID == current, UserAgent: s.UserAgent, IP: s.IP,
		})
	}
	return out
}

// amrOf is never null in the API; sessions from before amr was recorded get the values
// their method implies (token.AMR, the same as in access tokens).
func amrOf(s *passkeyd.Session) []string {
	if amr := token.AMR(s); amr != nil {
		return amr
	}
	return []string{}
}

func viewUser(u *passkeyd.User) userView {
	return userView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName}
}

func viewPasskey(p *passkeyd.Passkey) passkeyView {
	v := passkeyView{
		ID:                ceremony.EncodeBase64(p.ID),
		Name:              p.Name,
		CreatedAt:         p.CreatedAt.UTC(),
		Transports:        p.Transports,
		AAGUID:            formatAAGUID(p.AAGUID),
		DeviceType:        p.DeviceType(),
		BackupEligible:    p.BackupEligible,
		BackedUp:          p.BackedUp,
		Discoverable:      p.Discoverable,
		UserVerified:      p.UserVerified,
		AttestationFormat: p.AttestationFormat,
	}
	if v.Transports == nil {
		v.Transports = []string{}
	}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	if name := p.Provider(); name != "" {
		v.Provider = &name
	}
	return v
}

func viewPasskeys(ps []*passkeyd.Passkey) []passkeyView {
	out := make([]passkeyView, 0, len(ps))
	for _, p := range ps {
		out = append(out, viewPasskey(p))
	}
	return out
}

func viewSession(s *passkeyd.Session, token string) sessionView {
	return sessionView{
		ID:              s.ID,
		ExpiresAt:       s.ExpiresAt.UTC().Truncate(time.Second),
		AuthenticatedAt: s.AuthenticatedAt.UTC().Truncate(time.Second),
		Method:          string(s.Method),
		UserVerified:    s.UserVerified,
		AMR:             amrOf(s),
		Token:           token,
	}
}

func viewNewSession(ns *account.NewSession) sessionView { return viewSession(ns.Session, ns.Token) }

const hexDigits = "0123456789abcdef"

// formatAAGUID renders an AAGUID in the 8-4-4-4-12 form; a missing one is all zeros, as
// authenticators that do not identify themselves send.
func formatAAGUID(b []byte) string {
	if len(b) != 16 {
		b = make([]byte, 16)
	}
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(out)
}
