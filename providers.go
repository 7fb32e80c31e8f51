package passkeyd

// providers names well-known passkey providers by AAGUID. A fuller, refreshable data set
// replaces this table with the account-lifecycle work; these are the providers people see
// most (their AAGUIDs are published by the vendors and collected by the passkey developer
// community).
var providers = map[[16]byte]string{
	mustAAGUID("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"): "iCloud Keychain",
	mustAAGUID("dd4ec289-e01d-41c9-bb89-70fa845d4bf2"): "iCloud Keychain (Managed)",
	mustAAGUID("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"): "Google Password Manager",
	mustAAGUID("adce0002-35bc-c60a-648b-0b25f1f05503"): "Chrome on Mac",
	mustAAGUID("08987058-cadc-4b81-b6e1-30de50dcbe96"): "Windows Hello",
	mustAAGUID("9ddd1817-af5a-4672-a2b9-3e3dd95000a9"): "Windows Hello",
	mustAAGUID("6028b017-b1d4-4c02-b4b3-afcdafc96bb2"): "Windows Hello",
	mustAAGUID("bada5566-a7aa-401f-bd96-45619a55120d"): "1Password",
	mustAAGUID("d548826e-79b4-db40-a3d8-11116f7e8349"): "Bitwarden",
	mustAAGUID("531126d6-e717-415c-9320-3d9aa6981239"): "Dashlane",
	mustAAGUID("b84e4048-15dc-4dd0-8640-f4f60813c8af"): "NordPass",
	mustAAGUID("0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6"): "Keeper",
	mustAAGUID("53414d53-554e-4700-0000-000000000000"): "Samsung Pass",
	mustAAGUID("b5397666-4885-aa6b-cebf-e52262a439a2"): "Chromium Browser",
	mustAAGUID("771b48fd-d3d4-4f74-9232-fc157ab0507a"): "Edge on Mac",
	mustAAGUID("ee882879-721c-4913-9775-3dfcce97072a"): "YubiKey 5 Series",
	mustAAGUID("2fc0579f-8113-47ea-b116-bb5a8db9202a"): "YubiKey 5 Series with NFC",
	mustAAGUID("c5ef55ff-ad9a-4b9f-b580-adebafe026d0"): "YubiKey 5Ci",
	mustAAGUID("d8522d9f-575b-4866-88a9-ba99fa02f35b"): "YubiKey Bio Series",
	mustAAGUID("6d44ba9b-f6ec-2e49-b930-0c8fe920cb73"): "Security Key by Yubico with NFC",
	mustAAGUID("2369d4d0-13ce-48cb-9f26-f7ed8c9a6068"): "SoloKeys Solo 2",
	mustAAGUID("42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3"): "Google Titan Security Key v2",
}

func mustAAGUID(s string) [16]byte {
	var out [16]byte
	j := 0
	for i := 0; i < len(s); {
		if s[i] == '-' {
			i++
			continue
		}
		out[j] = unhex(s[i])<<4 | unhex(s[i+1])
		i += 2
		j++
	}
	if j != 16 {
		panic("bad AAGUID literal " + s)
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	panic("bad hex digit in AAGUID literal")
}
