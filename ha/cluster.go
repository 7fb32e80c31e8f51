package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/passkeyd/passkeyd/internal/faultnet"
)

// The cluster: PostgreSQL primary + synchronous streaming replica, Redis master + replica +
// three Sentinels, three passkeyd instances and HAProxy, all on 127.0.0.1 ports, all from
// Debian's packages and this repository's binary.
//
// The ports sit below Linux's ephemeral range (32768 and up), so that no outgoing
// connection can be holding one when a server wants to bind it.
const (
	pgPrimaryPort = 25432
	pgReplicaPort = 25433
	redisMaster   = 26379
	redisReplica  = 26380
	sentinelBase  = 26381 // three: 26381..26383
	passkeydBase  = 28081 // three: 28081..28083
	haproxyPort   = 28080
	// strictPort is a second HAProxy frontend that retries nothing and reuses server
	// connections whenever it can (like a balancer that cannot retry, kube-proxy say), so
	// the rolling-restart drill sees every request an instance drops while it stops.
	strictPort = 28090
)

// pgBin is the newest PostgreSQL server installed from Debian's packages.
var pgBin = func() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(dirs) == 0 {
		return "/usr/lib/postgresql/15/bin"
	}
	return dirs[len(dirs)-1]
}()

type cluster struct {
	dir      string
	binary   string
	procs    map[string]*exec.Cmd
	exited   map[string]chan struct{} // closed when the process of that name has exited
	pgUser   *user.User
	logFiles []*os.File
	// pgProxies sit in front of the primary and the replica, so that a drill can stall
	// the network to one; passkeyd connects through them.
	pgProxies [2]*faultnet.Proxy
	// passkeydEnv are extra environment variables for every passkeyd instance
	// (-drain-timeout).
	passkeydExtra []string
}

func (c *cluster) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ha: "+format+"\n", args...)
}

// start runs a long-lived process whose output goes to dir/name.log.
func (c *cluster) start(name string, asPostgres bool, bin string, args ...string) error {
	f, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return err
	}
	c.logFiles = append(c.logFiles, f)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if asPostgres {
		c.asPostgres(cmd)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c.track(name, cmd)
	return nil
}

// track records a started process and notes its exit.
func (c *cluster) track(name string, cmd *exec.Cmd) {
	if c.exited == nil {
		c.exited = map[string]chan struct{}{}
	}
	done := make(chan struct{})
	c.procs[name], c.exited[name] = cmd, done
	go func() { cmd.Wait(); close(done) }()
}

// terminate sends SIGTERM (a rolling restart's stop) and waits for the exit.
func (c *cluster) terminate(name string, wait time.Duration) error {
	p, ok := c.procs[name]
	if !ok || p.Process == nil {
		return fmt.Errorf("%s is not running", name)
	}
	_ = p.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited[name]:
		delete(c.procs, name)
		return nil
	case <-time.After(wait):
		return fmt.Errorf("%s did not exit within %v of SIGTERM", name, wait)
	}
}

func (c *cluster) asPostgres(cmd *exec.Cmd) {
	uid, _ := strconv.Atoi(c.pgUser.Uid)
	gid, _ := strconv.Atoi(c.pgUser.Gid)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Env = append(os.Environ(), "HOME="+c.dir)
}

// run runs a command to completion.
func (c *cluster) run(asPostgres bool, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	if asPostgres {
		c.asPostgres(cmd)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *cluster) kill(name string) {
	if p, ok := c.procs[name]; ok && p.Process != nil {
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		if done, ok := c.exited[name]; ok {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
		}
		delete(c.procs, name)
	}
}

func (c *cluster) stopAll() {
	_ = c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "pg-primary"), "stop", "-m", "immediate")
	_ = c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "pg-replica"), "stop", "-m", "immediate")
	for i := 0; i < 3; i++ {
		if _, ok := c.procs[fmt.Sprintf("patroni-%d", i)]; ok {
			c.killPatroniNode(i) // its PostgreSQL runs in a session of its own
		}
	}
	for name := range c.procs {
		c.kill(name)
	}
	for _, p := range c.pgProxies {
		if p != nil {
			p.Close()
		}
	}
	for _, f := range c.logFiles {
		f.Close()
	}
}

func waitPort(port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("port %d did not open within %v", port, d)
}

func waitHTTP(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %v", url, d)
}

