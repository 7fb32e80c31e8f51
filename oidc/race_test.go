package oidc_test

import (
	"sync"
	"testing"
)

// TestCodeRedemptionRace: of 16 simultaneous exchanges of one code exactly one gets
// tokens, every other one is refused as a replay, and the replay revokes what the winner
// got (RFC 6749 §4.1.2), whichever request arrived first.
func TestCodeRedemptionRace(t *testing.T) {
	h := newHarness(t)
	raceCodeRedemption(t, h, h)
}

// raceCodeRedemption signs in on a, gets a code, and exchanges it 16 times at once,
// alternately on a and b.
func raceCodeRedemption(t *testing.T, a, b *harness) {
	br := a.browser()
	br.signUp("racer")
	for round := range 3 {
		code := br.code(map[string]string{"client_id": "conf", "scope": "openid offline_access"})
		start := make(chan struct{})
		results := make([]tokenResponse, 16)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := a
				if i%2 == 1 {
					h = b
				}
				<-start
				results[i] = h.exchange(code, "conf", confSecret, "")
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, r := range results {
			switch {
			case r.Status == 200 && r.AccessToken != "":
				if won >= 0 {
					t.Fatalf("round %d: the code was redeemed twice (%d and %d)", round, won, i)
				}
				won = i
			case r.Status != 400 || r.Error != "invalid_grant":
				t.Fatalf("round %d: exchange %d: %+v", round, i, r)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody redeemed the code", round)
		}
		if a.introspect(results[won].AccessToken) {
			t.Fatalf("round %d: the winner's access token survived 15 replays", round)
		}
	}
}
