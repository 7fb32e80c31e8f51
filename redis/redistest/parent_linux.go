package redistest

import (
	"os/exec"
	"syscall"
)

// setParentDeath kills the server if the test binary dies without its cleanups (a panic,
// a timeout), so no redis-server outlives its test.
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
