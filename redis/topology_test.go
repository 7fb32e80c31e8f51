package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/redis/redistest"
)

// The topologies are started once for the package (a cluster takes seconds) and stopped in
// TestMain.
var (
	topoMu  sync.Mutex
	topos   = map[string]*redistest.Topology{}
	topoErr = map[string]error{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, t := range topos {
		t.Close()
	}
	os.Exit(code)
}

func topology(name string, start func() (*redistest.Topology, error)) (string, error) {
	topoMu.Lock()
	defer topoMu.Unlock()
	if t, ok := topos[name]; ok {
		return t.URL, nil
	}
	if err, ok := topoErr[name]; ok {
		return "", err
	}
	t, err := start()
	if err != nil {
		topoErr[name] = err
		return "", err
	}
	topos[name] = t
	return t.URL, nil
}

// forEachTopology runs f against the local single node (PASSKEYD_TEST_REDIS_URL), a
// Sentinel group and a three-node Cluster, each reached through its passkeyd URL form.
func forEachTopology(t *testing.T, f func(t *testing.T, c *redis.Challenges, client goredis.UniversalClient)) {
	for _, tc := range []struct {
		name string
		url  func() (string, error)
	}{
		{"single", func() (string, error) { return testURL(), nil }},
		{"sentinel", func() (string, error) { return topology("sentinel", redistest.StartSentinel) }},
		{"cluster", func() (string, error) { return topology("cluster", redistest.StartCluster) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, err := tc.url()
			redistest.Need(t, err)
			opts, err := redis.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			client := goredis.NewUniversalClient(opts)
			t.Cleanup(func() { client.Close() })
			if err := client.Ping(context.Background()).Err(); err != nil {
				redistest.Need(t, err)
			}
			f(t, redis.New(client, randomPrefix("challenge")), client)
		})
	}
}

func randomPrefix(what string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "passkeyd-test:" + hex.EncodeToString(b) + ":" + what + ":"
}
