package main

import "github.com/prometheus/client_golang/prometheus"

// signInCacheOutcomes counts the sign-in cache's lookups by outcome: hit, miss, and
// redecided (a verdict reached on a cached entry had to be reached again on a fresh read,
// mostly because another instance changed the passkey). hit / (hit + miss) is the hit rate.
func signInCacheOutcomes(registry *prometheus.Registry) func(outcome string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passkeyd_signin_cache_total",
		Help: "Passkey sign-ins by what the sign-in cache did for them: hit, miss, or redecided (decided again on a fresh read).",
	}, []string{"outcome"})
	for _, o := range []string{"hit", "miss", "redecided"} {
		c.WithLabelValues(o)
	}
	registry.MustRegister(c)
	return func(outcome string) { c.WithLabelValues(outcome).Inc() }
}
