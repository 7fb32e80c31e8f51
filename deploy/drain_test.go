package deploy

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/config"
)

// TestStopTimingsAgree: the load balancer takes an instance out of rotation before its
// drain ends (inter × fall < drainTimeout), and systemd waits for drain + shutdown before
// it sends SIGKILL (TimeoutStopSec > drainTimeout + shutdownTimeout), with the defaults.
func TestStopTimingsAgree(t *testing.T) {
	def := config.Default()
	unit, err := os.ReadFile("systemd/passkeyd.service")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)\s*$`).FindSubmatch(unit)
	if m == nil {
		t.Fatal("systemd/passkeyd.service sets no TimeoutStopSec in seconds")
	}
	stop, _ := strconv.Atoi(string(m[1]))
	if need := def.DrainTimeout + def.ShutdownTimeout; time.Duration(stop)*time.Second <= need {
		t.Errorf("TimeoutStopSec=%d does not cover drainTimeout %v + shutdownTimeout %v", stop, def.DrainTimeout, def.ShutdownTimeout)
	}
	cfg, err := os.ReadFile("haproxy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	m = regexp.MustCompile(`(?m)^\s*default-server\b.*\binter\s+(\d+(?:ms|s))\b.*\bfall\s+(\d+)`).FindSubmatch(cfg)
	if m == nil {
		t.Fatal("haproxy/haproxy.cfg has no default-server line with inter and fall")
	}
	inter, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	fall, _ := strconv.Atoi(string(m[2]))
	if out := inter * time.Duration(fall); out >= def.DrainTimeout {
		t.Errorf("HAProxy needs inter %v × fall %d = %v to take an instance out, not less than drainTimeout %v: requests would reach a closed port", inter, fall, out, def.DrainTimeout)
	}
}
