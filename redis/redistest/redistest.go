// Package redistest starts real Redis topologies for tests: a single node, a three-node
// Cluster and a Sentinel group (master, replica, three sentinels), each as redis-server
// processes on free loopback ports in a temporary directory, torn down by Close. Tests that
// claim to cover Cluster or Sentinel use these, never a mock.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Required reports whether PASSKEYD_TEST_REQUIRE asks for Redis: then a topology that
// cannot be started fails the test instead of skipping it.
func Required() bool {
	v := os.Getenv("PASSKEYD_TEST_REQUIRE")
	return strings.Contains(v, "all") || strings.Contains(v, "redis")
}

// Need skips (or, when Required, fails) t when err says a topology is unavailable.
func Need(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if Required() {
		t.Fatal(err)
	}
	t.Skip(err)
}

// ErrNoBinary: redis-server or redis-cli is not installed.
var ErrNoBinary = errors.New("redistest: redis-server and redis-cli are needed (apt-get install redis-server redis-tools)")

func binaries() error {
	for _, b := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(b); err != nil {
			return ErrNoBinary
		}
	}
	return nil
}

// Server is one redis-server process.
type Server struct {
	Port int
	Addr string // 127.0.0.1:Port
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Kill stops the process at once (a crash, for failure tests); Close calls it too.
func (s *Server) Kill() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *Server) log() string {
	b, _ := os.ReadFile(s.dir + "/redis.log")
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// freePort finds a loopback port that is free, and whose cluster bus port (+10000) is too.
func freePort(bus bool) (int, error) {
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := ln.Addr().(*net.TCPAddr).Port
		if !bus {
			ln.Close()
			return p, nil
		}
		if p+10000 < 65536 {
			if ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000)); err == nil {
				ln2.Close()
				ln.Close()
				return p, nil
			}
		}
		ln.Close()
	}
	return 0, errors.New("redistest: no free port")
}

// start runs redis-server with args (after the config file, if any) in a directory of its
// own under root and waits until it answers PING.
func start(root, name string, conf string, args ...string) (*Server, error) {
	dir := root + "/" + name
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := freePort(strings.Contains(strings.Join(args, " "), "--cluster-enabled"))
	if err != nil {
		return nil, err
	}
	var argv []string
	if conf != "" {
		path := dir + "/redis.conf"
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(conf, "$PORT", strconv.Itoa(port))), 0o600); err != nil {
			return nil, err
		}
		argv = append(argv, path)
	}
	argv = append(argv, args...)
	argv = append(argv, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--logfile", dir+"/redis.log", "--save", "", "--appendonly", "no")
	cmd := exec.Command("redis-server", argv...)
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redistest: start redis-server: %w", err)
	}
	s := &Server{Port: port, Addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr, DialTimeout: time.Second})
	defer c.Close()
	err = waitFor(10*time.Second, func(ctx context.Context) error {
		select {
		case <-s.done:
			return errStop
		default:
		}
		return c.Ping(ctx).Err()
	})
	if err != nil {
		s.Kill()
		return nil, fmt.Errorf("redistest: %s on port %d did not start: %v\n%s", name, port, err, s.log())
	}
	return s, nil
}

var errStop = errors.New("the process exited")

// waitFor polls f until it returns nil, errStop, or the time is up.
func waitFor(d time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := f(ctx)
		cancel()
		if err == nil || errors.Is(err, errStop) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Topology is a set of Redis processes and the passkeyd URL that reaches them.
type Topology struct {
	// URL is the PASSKEYD_REDIS_URL form: redis://, redis-sentinel:// or redis-cluster://.
	URL     string
	Servers []*Server
	root    string
}

// Close stops every process and removes their files.
func (t *Topology) Close() {
	if t == nil {
		return
	}
	for _, s := range t.Servers {
		s.Kill()
	}
	os.RemoveAll(t.root)
}

func newTopology() (*Topology, error) {
	if err := binaries(); err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "passkeyd-redistest-")
	if err != nil {
		return nil, err
	}
	return &Topology{root: root}, nil
}

