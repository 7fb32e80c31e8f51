package ceremony

import (
	"bytes"
	"testing"
)

func TestDecodeBase64AcceptsEveryForm(t *testing.T) {
	want := []byte{0xfb, 0xff, 0xbf, 0x01}
	for _, s := range []string{"-_-_AQ", "-_-_AQ==", "+/+/AQ", "+/+/AQ=="} {
		got, err := DecodeBase64(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("DecodeBase64(%q) = %x, %v; want %x", s, got, err, want)
		}
	}
	for _, s := range []string{"-/+_", "a b", "A", "!!"} {
		if _, err := DecodeBase64(s); err == nil {
			t.Errorf("DecodeBase64(%q) accepted", s)
		}
	}
}

func TestBytesJSON(t *testing.T) {
	var b Bytes
	if err := b.UnmarshalJSON([]byte(`"+/+/AQ=="`)); err != nil {
		t.Fatal(err)
	}
	out, _ := b.MarshalJSON()
	if string(out) != `"-_-_AQ"` {
		t.Fatalf("marshal = %s, want unpadded base64url", out)
	}
	// JSON escapes are undone before decoding: "\u0041\u0041" is "AA".
	if err := b.UnmarshalJSON([]byte(`"\u0041\u0041"`)); err != nil || len(b) != 1 || b[0] != 0 {
		t.Fatalf("escaped string: %x %v", b, err)
	}
	if err := b.UnmarshalJSON([]byte(`12`)); err == nil {
		t.Fatal("number accepted as base64")
	}
}
