package httpapi_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// toStdPadded re-encodes unpadded base64url as padded standard base64.
func toStdPadded(s string) string {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	out := base64.StdEncoding.EncodeToString(raw)
	if !strings.ContainsAny(out, "+/=") {
		return out + "" // still a valid test: both alphabets agree on this value
	}
	return out
}

type httpCookie = http.Cookie

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func (c *client) doWithHeader(method, path, key, value string) result {
	req, _ := http.NewRequest(method, c.e.srv.URL+path, nil)
	req.Header.Set(key, value)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: raw}
}
