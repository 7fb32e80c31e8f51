package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Apps are the native apps and the other sites that use this relying party's passkeys. The
// one block feeds both what passkeyd publishes (/.well-known/webauthn, assetlinks.json,
// apple-app-site-association) and which origins its ceremonies accept, so the two cannot
// disagree.
type Apps struct {
	// RelatedOrigins are origins on other registrable domains allowed to use the RP ID
	// (WebAuthn Related Origin Requests), e.g. https://example.co.uk.
	RelatedOrigins []string `yaml:"relatedOrigins"`
	// Android are "package.name:SHA256-fingerprint" items, the fingerprint as keytool
	// prints it (32 colon-separated hex bytes).
	Android []string `yaml:"android"`
	// IOS are "TEAMID.bundle.id" items.
	IOS []string `yaml:"ios"`
}

// AndroidApp is one Android app allowed to use the RP's passkeys.
type AndroidApp struct {
	Package string
	// Fingerprint is the SHA-256 of the app's signing certificate.
	Fingerprint []byte
}

// FingerprintHex is the fingerprint as assetlinks.json wants it: upper-case, colon-separated.
func (a AndroidApp) FingerprintHex() string {
	parts := make([]string, len(a.Fingerprint))
	for i, b := range a.Fingerprint {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// Origin is the origin Android's Credential Manager puts in clientDataJSON for this app
// when it runs a ceremony itself rather than in a browser.
func (a AndroidApp) Origin() string {
	return "android:apk-key-hash:" + base64.RawURLEncoding.EncodeToString(a.Fingerprint)
}

var (
	androidPackage = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)
	iosAppID       = regexp.MustCompile(`^[A-Z0-9]{10}\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$`)
)

// parseAndroidApp reads "package.name:AB:CD:…" (or the fingerprint as 64 hex digits).
func parseAndroidApp(v string) (AndroidApp, error) {
	pkg, fp, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || !androidPackage.MatchString(pkg) {
		return AndroidApp{}, fmt.Errorf("%q: want package.name:SHA256-fingerprint, e.g. com.example.app:FA:C6:17:…", v)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(fp, ":", ""))
	if err != nil || len(raw) != 32 {
		return AndroidApp{}, fmt.Errorf("%q: the fingerprint must be the SHA-256 of the signing certificate, 32 hex bytes separated by colons as `keytool -list -v` prints it (SHA1 is not enough)", v)
	}
	return AndroidApp{Package: pkg, Fingerprint: raw}, nil
}

// AndroidApps returns the parsed Android apps; items that do not parse are left out (Load
// refuses them).
func (c *Config) AndroidApps() []AndroidApp {
	var out []AndroidApp
	for _, v := range c.Apps.Android {
		if a, err := parseAndroidApp(v); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// CeremonyOrigins are the web origins whose clientDataJSON the ceremonies accept: the
// configured origins and the related origins.
func (c *Config) CeremonyOrigins() []string {
	out := slices.Clone(c.WebOrigins())
	for _, o := range c.Apps.RelatedOrigins {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// maxRelatedLabels is how many distinct registrable-domain labels browsers read from
// /.well-known/webauthn (WebAuthn L3 §5.11.1); origins past that are silently ignored.
const maxRelatedLabels = 5

func (c *Config) validateApps(bad func(key, format string, args ...any)) {
	labels := map[string]bool{}
	for i, raw := range c.Apps.RelatedOrigins {
		o, err := normalizeOrigin(raw)
		if err != nil {
			bad("apps.relatedOrigins", "%q is not an origin (scheme://host[:port], no path): %v", raw, err)
			continue
		}
		c.Apps.RelatedOrigins[i] = o
		u, _ := url.Parse(o)
		if u.Scheme != "https" && !(u.Scheme == "http" && loopbackName(u.Hostname())) {
			bad("apps.relatedOrigins", "%q must use https (browsers ignore other related origins)", raw)
			continue
		}
		if slices.Contains(c.WebOrigins(), o) {
			bad("apps.relatedOrigins", "%q is already one of the origins; related origins are the other sites (on another registrable domain) allowed to use RP ID %q", o, c.RPID)
		}
		site, err := publicsuffix.EffectiveTLDPlusOne(u.Hostname())
		if err != nil {
			site = u.Hostname()
		}
		labels[strings.SplitN(site, ".", 2)[0]] = true
	}
	if len(labels) > maxRelatedLabels {
		bad("apps.relatedOrigins", "%d distinct site names; browsers honour at most %d (example.com and example.co.uk count once, as \"example\")", len(labels), maxRelatedLabels)
	}
	seen := map[string]bool{}
	for _, v := range c.Apps.Android {
		a, err := parseAndroidApp(v)
		if err != nil {
			bad("apps.android", "%v", err)
			continue
		}
		if seen[a.Origin()+a.Package] {
			bad("apps.android", "%q is listed twice", v)
		}
		seen[a.Origin()+a.Package] = true
	}
	for _, v := range c.Apps.IOS {
		if !iosAppID.MatchString(v) {
			bad("apps.ios", "%q: want TEAMID.bundle.id, the ten-character Apple team ID then the bundle identifier, e.g. ABCDE12345.com.example.app", v)
		}
	}
}
