//go:build !go1.27

package ceremony

// go-webauthn verifies ML-DSA keys only when built with Go 1.27 or later.
const mldsaSupported = false
