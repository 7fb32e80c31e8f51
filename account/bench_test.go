package account_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
	"github.com/passkeyd/passkeyd/softauthn"
)

// BenchmarkFinishLogin is the server's side of one passkey sign-in's verify step — parse,
// consume the challenge, find the credential and its owner, verify the ES256 assertion,
// and the one durable write of the counter, session and audit event — on SQLite and
// PostgreSQL, with the sign-in cache and without. The assertions are made before the timer
// starts. reads/op counts the store reads of the passkey and its owner per sign-in, and
// cpu-ns/op the CPU time of this process (PostgreSQL's own is not in it) per sign-in, which
// the commit's wait for the disk does not blur as it does ns/op. postgres-nosync commits
// with synchronous_commit off, to show the round trips without the disk's latency.
func BenchmarkFinishLogin(b *testing.B) {
	ctx := context.Background()
	all := backends()
	all = append(all, backend{"postgres-nosync", func(t testing.TB) (passkeyd.Store, passkeyd.Store) {
		db, err := postgres.Open(ctx, pgtest.URL(t)+"&synchronous_commit=off")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db, db
	}})
	for _, be := range all {
		for _, mode := range []struct {
			name  string
			cache int
		}{{"cached", 0}, {"uncached", -1}} {
			b.Run(be.name+"/"+mode.name, func(b *testing.B) {
				a, _, _ := pair(b, be, instanceOptions{cache: mode.cache, policy: "refuse"})
				auth := softauthn.MustNew(softauthn.Options{})
				register(b, a.Service, "bench", auth)
				if _, err := signIn(b, a.Service, auth, nil); err != nil {
					b.Fatal(err)
				}
				creds := make([]json.RawMessage, b.N)
				for i := range creds {
					creds[i] = assertion(b, a.Service, auth, nil)
				}
				reads := a.reads.n.Load()
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := a.FinishLogin(ctx, creds[i]); err != nil {
						b.Fatal(err)
					}
				}
				cpu = cpuTime() - cpu
				b.StopTimer()
				b.ReportMetric(float64(a.reads.n.Load()-reads)/float64(b.N), "reads/op")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
