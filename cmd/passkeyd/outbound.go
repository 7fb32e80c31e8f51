package main

import (
	"net/http"
	"time"
)

// outboundClient is the HTTP client of every call passkeyd makes to another service (the
// breach range API, webhook receivers): bounded by timeout, and carrying the caller's trace
// context (see tracing.go) so the other side's spans join the request's trace.
func outboundClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: tracedTransport(http.DefaultTransport)}
}
