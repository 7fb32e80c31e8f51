package main

import "runtime/debug"

// gcPercent is passkeyd's GOGC when the environment sets none. About four fifths of the
// server's live heap (~8 MB at rest) are static tables: zxcvbn's frequency dictionaries
// (~6 MB, built when the password package loads). Go's default of 100 lets the heap grow
// by as much again as is live before each collection, so the static tables alone cost
// their size twice more in resident memory. At 50 a passkey sign-in server at 100,000
// users peaks ~5 MB lower, for about 1 % more CPU in the collector (docs/performance.md).
// Unlike a default memory limit, it scales with the live heap: argon2id's 64 MiB per
// password hash, or a large FIDO metadata BLOB, cannot make the collector thrash.
const gcPercent = 50

// defaultGC applies gcPercent unless GOGC is set (the runtime has applied that one).
func defaultGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