func (c *cluster) startPostgres() error {
	primary, replica := filepath.Join(c.dir, "pg-primary"), filepath.Join(c.dir, "pg-replica")
	if err := c.run(true, filepath.Join(pgBin, "initdb"), "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
		return err
	}
	conf := fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
wal_level = replica
max_wal_senders = 5
hot_standby = on
# RPO 0: a commit returns only once the standby has flushed it.
synchronous_standby_names = '*'
synchronous_commit = on
fsync = on
`, pgPrimaryPort, c.dir)
	if err := appendFile(filepath.Join(primary, "postgresql.conf"), conf); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(primary, "pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n"); err != nil {
		return err
	}
	if err := c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", primary, "-l", filepath.Join(c.dir, "pg-primary.log"), "-w", "start"); err != nil {
		return err
	}
	if err := c.run(true, filepath.Join(pgBin, "pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(pgPrimaryPort), "-U", "postgres", "-D", replica, "-R", "-X", "stream"); err != nil {
		return err
	}
	// The replica must not wait for a standby of its own once promoted.
	if err := appendFile(filepath.Join(replica, "postgresql.auto.conf"), fmt.Sprintf("port = %d\nsynchronous_standby_names = ''\n", pgReplicaPort)); err != nil {
		return err
	}
	if err := c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", replica, "-l", filepath.Join(c.dir, "pg-replica.log"), "-w", "start"); err != nil {
		return err
	}
	for i, port := range []int{pgPrimaryPort, pgReplicaPort} {
		p, err := faultnet.Listen(fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return err
		}
		c.pgProxies[i] = p
	}
	return c.run(true, filepath.Join(pgBin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(pgPrimaryPort), "-U", "postgres", "-c", "CREATE DATABASE passkeyd")
}

func (c *cluster) startRedis() error {
	if err := c.start("redis-master", false, "redis-server", "--port", strconv.Itoa(redisMaster), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", c.dir); err != nil {
		return err
	}
	if err := c.start("redis-replica", false, "redis-server", "--port", strconv.Itoa(redisReplica), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", c.dir,
		"--replicaof", "127.0.0.1", strconv.Itoa(redisMaster)); err != nil {
		return err
	}
	if err := waitPort(redisMaster, 10*time.Second); err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		port := sentinelBase + i
		conf := filepath.Join(c.dir, fmt.Sprintf("sentinel-%d.conf", i))
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor hamaster 127.0.0.1 %d 2\nsentinel down-after-milliseconds hamaster 1000\nsentinel failover-timeout hamaster 5000\nsentinel parallel-syncs hamaster 1\n", port, redisMaster)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			return err
		}
		if err := c.start(fmt.Sprintf("sentinel-%d", i), false, "redis-server", conf, "--sentinel"); err != nil {
			return err
		}
	}
	return waitPort(sentinelBase+2, 10*time.Second)
}

func (c *cluster) passkeydEnv(port int, extra ...string) []string {
	env := append(os.Environ(),
		fmt.Sprintf("PASSKEYD_ADDR=127.0.0.1:%d", port),
		fmt.Sprintf("PASSKEYD_ORIGINS=http://localhost:%d", haproxyPort),
		fmt.Sprintf("PASSKEYD_DATABASE_URL=postgres://postgres@%s,%s/passkeyd?sslmode=disable&target_session_attrs=read-write&connect_timeout=2", c.pgProxies[0].Addr(), c.pgProxies[1].Addr()),
		fmt.Sprintf("PASSKEYD_REDIS_URL=redis-sentinel://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d/hamaster", sentinelBase, sentinelBase+1, sentinelBase+2),
		"PASSKEYD_RATE_LIMIT=0",
		"PASSKEYD_TRUSTED_PROXIES=127.0.0.1",
		"PASSKEYD_LOG_LEVEL=warn",
		"PASSKEYD_SHUTDOWN_TIMEOUT=5s",
	)
	env = append(env, c.passkeydExtra...)
	return append(env, extra...)
}

func (c *cluster) startPasskeyd(i int, extra ...string) error {
	port := passkeydBase + i
	name := fmt.Sprintf("passkeyd-%d", i)
	f, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return err
	}
	c.logFiles = append(c.logFiles, f)
	cmd := exec.Command(c.binary)
	cmd.Env = c.passkeydEnv(port, extra...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.track(name, cmd)
	return waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", port), 20*time.Second)
}

func (c *cluster) startHAProxy() error {
	conf := filepath.Join(c.dir, "haproxy.cfg")
	body := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # As deploy/haproxy/haproxy.cfg: connection failures are retried elsewhere, nothing
    # else (a retried POST could run twice), so the drills see what clients would.
    retries 2
    option redispatch
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
    # Which instance answered: the lockout drill counts guesses per instance.
    http-response set-header X-Ha-Server %%s
`, haproxyPort)
	for i := 0; i < 3; i++ {
		body += fmt.Sprintf("    server p%d 127.0.0.1:%d check\n", i, passkeydBase+i)
	}
	body += fmt.Sprintf(`frontend strict
    bind 127.0.0.1:%d
    default_backend be_strict
backend be_strict
    balance roundrobin
    retries 0
    no option redispatch
    http-reuse always
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
`, strictPort)
	for i := 0; i < 3; i++ {
		body += fmt.Sprintf("    server p%d 127.0.0.1:%d check\n", i, passkeydBase+i)
	}
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return err
	}
	if err := c.start("haproxy", false, "haproxy", "-f", conf, "-db"); err != nil {
		return err
	}
	return waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", haproxyPort), 10*time.Second)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(s)
	return err
}
