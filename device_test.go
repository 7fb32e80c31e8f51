package passkeyd

import (
	"encoding/hex"
	"testing"
)

func TestProviderNames(t *testing.T) {
	for aaguid, want := range map[string]string{
		"fbfc3007154e4ecc8c0b6e020557d7bd": "Apple Passwords",
		"ea9b8d664d011d213ce4b6b48cb575d4": "Google Password Manager",
		"00000000000000000000000000000000": "",
	} {
		b, _ := hex.DecodeString(aaguid)
		if got := ProviderName(b); got != want {
			t.Errorf("%s: %q, want %q", aaguid, got, want)
		}
	}
	if ProviderName([]byte{1, 2}) != "" {
		t.Fatal("a short AAGUID named a provider")
	}
	if n := len(providers()); n < 200 {
		t.Fatalf("only %d providers loaded", n)
	}
}

func TestDeviceType(t *testing.T) {
	for _, c := range []struct {
		transports []string
		want       string
	}{
		{[]string{"internal", "hybrid"}, DevicePlatform},
		{[]string{"usb", "nfc"}, DeviceSecurityKey},
		{[]string{"hybrid"}, DeviceHybrid},
		{nil, DeviceUnknown},
	} {
		if got := (&Passkey{Transports: c.transports}).DeviceType(); got != c.want {
			t.Errorf("%v: %s, want %s", c.transports, got, c.want)
		}
	}
}

func TestProviderNameFromMetadata(t *testing.T) {
	id := [16]byte{0xfb, 0xfc, 0x30, 0x07, 0x15, 0x4e, 0x4e, 0xcc, 0x8c, 0x0b, 0x6e, 0x02, 0x05, 0x57, 0xd7, 0xbd}
	bundled := ProviderName(id[:])
	SetMetadataNames(func(a [16]byte) string {
		if a == id {
			return "From Metadata"
		}
		return ""
	})
	t.Cleanup(func() { SetMetadataNames(nil) })
	if got := ProviderName(id[:]); got != "From Metadata" {
		t.Fatalf("metadata name not used: %q", got)
	}
	other := [16]byte{1}
	if ProviderName(other[:]) != providers()[other] {
		t.Fatal("unknown to metadata must fall back to the bundled list")
	}
	SetMetadataNames(nil)
	if ProviderName(id[:]) != bundled {
		t.Fatal("clearing the hook must restore the bundled name")
	}
}
