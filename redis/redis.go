// Package redis keeps ceremony challenges in Redis, so that any passkeyd instance can serve
// the verify of a ceremony another instance started. It works with a single node, Sentinel
// or Cluster through go-redis's UniversalClient, and passes storetest's challenge suite.
package redis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd"
)

// Challenges is a passkeyd.ChallengeStore on Redis.
type Challenges struct {
	client goredis.UniversalClient
	prefix string
}

var _ passkeyd.ChallengeStore = (*Challenges)(nil)

// New returns a challenge store on client; keys are prefix + the challenge in base64url.
func New(client goredis.UniversalClient, prefix string) *Challenges {
	if prefix == "" {
		prefix = "passkeyd:challenge:"
	}
	return &Challenges{client: client, prefix: prefix}
}

// Open connects to a Redis URL:
//
//	redis://[:password@]host:6379/0        one node (rediss:// for TLS)
//	redis-sentinel://[:password@]host1:26379,host2:26379/mymaster?db=0
//	redis-cluster://[:password@]host1:6379,host2:6379
func Open(rawURL string) (*Challenges, error) {
	return OpenTimeout(rawURL, 0)
}

// OpenTimeout is Open with each dial, read, write and wait for a pooled connection bounded
// by timeout (0: the defaults, two seconds to dial and one for the rest;
// PASSKEYD_REDIS_TIMEOUT).
func OpenTimeout(rawURL string, timeout time.Duration) (*Challenges, error) {
	opts, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = timeout, timeout, timeout, timeout
	}
	return New(goredis.NewUniversalClient(opts), ""), nil
}

// ParseURL turns a Redis URL into UniversalClient options.
func ParseURL(rawURL string) (*goredis.UniversalOptions, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	switch u.Scheme {
	case "redis", "rediss":
		o, err := goredis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		return &goredis.UniversalOptions{
			Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig,
			DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		}, nil
	case "redis-sentinel", "redis-cluster":
		opts := &goredis.UniversalOptions{
			Addrs:       strings.Split(u.Host, ","),
			DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		}
		if u.User != nil {
			opts.Username = u.User.Username()
			opts.Password, _ = u.User.Password()
		}
		if u.Scheme == "redis-sentinel" {
			opts.MasterName = strings.Trim(u.Path, "/")
			if opts.MasterName == "" {
				return nil, errors.New("redis: a redis-sentinel:// URL names the master: redis-sentinel://host:26379/mymaster")
			}
			opts.SentinelPassword = u.Query().Get("sentinel_password")
			if db := u.Query().Get("db"); db != "" {
				n, err := strconv.Atoi(db)
				if err != nil {
					return nil, fmt.Errorf("redis: db=%q is not a number", db)
				}
				opts.DB = n
			}
		} else {
			opts.IsClusterMode = true
		}
		return opts, nil
	}
	return nil, fmt.Errorf("redis: unknown scheme %q (use redis://, rediss://, redis-sentinel:// or redis-cluster://)", u.Scheme)
}

// record is the stored form of a challenge.
type record struct {
	Ceremony         passkeyd.Ceremony `json:"c"`
	ExpiresAt        time.Time         `json:"e"`
	IssuedAt         time.Time         `json:"i"`
	UserID           string            `json:"u,omitempty"`
	Named            bool              `json:"n,omitempty"`
	SessionID        string            `json:"s,omitempty"`
	SecondFactor     bool              `json:"sf,omitempty"`
	NewUser          *newUser          `json:"nu,omitempty"`
	UserVerification string            `json:"uv,omitempty"`
	ResidentKey      string            `json:"rk,omitempty"`
	Attachment       string            `json:"a,omitempty"`
}

type newUser struct {
	ID          string `json:"id"`
	Handle      []byte `json:"h"`
	Username    string `json:"n"`
	UsernameKey string `json:"k"`
	DisplayName string `json:"d"`
}

func (c *Challenges) key(value []byte) string {
	return c.prefix + base64.RawURLEncoding.EncodeToString(value)
}

// PutChallenge stores ch with a TTL ending at ch.ExpiresAt.
func (c *Challenges) PutChallenge(ctx context.Context, ch *passkeyd.Challenge) error {
	r := record{Ceremony: ch.Ceremony, ExpiresAt: ch.ExpiresAt, IssuedAt: ch.IssuedAt, UserID: ch.UserID, Named: ch.Named, SessionID: ch.SessionID, SecondFactor: ch.SecondFactor,
		UserVerification: ch.UserVerification, ResidentKey: ch.ResidentKey, Attachment: ch.Attachment}
	if u := ch.NewUser; u != nil {
		r.NewUser = &newUser{ID: u.ID, Handle: u.Handle, Username: u.Username, UsernameKey: u.UsernameKey, DisplayName: u.DisplayName}
	}
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ttl := time.Until(ch.ExpiresAt)
	if ttl < time.Second {
		ttl = time.Second
	}
	return mapErr(c.client.Set(ctx, c.key(ch.Value), body, ttl).Err())
}

// ConsumeChallenge removes and returns the challenge with GETDEL: of concurrent callers,
// on any instance, exactly one gets it.
func (c *Challenges) ConsumeChallenge(ctx context.Context, value []byte, now time.Time) (*passkeyd.Challenge, error) {
	body, err := c.client.GetDel(ctx, c.key(value)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, passkeyd.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	var r record
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("redis: corrupt challenge record: %w", err)
	}
	// Redis expiry has one-second granularity here; the recorded instant is authoritative.
	if !now.Before(r.ExpiresAt) {
		return nil, passkeyd.ErrNotFound
	}
	ch := &passkeyd.Challenge{
		Value: append([]byte(nil), value...), Ceremony: r.Ceremony, ExpiresAt: r.ExpiresAt, IssuedAt: r.IssuedAt, UserID: r.UserID, Named: r.Named,
		SessionID: r.SessionID, SecondFactor: r.SecondFactor, UserVerification: r.UserVerification, ResidentKey: r.ResidentKey, Attachment: r.Attachment,
	}
	if u := r.NewUser; u != nil {
		ch.NewUser = &passkeyd.User{ID: u.ID, Handle: u.Handle, Username: u.Username, UsernameKey: u.UsernameKey, DisplayName: u.DisplayName}
	}
	return ch, nil
}

// Ping checks that Redis answers (for /readyz).
func (c *Challenges) Ping(ctx context.Context) error {
	return mapErr(c.client.Ping(ctx).Err())
}

// Close closes the client.
func (c *Challenges) Close() error { return c.client.Close() }

// mapErr: any failure to talk to Redis is ErrUnavailable. A challenge that cannot be read
// must not turn into a wrong verdict, only into a 503 the client can retry.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the challenge store is unavailable", Err: err}
}
