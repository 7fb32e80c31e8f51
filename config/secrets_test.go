package config

import (
	"strings"
	"testing"
)

func TestAdminTokenEntropy(t *testing.T) {
	for _, c := range []struct {
		name, token string
		ok          bool
	}{
		{"openssl rand -base64 32", "q0vJ8m3Zt2rX9bWcN5yKf1LhA7pQeUuD4sGiTzRoV6E=", true},
		{"22 random base64 characters", "Kq7Zp2Vx9mWb4Rt8Yc1NhL", true},
		{"32 random hex characters", "9f86d081884c7d659a2feaa0c55ad015", true},
		{"openssl rand -hex 32", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true},
		{"empty is off, not checked here", "", false},
		{"24 characters of one letter", strings.Repeat("a", 24), false},
		{"long run of one letter", strings.Repeat("a", 200), false},
		{"a repeated short block", strings.Repeat("Xy7$", 16), false},
		{"a repeated longer block", strings.Repeat("Kq7Zp2Vx", 6), false},
		{"two letters alternating", strings.Repeat("ab", 40), false},
		{"an alphabet run", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", false},
		{"a dictionary-like phrase", "test-admin-token-0123456789", false},
		{"too short even if random", "Kq7Zp2Vx9mWb4Rt8", false},
		{"31 hex characters", "9f86d081884c7d659a2feaa0c55ad01", false},
	} {
		if got := tokenBits(c.token) >= minTokenBits; got != c.ok {
			t.Errorf("%s (%q): %.1f bits, accepted=%v, want %v", c.name, c.token, tokenBits(c.token), got, c.ok)
		}
	}
}

func TestAdminTokenRefusedAtStart(t *testing.T) {
	_, err := Load(nil, env(map[string]string{"PASSKEYD_ADMIN_TOKEN": strings.Repeat("secret", 5)}))
	if err == nil || !strings.Contains(err.Error(), "adminToken (PASSKEYD_ADMIN_TOKEN, -admin-token)") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Fatalf("weak admin token: %v", err)
	}
	if strings.Contains(err.Error(), "secretsecret") {
		t.Fatal("the error repeats the token")
	}
	if _, err := Load(nil, env(map[string]string{"PASSKEYD_ADMIN_TOKEN": "q0vJ8m3Zt2rX9bWcN5yKf1LhA7pQeUuD4sGiTzRoV6E="})); err != nil {
		t.Fatalf("strong admin token refused: %v", err)
	}
}

func TestEncryptionKeys(t *testing.T) {
	const k1, k2 = "q0vJ8m3Zt2rX9bWcN5yKf1LhA7pQeUuD4sGiTzRoV6E=", "3Hq9Zb7Yk2Lm5Np8Rs1Tv4Wx6Az0Cd3Ef5Gh7Jk9Mn0="
	c, err := Load([]string{"-encryption-keys", k1 + ", " + k2}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := c.Keyring()
	if err != nil || !kr.Enabled() || len(c.EncryptionKeys) != 2 {
		t.Fatalf("keyring %v %v", kr, err)
	}
	c, err = Load(nil, env(nil))
	if kr, _ := c.Keyring(); err != nil || kr.Enabled() {
		t.Fatal("no keys should mean no encryption")
	}
	for _, bad := range []string{"not base64!", "c2hvcnQ=", k1 + "," + k1} {
		_, err := Load(nil, env(map[string]string{"PASSKEYD_ENCRYPTION_KEYS": bad}))
		if err == nil || !strings.Contains(err.Error(), "encryptionKeys (PASSKEYD_ENCRYPTION_KEYS, -encryption-keys)") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestArgon2Queue(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"PASSKEYD_ARGON2_CONCURRENCY": "3", "PASSKEYD_ARGON2_QUEUE": "7"}))
	if err != nil || c.Argon2.Concurrency != 3 || c.Argon2.Queue != 7 {
		t.Fatalf("%+v %v", c.Argon2, err)
	}
	if _, err := Load(nil, env(map[string]string{"PASSKEYD_ARGON2_QUEUE": "-1"})); err == nil || !strings.Contains(err.Error(), "argon2.concurrency") {
		t.Fatalf("negative queue: %v", err)
	}
}
