package token

import (
	"context"
	"encoding/json"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Claims are the claims of an access token (see the contract's "Signed access tokens").
type Claims struct {
	Issuer            string   `json:"iss"`
	Subject           string   `json:"sub"`
	Audience          audience `json:"aud"`
	Expiry            int64    `json:"exp"`
	IssuedAt          int64    `json:"iat"`
	NotBefore         int64    `json:"nbf"`
	ID                string   `json:"jti"`
	SessionID         string   `json:"sid"`
	AuthTime          int64    `json:"auth_time"`
	AMR               []string `json:"amr"`
	PreferredUsername string   `json:"preferred_username"`
}

// audience is one string when there is one audience (the common form verifiers expect),
// else an array (RFC 7519 §4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// AccessToken is a signed token and how long it is valid.
type AccessToken struct {
	Token     string
	ExpiresIn time.Duration
	Claims    Claims
}

// AccessToken signs a token for the user of a live session. It reads no store: the key is
// in memory (refreshed at slot boundaries), so a token costs one signature.
func (i *Issuer) AccessToken(ctx context.Context, sess *passkeyd.Session, u *passkeyd.User) (*AccessToken, error) {
	s, err := i.keys(ctx)
	if err != nil {
		return nil, err
	}
	now := i.cfg.Now()
	_, o, err := s.current(now)
	if err != nil {
		return nil, err
	}
	return i.mint(now, o, sess, u)
}

// mint signs the access token of sess and u at now with o.
func (i *Issuer) mint(now time.Time, o *opened, sess *passkeyd.Session, u *passkeyd.User) (*AccessToken, error) {
	life := i.cfg.Lifetime
	// A session that ends sooner than the token would outlive it: the token ends with it.
	if left := sess.ExpiresAt.Sub(now); left < life {
		life = left.Truncate(time.Second)
	}
	c := Claims{
		Issuer: i.cfg.Issuer, Subject: u.ID, Audience: audience(i.cfg.Audience),
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(life).Unix(),
		ID: randomID(), SessionID: sess.ID, AuthTime: sess.AuthenticatedAt.Unix(),
		AMR: AMR(sess), PreferredUsername: u.Username,
	}
	tok, err := o.sign(c)
	if err != nil {
		return nil, err
	}
	return &AccessToken{Token: tok, ExpiresIn: life, Claims: c}, nil
}
