package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

// TestNativeAppsAndRelatedOrigins: one configuration block publishes the documents and
// makes the ceremonies accept the apps' and related sites' origins — an Android app signing
// up through Credential Manager (origin android:apk-key-hash:…) and a related origin
// succeed, an origin nobody configured is still refused.
func TestNativeAppsAndRelatedOrigins(t *testing.T) {
	const fp = "FA:C6:17:45:DC:09:03:78:6F:B9:ED:E6:2A:96:2B:39:9F:73:48:F0:BB:6F:89:9B:83:32:66:75:91:03:3B:9C"
	port := freePort(t)
	related := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	url := serveForTest(t, map[string]string{
		"PASSKEYD_ADDR":            fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":    "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_RELATED_ORIGINS": related,
		"PASSKEYD_ANDROID_APPS":    "com.example.app:" + fp + ",com.example.app:" + strings.Repeat("AB:", 31) + "AB",
		"PASSKEYD_IOS_APPS":        "ABCDE12345.com.example.app",
	})
	get := func(path string) string {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		return string(b)
	}
	if got := get("/.well-known/webauthn"); got != `{"origins":["`+related+`"]}` {
		t.Errorf("webauthn: %s", got)
	}
	var links []struct {
		Relation []string
		Target   struct {
			PackageName  string   `json:"package_name"`
			Fingerprints []string `json:"sha256_cert_fingerprints"`
		}
	}
	if err := json.Unmarshal([]byte(get("/.well-known/assetlinks.json")), &links); err != nil || len(links) != 1 ||
		links[0].Target.PackageName != "com.example.app" || len(links[0].Target.Fingerprints) != 2 || links[0].Target.Fingerprints[0] != fp {
		t.Errorf("assetlinks: %+v %v (want one statement with both certificates)", links, err)
	}
	if got := get("/.well-known/apple-app-site-association"); got != `{"webcredentials":{"apps":["ABCDE12345.com.example.app"]}}` {
		t.Errorf("aasa: %s", got)
	}

	signUp := func(origin, username string) (int, string) {
		a := softauthn.MustNew(softauthn.Options{Origin: origin})
		opts := post(t, url+"/api/v1/registration/options", `{"username":"`+username+`"}`)
		cred, err := a.Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(url+"/api/v1/registration/verify", "application/json", bytes.NewReader([]byte(`{"credential":`+string(cred)+`}`)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, origin := range []string{"android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w", related} {
		if status, body := signUp(origin, "user"+fmt.Sprint(len(origin))); status != 201 {
			t.Errorf("sign-up from %s: %d %s", origin, status, body)
		}
	}
	if status, body := signUp("android:apk-key-hash:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "stranger"); status != 400 || !strings.Contains(body, "origin_mismatch") {
		t.Errorf("sign-up from an unconfigured app: %d %s, want 400 origin_mismatch", status, body)
	}
}

func post(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}
