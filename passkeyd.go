// Package passkeyd holds the nouns of the passkey server — users, passkeys, sessions and
// ceremony challenges — the interfaces of the stores that keep them, and the error codes of
// the HTTP contract. It imports nothing else of the project: ceremonies, use cases, stores
// and the HTTP layer all depend on it, never the other way round.
package passkeyd

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// User is an account. ID is the opaque identifier the API shows; Handle is the WebAuthn user
// handle (user.id in creation options, userHandle in assertions): 32 random bytes, never
// derived from the username, so that an authenticator leaks nothing personal.
type User struct {
	ID          string
	Handle      []byte
	Username    string // as the user typed it (after NFKC), for display
	UsernameKey string // NFKC + case-folded form; unique
	DisplayName string
	// PasswordHash is the PHC string of the user's password, empty when the account has none.
	PasswordHash string
	CreatedAt    time.Time
	// ETag is set by the store when the user is created and changed by every change to the
	// row (see NewETag).
	ETag int64
}

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID                []byte // credential id, ≤ 1023 bytes (§7.1 step 24)
	UserID            string
	Name              string
	PublicKey         []byte // COSE_Key as the authenticator produced it
	Algorithm         int64  // COSE algorithm identifier
	SignCount         uint32
	AAGUID            []byte // 16 bytes; all zero when the authenticator does not tell
	Transports        []string
	AttestationFormat string
	AttestationType   string // none, self, basic, attca, anonca, …
	BackupEligible    bool   // BE at registration; it may never change (§6.1.3)
	BackedUp          bool   // BS at the last ceremony
	UserVerified      bool   // UV at registration
	Discoverable      *bool  // nil when unknown (no credProps and residentKey not required)
	// CloneWarning is set when an assertion's signature counter did not increase: the
	// credential may have been cloned. Under the "refuse" counter policy it blocks sign-in
	// until the user deletes the passkey or an operator clears the flag.
	CloneWarning bool
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero when never used to sign in
	// ETag is set by the store when the passkey is registered and changed by every change
	// to it but a sign-in's own (counter, backup state, last use): see NewETag.
	ETag int64
}

// NewETag returns a random etag, for stores that draw them in Go. An etag (User.ETag,
// Passkey.ETag) says which version of a stored row a read returned: stores draw a random one
// when the row is created and a new one at each change, so that a passkey deleted and
// registered again under the same credential id never has its former etag. A sign-in
// decided on a read that may be old — an instance's cache, or a row another instance changed
// since — hands the etags it read to RecordLogin, which writes nothing unless they are still
// the stored ones.
func NewETag() int64 {
	var b [8]byte
	// crypto/rand.Read never fails on supported platforms (it panics inside if the OS
	// source breaks).
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]))
}

// PasskeyUse is what a successful assertion changes on the stored credential.
type PasskeyUse struct {
	SignCount uint32
	BackedUp  bool
	UsedAt    time.Time
	// UserVerified is the assertion's UV flag (not stored on the passkey; it goes into the
	// session the assertion creates).
	UserVerified bool
	// ETag and UserETag are the etags of the passkey and of its owner that the assertion was
	// verified against: RecordLogin applies the use only while both are still the stored
	// ones (ErrStale otherwise).
	ETag, UserETag int64
}

// SessionMethod says how a session was authenticated.
type SessionMethod string

const (
	MethodPasskey      SessionMethod = "passkey"
	MethodPassword     SessionMethod = "password"
	MethodRecoveryCode SessionMethod = "recovery_code"
	MethodMFA          SessionMethod = "mfa" // a password and a second factor
)

// Session is a server-side session. Only the SHA-256 of its bearer token is stored, so a
// read of the database does not hand out working tokens.
type Session struct {
	ID        string
	TokenHash []byte
	UserID    string
	Method    SessionMethod
	// AuthenticatedAt is when the user last proved who they are: the sign-in, or a later
	// re-authentication, which refreshes it in place (see "Recent authentication").
	AuthenticatedAt time.Time
	CreatedAt       time.Time
	ExpiresAt       time.Time
	// CredentialID is the passkey that signed this session in (nil for other methods):
	// deleting or revoking that passkey ends the session.
	CredentialID []byte
	// UserVerified says whether the sign-in proved the user: a passkey with UV, or a
	// password plus a second factor.
	UserVerified bool
	// AMR are the RFC 8176 authentication method references of the sign-in, e.g.
	// ["hwk", "user"] for a passkey with user verification, ["pwd", "otp", "mfa"].
	AMR []string
	// UserAgent and IP describe the client that signed in, for the user's session list.
	UserAgent string
	IP        string
}