// StartSingle starts one node (for tests that kill it); URL is redis://.
func StartSingle() (*Topology, error) {
	top, err := newTopology()
	if err != nil {
		return nil, err
	}
	s, err := start(top.root, "single", "")
	if err != nil {
		top.Close()
		return nil, err
	}
	top.Servers = []*Server{s}
	top.URL = "redis://" + s.Addr + "/0"
	return top, nil
}

// StartCluster starts three masters with cluster mode on, joins them with
// `redis-cli --cluster create`, and waits until every node reports cluster_state:ok.
func StartCluster() (*Topology, error) {
	top, err := newTopology()
	if err != nil {
		return nil, err
	}
	addrs := []string{}
	for i := 0; i < 3; i++ {
		s, err := start(top.root, "node"+strconv.Itoa(i), "", "--cluster-enabled", "yes",
			"--cluster-config-file", top.root+"/node"+strconv.Itoa(i)+"/nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			top.Close()
			return nil, err
		}
		top.Servers = append(top.Servers, s)
		addrs = append(addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		top.Close()
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range top.Servers {
		c := goredis.NewClient(&goredis.Options{Addr: s.Addr})
		err := waitFor(20*time.Second, func(ctx context.Context) error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return errors.New("cluster not ready: " + strings.ReplaceAll(info, "\r\n", " "))
			}
			return nil
		})
		c.Close()
		if err != nil {
			top.Close()
			return nil, fmt.Errorf("redistest: node %s: %v", s.Addr, err)
		}
	}
	top.URL = "redis-cluster://" + strings.Join(addrs, ",")
	return top, nil
}

// MasterName is the name StartSentinel's sentinels monitor.
const MasterName = "passkeyd"

// StartSentinel starts a master, one replica of it and three sentinels monitoring it
// (quorum 2), and waits until the replica is in sync and every sentinel knows the master.
// URL is redis-sentinel://s1,s2,s3/passkeyd.
func StartSentinel() (*Topology, error) {
	top, err := newTopology()
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Topology, error) { top.Close(); return nil, err }
	master, err := start(top.root, "master", "")
	if err != nil {
		return fail(err)
	}
	top.Servers = append(top.Servers, master)
	replica, err := start(top.root, "replica", "", "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	if err != nil {
		return fail(err)
	}
	top.Servers = append(top.Servers, replica)
	rc := goredis.NewClient(&goredis.Options{Addr: replica.Addr})
	err = waitFor(15*time.Second, func(ctx context.Context) error {
		info, err := rc.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return errors.New("replica not in sync")
		}
		return nil
	})
	rc.Close()
	if err != nil {
		return fail(fmt.Errorf("redistest: %v", err))
	}
	conf := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %s 3000\nsentinel failover-timeout %s 10000\n",
		MasterName, master.Port, MasterName, MasterName)
	var sentinels []string
	for i := 0; i < 3; i++ {
		s, err := start(top.root, "sentinel"+strconv.Itoa(i), conf, "--sentinel")
		if err != nil {
			return fail(err)
		}
		top.Servers = append(top.Servers, s)
		sentinels = append(sentinels, s.Addr)
		sc := goredis.NewSentinelClient(&goredis.Options{Addr: s.Addr})
		err = waitFor(15*time.Second, func(ctx context.Context) error {
			addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
			if err != nil {
				return err
			}
			if len(addr) != 2 || addr[1] != strconv.Itoa(master.Port) {
				return fmt.Errorf("sentinel reports master %v", addr)
			}
			return nil
		})
		sc.Close()
		if err != nil {
			return fail(fmt.Errorf("redistest: sentinel %s: %v\n%s", s.Addr, err, s.log()))
		}
	}
	top.URL = "redis-sentinel://" + strings.Join(sentinels, ",") + "/" + MasterName
	return top, nil
}
