package main

import "runtime/debug"

// gcPercent is passkeyd's GOGC when the environment sets none. About four fifths of the
// server's live heap (~8 MB at rest) are static tables: zxcvbn's frequency dictionaries
// (~6 MB, built when the password package loads). At Go's default of 100 the heap grows by
// as much again as is live before each collection, so the static tables cost their size
// twice more in resident memory. Collections are not free either: marking those tables is
// most of the ~10 ms of CPU each one costs. Under passkey sign-in load at 100,000 SQLite
// users (docs/performance.md, "Memory"):
//
//	GOGC  max RSS          collector CPU per sign-in
//	100   63.6–64.1 MiB    ~55 µs
//	 75   61.0–62.8 MiB    ~70 µs
//	 50   58.7–60.7 MiB    ~120 µs
//
// 75 keeps the server under 64 MiB at 16 and 32 clients for ~2 % more CPU per sign-in.
// Unlike a default memory limit, it scales with the live heap: argon2id's 64 MiB per
// password hash, or a large FIDO metadata BLOB, cannot make the collector thrash.
const gcPercent = 75

// defaultGC applies gcPercent unless GOGC is set (the runtime has applied that one).
func defaultGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
