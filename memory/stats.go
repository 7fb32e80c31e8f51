package memory

import (
	"context"

	"github.com/passkeyd/passkeyd"
)

// AdoptionStats implements passkeyd.StatsStore.
func (s *Store) AdoptionStats(ctx context.Context) (*passkeyd.AdoptionStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := passkeyd.NewAdoptionStats()
	st.Users = len(s.users)
	holders := map[string]bool{}
	for _, p := range s.passkeys {
		holders[p.UserID] = true
		st.AddPasskeys(p.Transports, p.AAGUID, 1)
	}
	st.UsersWithPasskey = len(holders)
	return st, nil
}
