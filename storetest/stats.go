package storetest

import (
	"maps"
	"testing"

	"github.com/passkeyd/passkeyd"
)

func testAdoptionStats(t *testing.T, s passkeyd.Store) {
	check := func(step string, users, holders int, devices map[string]int, aaguids map[[16]byte]int) {
		t.Helper()
		st, err := s.AdoptionStats(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if st.Users != users || st.UsersWithPasskey != holders {
			t.Fatalf("%s: %d users, %d with a passkey; want %d, %d", step, st.Users, st.UsersWithPasskey, users, holders)
		}
		if !maps.Equal(st.PasskeysByDevice, devices) {
			t.Fatalf("%s: by device %v, want %v", step, st.PasskeysByDevice, devices)
		}
		if !maps.Equal(st.PasskeysByAAGUID, aaguids) {
			t.Fatalf("%s: by AAGUID %v, want %v", step, st.PasskeysByAAGUID, aaguids)
		}
	}
	devices := func(platform, key, hybrid, unknown int) map[string]int {
		return map[string]int{passkeyd.DevicePlatform: platform, passkeyd.DeviceSecurityKey: key, passkeyd.DeviceHybrid: hybrid, passkeyd.DeviceUnknown: unknown}
	}
	check("empty", 0, 0, devices(0, 0, 0, 0), map[[16]byte]int{})

	var phone, key [16]byte
	copy(phone[:], random(16))
	copy(key[:], random(16))
	// alice: a phone passkey (internal wins over hybrid) and a security key.
	alice, alicePhone, _ := account(t, s, "alice")
	p := newPasskey(alice.ID, now)
	p.AAGUID, p.Transports = key[:], []string{"nfc", "usb"}
	if err := s.AddPasskey(ctx, p); err != nil {
		t.Fatal(err)
	}
	// bob: a hybrid-only passkey of the phone's model.
	bob := newUser("bob")
	bp := newPasskey(bob.ID, now)
	bp.AAGUID, bp.Transports = phone[:], []string{"hybrid"}
	// carol: no transports and an all-zero AAGUID.
	carol := newUser("carol")
	cp := newPasskey(carol.ID, now)
	cp.AAGUID, cp.Transports = make([]byte, 16), []string{}
	// dave: a password and no passkey.
	dave := newUser("dave")
	dave.PasswordHash = "$argon2id$stub"
	for _, a := range []passkeyd.NewAccount{{User: bob, Passkey: bp}, {User: carol, Passkey: cp}, {User: dave}} {
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	aliceModel := [16]byte(alicePhone.AAGUID)
	check("four users", 4, 3, devices(1, 1, 1, 1), map[[16]byte]int{aliceModel: 1, key: 1, phone: 1, {}: 1})

	if err := s.DeletePasskey(ctx, alice.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, carol.ID); err != nil {
		t.Fatal(err)
	}
	check("after deletions", 3, 2, devices(1, 0, 1, 0), map[[16]byte]int{aliceModel: 1, phone: 1})
}
