package memory_test

import (
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) passkeyd.Store { return memory.NewStore() })
}

func TestChallenges(t *testing.T) {
	storetest.RunChallenges(t, func(t *testing.T) passkeyd.ChallengeStore {
		c := memory.NewChallenges()
		t.Cleanup(func() { c.Close() })
		return c
	})
}

func TestTickets(t *testing.T) {
	storetest.RunTickets(t, func(t *testing.T) passkeyd.TicketStore {
		c := memory.NewChallenges()
		t.Cleanup(func() { c.Close() })
		return c
	})
}
