package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/passkeyd/passkeyd"
)

// Apps are the other sites and the native apps that use this relying party's passkeys,
// published under /.well-known/ so that browsers and mobile platforms let them.
type Apps struct {
	// RelatedOrigins are published at /.well-known/webauthn (WebAuthn L3 §5.11, Related
	// Origin Requests).
	RelatedOrigins []string
	// Android are published in assetlinks.json (Digital Asset Links).
	Android []AndroidApp
	// IOS are the TEAMID.bundle.id of apple-app-site-association's webcredentials.
	IOS []string
}

// AndroidApp is one package and the SHA-256 fingerprints (colon-separated upper-case hex)
// of the certificates it is signed with.
type AndroidApp struct {
	Package      string
	Fingerprints []string
}

// wellKnown are the documents, encoded once: they change only with the configuration.
type wellKnown struct {
	webauthn, assetlinks, aasa []byte
}

func newWellKnown(a Apps) wellKnown {
	var w wellKnown
	if len(a.RelatedOrigins) > 0 {
		w.webauthn, _ = json.Marshal(map[string][]string{"origins": a.RelatedOrigins})
	}
	if len(a.Android) > 0 {
		type target struct {
			Namespace    string   `json:"namespace"`
			PackageName  string   `json:"package_name"`
			Fingerprints []string `json:"sha256_cert_fingerprints"`
		}
		type statement struct {
			Relation []string `json:"relation"`
			Target   target   `json:"target"`
		}
		// get_login_creds lets the app use the site's passkeys and passwords (Credential
		// Manager); handle_all_urls is the App Links half that apps usually declare too.
		var list []statement
		for _, app := range a.Android {
			list = append(list, statement{
				Relation: []string{"delegate_permission/common.handle_all_urls", "delegate_permission/common.get_login_creds"},
				Target:   target{Namespace: "android_app", PackageName: app.Package, Fingerprints: app.Fingerprints},
			})
		}
		w.assetlinks, _ = json.Marshal(list)
	}
	if len(a.IOS) > 0 {
		w.aasa, _ = json.Marshal(map[string]map[string][]string{"webcredentials": {"apps": a.IOS}})
	}
	return w
}

// handleWellKnown serves one of the documents, or 404 when the configuration has nothing to
// put in it. Platforms fetch these without cookies, from anywhere, and cache them.
func (s *server) handleWellKnown(body func(wellKnown) []byte, what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body(s.wellKnown)
		if b == nil {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "no %s are configured", what))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(b)
	})
}
