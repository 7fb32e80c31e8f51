package softauthn

import (
	"encoding/json"
	"testing"
)

func TestAppendStringIsJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://example.com", `"https://example.com"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\t\r\b\f\x01\x1f", `"\n\t\r\b\f\u0001\u001f"`},
		{"<&>", `"<&>"`}, // JSON.stringify does not escape HTML
		{"日本 \u2028", "\"日本 \u2028\""},
		{"bad \xff utf-8", "\"bad \ufffd utf-8\""},
	} {
		got := string(appendString(nil, c.in))
		if got != c.want {
			t.Errorf("appendString(%q) = %s, want %s", c.in, got, c.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%s is not JSON: %v", got, err)
		}
	}
}

func TestB64AcceptsWhatServersSend(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"_-8"`, "\xff\xef", true},  // base64url
		{`"_-8="`, "\xff\xef", true}, // padded
		{`"/+8="`, "\xff\xef", true}, // standard base64, as encoding/json writes []byte
		{`""`, "", true},
		{`null`, "", true},
		{`"!!"`, "", false},
		{`12`, "", false},
	} {
		var b b64
		err := json.Unmarshal([]byte(c.in), &b)
		if (err == nil) != c.ok || string(b) != c.want {
			t.Errorf("%s: %q, %v", c.in, b, err)
		}
	}
}
