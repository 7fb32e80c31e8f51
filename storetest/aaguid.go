package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func testAAGUIDRules(t *testing.T, s passkeyd.Store) {
	if rules, err := s.AAGUIDRules(ctx); err != nil || rules == nil || len(rules) != 0 {
		t.Fatalf("empty store: %v, %v", rules, err)
	}
	var a, b [16]byte
	a[0], b[0] = 0xb0, 0x0a // b sorts first
	allow := &passkeyd.AAGUIDRule{AAGUID: a, List: passkeyd.AAGUIDAllow, Note: "fleet keys", UpdatedAt: now}
	deny := &passkeyd.AAGUIDRule{AAGUID: b, List: passkeyd.AAGUIDDeny, Note: "", UpdatedAt: now.Add(time.Second)}
	for _, r := range []*passkeyd.AAGUIDRule{allow, deny} {
		if err := s.PutAAGUIDRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := s.AAGUIDRules(ctx)
	if err != nil || len(rules) != 2 {
		t.Fatalf("AAGUIDRules: %v, %v", rules, err)
	}
	if *rules[0] != *deny || *rules[1] != *allow {
		t.Fatalf("rules, by AAGUID, every field:\n got %+v %+v\nwant %+v %+v", rules[0], rules[1], deny, allow)
	}
	// Putting an AAGUID on the other list moves it: one rule per AAGUID.
	moved := &passkeyd.AAGUIDRule{AAGUID: a, List: passkeyd.AAGUIDDeny, Note: "found compromised", UpdatedAt: now.Add(time.Minute)}
	if err := s.PutAAGUIDRule(ctx, moved); err != nil {
		t.Fatal(err)
	}
	rules, _ = s.AAGUIDRules(ctx)
	if len(rules) != 2 || *rules[1] != *moved {
		t.Fatalf("after moving %x: %+v", a, rules)
	}
	if err := s.DeleteAAGUIDRule(ctx, a); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.DeleteAAGUIDRule(ctx, a), passkeyd.ErrNotFound)
	rules, _ = s.AAGUIDRules(ctx)
	if len(rules) != 1 || *rules[0] != *deny {
		t.Fatalf("after delete: %+v", rules)
	}
}

func testPasskeysByAAGUID(t *testing.T, s passkeyd.Store) {
	var model, other [16]byte
	copy(model[:], random(16))
	copy(other[:], random(16))
	of := func(userID string, aaguid [16]byte) *passkeyd.Passkey {
		p := newPasskey(userID, now)
		p.AAGUID = bytes.Clone(aaguid[:])
		if err := s.AddPasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Three users hold the model (one of them twice), one holds only another model.
	want := map[string][][]byte{}
	for _, name := range []string{"ann", "bob", "cat", "dan"} {
		u, _, _ := account(t, s, name) // its first passkey has a random AAGUID
		if name == "dan" {
			of(u.ID, other)
			continue
		}
		want[u.ID] = append(want[u.ID], of(u.ID, model).ID)
		if name == "bob" {
			want[u.ID] = append(want[u.ID], of(u.ID, model).ID)
			of(u.ID, other)
		}
	}
	users := make([]string, 0, len(want))
	for id := range want {
		users = append(users, id)
		slices.SortFunc(want[id], bytes.Compare)
	}
	slices.Sort(users) // byte order, as strings.Compare

	// Pages of two users, then one, then none: each user whole, in user id order.
	var got []string
	after := ""
	for page, size := range []int{2, 1, 0} {
		ps, err := s.PasskeysByAAGUID(ctx, model, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i, p := range ps {
			if !bytes.Equal(p.AAGUID, model[:]) {
				t.Fatalf("page %d: passkey of AAGUID %x", page, p.AAGUID)
			}
			if i > 0 && (strings.Compare(ps[i-1].UserID, p.UserID) > 0 || ps[i-1].UserID == p.UserID && bytes.Compare(ps[i-1].ID, p.ID) >= 0) {
				t.Fatalf("page %d not ordered by user id, credential id", page)
			}
			if len(ids) == 0 || ids[len(ids)-1] != p.UserID {
				ids = append(ids, p.UserID)
			}
		}
		if len(ids) != size {
			t.Fatalf("page %d after %q: %d users, want %d", page, after, len(ids), size)
		}
		for _, uid := range ids {
			var creds [][]byte
			for _, p := range ps {
				if p.UserID == uid {
					creds = append(creds, p.ID)
				}
			}
			if !slices.EqualFunc(creds, want[uid], bytes.Equal) {
				t.Fatalf("user %s: %d passkeys of the model, want %d", uid, len(creds), len(want[uid]))
			}
		}
		got = append(got, ids...)
		if len(ids) > 0 {
			after = ids[len(ids)-1]
		}
	}
	if !slices.Equal(got, users) {
		t.Fatalf("users %v, want %v", got, users)
	}

	// An AAGUID nobody holds is an empty page, not an error.
	var none [16]byte
	if ps, err := s.PasskeysByAAGUID(ctx, none, "", 10); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("unknown AAGUID: %v, %v", ps, err)
	}
	// A revoked passkey is no longer found.
	if err := s.RevokePasskey(ctx, users[0], want[users[0]][0]); err != nil {
		t.Fatal(err)
	}
	ps, err := s.PasskeysByAAGUID(ctx, model, "", 10)
	if err != nil || len(ps) != 3 {
		t.Fatalf("after revoking one of four: %d passkeys, %v", len(ps), err)
	}
}
