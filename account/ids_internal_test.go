package account

import (
	"testing"
	"time"
)

// TestOrderedIDs: ids sort as strings in the order of their times, are unique within one
// millisecond, and carry 80 random bits.
func TestOrderedIDs(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 2000; i++ {
		id := orderedID(at.Add(time.Duration(i/10) * time.Millisecond))
		if len(id) != 26 {
			t.Fatalf("id %q: %d characters", id, len(id))
		}
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id] = true
		// Ten ids share each millisecond: their time prefix (48 bits: the first 9
		// characters hold 45 of them) must never go backwards.
		if prev != "" && id[:9] < prev[:9] {
			t.Fatalf("%q after %q: out of time order", id, prev)
		}
		prev = id
	}
	if orderedID(at)[:9] >= orderedID(at.Add(time.Hour))[:9] {
		t.Fatal("an hour later sorts first")
	}
}
