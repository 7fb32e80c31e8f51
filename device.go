package passkeyd

// Device types of a passkey, from the transports its authenticator reported.
const (
	DevicePlatform    = "platform"     // built into the device (Touch ID, Windows Hello, Android)
	DeviceSecurityKey = "security_key" // a roaming authenticator over USB, NFC or BLE
	DeviceHybrid      = "hybrid"       // a phone used across devices (caBLE / hybrid)
	DeviceUnknown     = "unknown"
)

// DeviceType classifies the passkey's authenticator from its transports.
func (p *Passkey) DeviceType() string {
	var internal, hybrid, roaming bool
	for _, t := range p.Transports {
		switch t {
		case "internal":
			internal = true
		case "hybrid":
			hybrid = true
		case "usb", "nfc", "ble", "smart-card":
			roaming = true
		}
	}
	switch {
	case internal:
		return DevicePlatform
	case roaming:
		return DeviceSecurityKey
	case hybrid:
		return DeviceHybrid
	}
	return DeviceUnknown
}

// Provider returns the name of the passkey provider its AAGUID identifies ("iCloud
// Keychain"), or "" when unknown.
func (p *Passkey) Provider() string {
	return ProviderName(p.AAGUID)
}

// ProviderName looks an AAGUID up in the provider registry; see providers.go.
func ProviderName(aaguid []byte) string {
	if len(aaguid) != 16 {
		return ""
	}
	if f := metadataNames.Load(); f != nil {
		if name := (*f)([16]byte(aaguid)); name != "" {
			return name
		}
	}
	return providers()[[16]byte(aaguid)]
}