// Ceremony is the kind of WebAuthn ceremony a challenge was issued for.
type Ceremony string

const (
	CeremonyRegistration   Ceremony = "registration"
	CeremonyAuthentication Ceremony = "authentication"
	// CeremonyMFA is the state between a first factor and the second one (mfaToken).
	CeremonyMFA Ceremony = "mfa"
)

// Challenge is the server-side state of one ceremony, found again by its random value from
// clientDataJSON.challenge. It is single-use: a verify consumes it whatever the outcome.
type Challenge struct {
	Value     []byte // 32 bytes from a CSPRNG
	Ceremony  Ceremony
	ExpiresAt time.Time
	// IssuedAt is the issuing instance's clock when it made the challenge. An instance that
	// finds it in its own future has a clock behind the issuer's: it refuses the challenge
	// (the expiry is not comparable either) and says so, instead of a misleading verdict.
	// Zero in challenges stored before it existed.
	IssuedAt time.Time

	// UserID is the account the ceremony is for: the signed-in user adding a passkey, or the
	// user named in username-first authentication options. Empty for discoverable logins and
	// for options answered for an unknown username.
	UserID string
	// Named is true when authentication options named a username, so the verify must use one
	// of that user's credentials (even when the username does not exist, so nothing can).
	Named bool
	// SessionID binds an add-passkey ceremony, or a re-authentication (an authentication
	// challenge with SessionID set), to the session that started it. A re-authentication
	// challenge never signs anyone in.
	SessionID string
	// SecondFactor marks an authentication challenge issued to complete a password sign-in
	// (options requested with an mfaToken): only /mfa/verify may use it.
	SecondFactor bool
	// NewUser carries the account being signed up; it is created only when the verify
	// succeeds, so a failed sign-up leaves nothing behind.
	NewUser *User

	UserVerification string // "required" | "preferred" | "discouraged"
	ResidentKey      string // what the options asked for, for the discoverable rule
	Attachment       string // "platform" | "cross-platform" | "" (any)
}

// NewAccount is everything a passkey sign-up creates, stored in one atomic write.
type NewAccount struct {
	User    *User
	Passkey *Passkey
	Session *Session
	// RecoveryCodes are the hashes of the account's first recovery codes (empty when
	// recovery codes are disabled).
	RecoveryCodes [][]byte
	// TOTP, when set, is stored with the user (as it is: Confirmed and LastStep included),
	// in the same transaction: an imported account never exists without its second factor.
	TOTP *TOTP
}

// TOTP is a user's time-based one-time password second factor (RFC 6238).
type TOTP struct {
	UserID    string
	Secret    []byte
	Confirmed bool  // false until the user proved their app produces codes
	LastStep  int64 // the last 30-second step a code was accepted for: each code works once
}

// AuditEvent is one security-relevant event on an account, kept for the account's owner
// (GET /api/v1/account/activity) and for operators.
type AuditEvent struct {
	ID           string
	UserID       string // empty when the account is unknown (a failed sign-in)
	Type         string // sign_in, sign_in_failed, account_created, passkey_added, passkey_deleted, …
	Method       string // passkey, password, totp, recovery_code, …
	CredentialID []byte
	IP           string
	UserAgent    string
	Outcome      string // success | failure
	Reason       string // the contract's error code when it failed
	At           time.Time
}

// SigningKey is a key passkeyd signs access tokens with. Keys are made for consecutive time
// slots of the rotation period, one key per slot, so that every instance derives the same
// schedule from the clock and none needs to lead: a slot's key is published in the JWKS
// from the slot before (the "next" key), signs during its slot (the "current" key) and stays
// published after it (the "previous" key) until every token it signed has expired.
type SigningKey struct {
	ID        string // the JWS kid: the RFC 7638 thumbprint of the public key
	Algorithm string // JOSE algorithm: ES256 or EdDSA
	PublicKey []byte // PKIX DER
	// PrivateKey is PKCS #8 DER, sealed with the keyring when one is configured (the
	// additional data is "signing-key:" + ID).
	PrivateKey []byte
	NotBefore  time.Time // the slot's start: the key signs from then; it is unique per store
	NotAfter   time.Time // the slot's end: the key signs nothing from then
	ExpiresAt  time.Time // NotAfter plus the longest token lifetime: then it leaves the JWKS
	CreatedAt  time.Time
}

