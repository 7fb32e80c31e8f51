package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/keyring"
	"github.com/passkeyd/passkeyd/sqlite"
)

const (
	testKey1 = "q0vJ8m3Zt2rX9bWcN5yKf1LhA7pQeUuD4sGiTzRoV6E="
	testKey2 = "3Hq9Zb7Yk2Lm5Np8Rs1Tv4Wx6Az0Cd3Ef5Gh7Jk9Mn0="
)

func keys(t *testing.T, list string) *keyring.Keyring {
	t.Helper()
	kr, err := keyring.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// signUpWithTOTP makes a password account on e, enrols and confirms TOTP, and returns the
// user id and the secret the app was shown.
func signUpWithTOTP(t *testing.T, e *env, username string) (string, []byte) {
	t.Helper()
	c := e.browser()
	r := c.post("/api/v1/password/signup", map[string]string{"username": username, "password": "a perfectly fine passphrase"})
	expectStatus(t, r, 201)
	userID := field(r.json(t), "user", "id").(string)
	secret := enrolTOTP(t, e, c)
	expectStatus(t, c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
	return userID, secret
}

// mfaSignIn signs in with the password and a TOTP code for the current step.
func mfaSignIn(t *testing.T, e *env, username string, secret []byte) result {
	t.Helper()
	r := e.browser().post("/api/v1/password/login", map[string]string{"username": username, "password": "a perfectly fine passphrase"})
	expectProblem(t, r, 401, passkeyd.CodeMFARequired)
	return e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": r.json(t)["mfaToken"].(string), "code": account.TOTPCode(secret, e.clock())})
}

func storedTOTP(t *testing.T, db passkeyd.Store, userID string) []byte {
	t.Helper()
	row, err := db.TOTP(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return row.Secret
}

// TestTOTPSealedAtRest: with an encryption key, the database row holds a sealed value in
// which the secret does not appear, and TOTP enrolment and sign-in work over HTTP.
func TestTOTPSealedAtRest(t *testing.T) {
	db := openSQLite(t)
	e := newEnv(t, func(o *envOptions) { o.db = db; o.keys = keys(t, testKey1) })
	userID, secret := signUpWithTOTP(t, e, "tom")
	row := storedTOTP(t, db, userID)
	if !keyring.Sealed(row) || bytes.Contains(row, secret) || len(row) <= len(secret) {
		t.Fatalf("stored TOTP secret is not sealed: %x", row)
	}
	if !keys(t, testKey1).Current(row) {
		t.Fatal("not sealed with the first key")
	}
	// Bound to its user: the same bytes do not open as another user's secret.
	if _, err := keys(t, testKey1).Open(row, []byte("totp:someone-else")); err == nil {
		t.Fatal("a sealed secret opened for another user")
	}
	e.advance(30 * time.Second)
	r := mfaSignIn(t, e, "tom", secret)
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "mfa" {
		t.Fatalf("mfa sign-in: %s", r.body)
	}
}

// TestTOTPKeyRotation: a secret sealed with a key that is now second in the list still
// opens; a new enrolment is sealed with the new first key; a secret whose key was removed
// is an internal error, logged for the operator without the secret, and no crash.
func TestTOTPKeyRotation(t *testing.T) {
	db := openSQLite(t)
	old := newEnv(t, func(o *envOptions) { o.db = db; o.keys = keys(t, testKey1) })
	userID, secret := signUpWithTOTP(t, old, "tom")

	rotated := newEnv(t, func(o *envOptions) { o.db = db; o.keys = keys(t, testKey2+","+testKey1) })
	rotated.advance(60 * time.Second)
	expectStatus(t, mfaSignIn(t, rotated, "tom", secret), 200)
	newUser, newSecret := signUpWithTOTP(t, rotated, "tina")
	if row := storedTOTP(t, db, newUser); !keys(t, testKey2).Current(row) {
		t.Fatal("a new enrolment is not sealed with the new first key")
	}
	if row := storedTOTP(t, db, userID); keys(t, testKey2+","+testKey1).Current(row) {
		t.Fatal("the old secret should still be sealed with the old key")
	}

	var logs lockedBuffer
	dropped := newEnv(t, func(o *envOptions) {
		o.db = db
		o.keys = keys(t, testKey2)
		o.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	dropped.advance(120 * time.Second)
	expectProblem(t, mfaSignIn(t, dropped, "tom", secret), 500, passkeyd.CodeInternal)
	logs.mu.Lock()
	out := logs.b.String()
	logs.mu.Unlock()
	if !strings.Contains(out, "totp secret cannot be decrypted") || !strings.Contains(out, userID) {
		t.Fatalf("the operator is not told which secret cannot be opened:\n%s", out)
	}
	for _, s := range [][]byte{secret, []byte(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret))} {
		if strings.Contains(out, string(s)) {
			t.Fatal("a log line carries the TOTP secret")
		}
	}
	// The other user, sealed with the remaining key, is unaffected.
	expectStatus(t, mfaSignIn(t, dropped, "tina", newSecret), 200)
}

// TestTOTPPlainSecretStaysReadable: a secret stored before any key was configured still
// signs in once keys are set (it is re-sealed when the user enrols again).
func TestTOTPPlainSecretStaysReadable(t *testing.T) {
	db := openSQLite(t)
	plain := newEnv(t, func(o *envOptions) { o.db = db })
	userID, secret := signUpWithTOTP(t, plain, "tom")
	if row := storedTOTP(t, db, userID); !bytes.Equal(row, secret) {
		t.Fatal("without keys the secret should be stored as it is")
	}
	keyed := newEnv(t, func(o *envOptions) { o.db = db; o.keys = keys(t, testKey1) })
	keyed.advance(60 * time.Second)
	r := mfaSignIn(t, keyed, "tom", secret)
	expectStatus(t, r, 200)
	// Re-enrolment seals it.
	b := keyed.browser()
	b.hc.Jar.SetCookies(mustURL(keyed.srv.URL), []*httpCookie{cookieOf(r)})
	expectStatus(t, b.do("DELETE", "/api/v1/totp", nil), 204)
	fresh := enrolTOTP(t, keyed, b)
	expectStatus(t, b.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(fresh, keyed.clock())}), 200)
	if row := storedTOTP(t, db, userID); !keyring.Sealed(row) || bytes.Contains(row, fresh) {
		t.Fatal("a re-enrolled secret is not sealed")
	}
}
