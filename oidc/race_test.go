package oidc_test

import (
	"net/url"
	"sync"
	"testing"
)

// TestCodeRedemptionRace: of 16 simultaneous exchanges of one code at most one gets
// tokens, every other one is refused as a replay, and the replay revokes what the winner
// got (RFC 6749 §4.1.2): when the replay lands before the winner has stored its grant,
// the winner is refused too (nobody gets live tokens from a code presented twice).
func TestCodeRedemptionRace(t *testing.T) {
	h := newHarness(t)
	raceCodeRedemption(t, h, []string{h.issuer})
}

// raceCodeRedemption signs in, gets a code, and exchanges it 16 times at once, in turn
// on each server of bases.
func raceCodeRedemption(t *testing.T, a *harness, bases []string) {
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
				f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.redirect}}
				<-start
				results[i] = a.tokenAt(bases[i%len(bases)], f, "conf", confSecret)
			}()
		}
		close(start)
		wg.Wait()
		won := -1 // the one exchange that got tokens, if any
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
		if won >= 0 && a.introspect(results[won].AccessToken) {
			t.Fatalf("round %d: the winner's access token survived 15 replays", round)
		}
	}
}
