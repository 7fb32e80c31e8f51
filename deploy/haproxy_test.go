package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCertificate writes a self-signed certificate and its key, in the one PEM file HAProxy
// takes, and returns its path.
func testCertificate(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "passkeyd.test"}, DNSNames: []string{"passkeyd.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "passkeyd.pem")
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})...)
	if err := os.WriteFile(p, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHAProxyConfigs: the samples pass `haproxy -c` (the TLS one with a generated test
// certificate in place of the operator's), and plain http on port 80 only redirects.
func TestHAProxyConfigs(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal("haproxy not found (Debian package haproxy); PASSKEYD_TEST_REQUIRE makes this a failure")
		}
		t.Skip("haproxy not found")
	}
	cert := testCertificate(t)
	for _, file := range []string{"haproxy/haproxy.cfg", "compose/ha/haproxy.cfg", "forward-auth/haproxy.cfg"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cfg := strings.ReplaceAll(string(raw), "/etc/haproxy/certs/passkeyd.pem", cert)
		tmp := filepath.Join(t.TempDir(), "haproxy.cfg")
		if err := os.WriteFile(tmp, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(haproxy, "-c", "-f", tmp).CombinedOutput(); err != nil {
			if file == "forward-auth/haproxy.cfg" && strings.Contains(string(out), "lua") {
				continue // a snippet that needs a Lua module this HAProxy lacks
			}
			t.Errorf("haproxy -c %s: %v\n%s", file, err, out)
		}
	}
	raw, _ := os.ReadFile("haproxy/haproxy.cfg")
	if !strings.Contains(string(raw), "bind :80\n    http-request redirect scheme https code 301") {
		t.Error("haproxy/haproxy.cfg has no port-80 redirect to https")
	}
}

// TestPatroniConfig: deploy/patroni/patroni.yml passes `patroni --validate-config` (in a
// network namespace of its own: see validate.sh).
func TestPatroniConfig(t *testing.T) {
	if _, err := exec.LookPath("patroni"); err != nil {
		if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal("patroni not found (Debian package patroni); PASSKEYD_TEST_REQUIRE makes this a failure")
		}
		t.Skip("patroni not found")
	}
	if os.Geteuid() != 0 {
		t.Skip("validate.sh needs root for its network namespace")
	}
	if out, err := exec.Command("patroni/validate.sh").CombinedOutput(); err != nil {
		t.Fatalf("patroni --validate-config: %v\n%s", err, out)
	}
}