// WebhookDelivery is one webhook event on its way to one receiver: a row of the outbox.
// An event sent to three URLs is three deliveries with one EventID, each retried and
// dead-lettered on its own, so one failing receiver never holds the others back.
type WebhookDelivery struct {
	ID      string // the delivery; operators retry a dead letter by it
	EventID string // the "id" inside Body, the same at every URL: receivers drop duplicates by it
	URL     string
	Type    string // the public event type, e.g. sign_in.succeeded
	UserID  string
	Body    []byte // the JSON that is POSTed, byte for byte as signed
	State   WebhookState
	// Attempts counts failed attempts; NextAttemptAt is when the next one is due.
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	LastError     string    // why the last attempt failed, for operators
	DeliveredAt   time.Time // zero until a receiver answered 2xx
}

// WebhookState is where a delivery is in its life.
type WebhookState string

const (
	WebhookPending   WebhookState = "pending"
	WebhookDelivered WebhookState = "delivered"
	// WebhookDead is a delivery that failed too often or for too long: it is kept, and no
	// longer tried, until an operator retries it.
	WebhookDead WebhookState = "dead"
)

// WebhookFailure is a failed delivery attempt as the outbox records it.
type WebhookFailure struct {
	At          time.Time
	NextAttempt time.Time // when to try again (the sender's backoff)
	Error       string
	// The delivery goes dead at its MaxAttempts-th failure, or at a failure more than MaxAge
	// after it was created (or last retried by an operator).
	MaxAttempts int
	MaxAge      time.Duration
}

// OutboxStats is the outbox at a glance, for metrics.
type OutboxStats struct {
	Pending       int
	Dead          int
	OldestPending time.Time // CreatedAt of the oldest pending delivery; zero when none
}

// AdoptionStats is how far passkeys have spread, for the adoption dashboards.
type AdoptionStats struct {
	Users            int
	UsersWithPasskey int // users with at least one passkey
	// PasskeysByDevice counts passkeys by DeviceType; every device type is a key, also at
	// zero, so that a dashboard's series never vanish.
	PasskeysByDevice map[string]int
	// PasskeysByAAGUID counts passkeys by authenticator model (all zero when it did not
	// tell). The caller names them (ProviderName): the names can change at run time with the
	// metadata, the stored AAGUIDs cannot.
	PasskeysByAAGUID map[[16]byte]int
}

// NewAdoptionStats returns empty stats with every device type at zero.
func NewAdoptionStats() *AdoptionStats {
	return &AdoptionStats{
		PasskeysByDevice: map[string]int{DevicePlatform: 0, DeviceSecurityKey: 0, DeviceHybrid: 0, DeviceUnknown: 0},
		PasskeysByAAGUID: map[[16]byte]int{},
	}
}

// AddPasskeys counts n passkeys with those transports and that AAGUID (a store's group).
func (st *AdoptionStats) AddPasskeys(transports []string, aaguid []byte, n int) {
	st.PasskeysByDevice[(&Passkey{Transports: transports}).DeviceType()] += n
	var a [16]byte
	if len(aaguid) == 16 {
		a = [16]byte(aaguid)
	}
	st.PasskeysByAAGUID[a] += n
}

// OIDCClient is an OpenID Connect relying party that an operator added at run time (the
// configuration file's clients are not stored: the file stays their source of truth).
type OIDCClient struct {
	ID string
	// SecretHash verifies a confidential client's secret: "sha256:" + base64url of the
	// digest for the high-entropy secrets passkeyd generates, or a bcrypt or argon2id PHC
	// string an operator supplied. Empty for public clients.
	SecretHash string
	// RedirectURIs are matched exactly, never as patterns.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Public                 bool
	Scopes                 []string
	CreatedAt              time.Time
}

// OIDCGrant is what a user granted a client with one authorization code: the family of every
// access and refresh token issued from it. Refresh tokens rotate inside the family, and a
// refresh token presented after it was rotated (or an authorization code presented twice)
// revokes the whole family: a thief and the rightful client cannot both keep using it.
type OIDCGrant struct {
	ID        string
	ClientID  string
	UserID    string
	SessionID string // the passkeyd session that signed in (the sid claim)
	Scopes    []string
	AMR       []string
	ACR       string
	AuthTime  time.Time
	CreatedAt time.Time
	// ExpiresAt ends the family (its refresh tokens): a limit that rotation does not extend.
	ExpiresAt time.Time
}

// AAGUIDRule is an operator's run-time entry on the AAGUID allow or deny list (see
// AAGUIDStore): it adds to the lists of the configuration, and is shared by every instance.
type AAGUIDRule struct {
	AAGUID    [16]byte
	List      AAGUIDList
	Note      string // the operator's reason, for the next operator
	UpdatedAt time.Time
}

// AAGUIDList names the list an AAGUIDRule is on.
type AAGUIDList string

const (
	AAGUIDAllow AAGUIDList = "allow"
	AAGUIDDeny  AAGUIDList = "deny"
)
