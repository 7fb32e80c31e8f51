package main

import (
	"runtime/debug"
	"testing"
)

// TestDefaultGC: passkeyd's GOGC applies only when the operator set none.
func TestDefaultGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	defaultGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("without GOGC: GC percent %d; want the default %d", got, gcPercent)
	}
	defaultGC(func(k string) string { return map[string]string{"GOGC": "200"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set: GC percent changed to %d", got)
	}
}
