// Package web serves passkeyd's reference page and its browser SDK: static files embedded
// in the binary, no build step, no inline script (the page runs under a strict CSP).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The SDK's one source is the npm package in sdk/; the page and other sites load the same
// file from /assets/passkeyd.js.
//
//go:embed index.html assets sdk/passkeyd.js sdk/passkeyd.d.ts
var files embed.FS

// servedAs maps embedded files kept elsewhere to their URL path.
var servedAs = map[string]string{"sdk/passkeyd.js": "/assets/passkeyd.js", "sdk/passkeyd.d.ts": "/assets/passkeyd.d.ts"}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves GET / (the reference page) and GET /assets/{file}.
func Handler() http.Handler {
	assets := map[string]asset{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		switch {
		case strings.HasSuffix(p, ".d.ts"):
			ctype = "text/plain; charset=utf-8"
		case strings.HasSuffix(p, ".js"):
			ctype = "text/javascript; charset=utf-8"
		}
		url := "/" + p
		if u, ok := servedAs[p]; ok {
			url = u
		}
		assets[url] = asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/" {
			p = "/index.html"
		}
		a, ok := assets[p]
		if !ok || p == "/index.html" && r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		if p == "/index.html" {
			h.Set("Cache-Control", "no-cache")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}
