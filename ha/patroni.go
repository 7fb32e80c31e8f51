package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"
)

// The Patroni mode (-patroni, make ha-test): three Patroni members on one etcd, configured
// with the DCS settings of deploy/patroni/patroni.yml, and one passkeyd instance (the
// database is what is under test) connecting to whichever member is primary.
const (
	etcdClientPort  = 23790
	etcdPeerPort    = 23800
	patroniPGBase   = 25441 // three: 25441..25443
	patroniRESTBase = 28101 // three: 28101..28103
	patroniPasskeyd = passkeydBase + 30
)

func (c *cluster) runPatroni(o options) ([]result, error) {
	for _, bin := range []string{"patroni", "etcd"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("-patroni needs Debian's patroni and etcd-server (apt-get install patroni etcd-server): %w", err)
		}
	}
	dcs, err := shippedDCS()
	if err != nil {
		return nil, err
	}
	c.logf("patroni: etcd and three Patroni members (DCS settings of deploy/patroni/patroni.yml)")
	etcdDir := filepath.Join(c.dir, "etcd")
	if err := c.start("etcd", false, "etcd", "--name", "ha", "--data-dir", etcdDir,
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort), "--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort), "--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort),
		"--initial-cluster", fmt.Sprintf("ha=http://127.0.0.1:%d", etcdPeerPort)); err != nil {
		return nil, err
	}
	if err := waitPort(etcdClientPort, 20*time.Second); err != nil {
		return nil, err
	}
	for i := 0; i < 3; i++ {
		if err := c.startPatroniMember(i, dcs); err != nil {
			return nil, err
		}
		if i == 0 { // the first bootstraps; the others clone it
			if _, err := waitLeader(60 * time.Second); err != nil {
				return nil, err
			}
		}
	}
	if err := waitSyncStandby(60 * time.Second); err != nil {
		return nil, err
	}
	leader, _ := waitLeader(10 * time.Second)
	if err := c.run(true, filepath.Join(pgBin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(patroniPGBase+leader), "-U", "postgres", "-c", "CREATE DATABASE passkeyd"); err != nil {
		return nil, err
	}
	hosts := make([]string, 3)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", patroniPGBase+i)
	}
	f, err := os.Create(filepath.Join(c.dir, "passkeyd-patroni.log"))
	if err != nil {
		return nil, err
	}
	c.logFiles = append(c.logFiles, f)
	cmd := exec.Command(c.binary)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("PASSKEYD_ADDR=127.0.0.1:%d", patroniPasskeyd),
		fmt.Sprintf("PASSKEYD_ORIGINS=http://localhost:%d", patroniPasskeyd),
		fmt.Sprintf("PASSKEYD_DATABASE_URL=postgres://postgres@%s/passkeyd?sslmode=disable&target_session_attrs=read-write", strings.Join(hosts, ",")),
		"PASSKEYD_RATE_LIMIT=0", "PASSKEYD_ACCOUNT_RATE_LIMIT=0", "PASSKEYD_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c.track("passkeyd-patroni", cmd)
	if err := waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", patroniPasskeyd), 30*time.Second); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDriver(fmt.Sprintf("http://127.0.0.1:%d", patroniPasskeyd), fmt.Sprintf("http://localhost:%d", patroniPasskeyd))
	if err := d.warmup(ctx, o.workers); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	done := make(chan struct{})
	go func() { d.run(ctx, o.workers); close(done) }()
	time.Sleep(3 * time.Second)

	var results []result
	window := max(o.window, 25*time.Second)

	// An etcd stall shorter than the TTL must not cost the primary its role.
	at := time.Now()
	c.logf("fault: patroni_etcd_stall (SIGSTOP etcd for 4 s)")
	_ = c.procs["etcd"].Process.Signal(syscall.SIGSTOP)
	time.Sleep(4 * time.Second)
	_ = c.procs["etcd"].Process.Signal(syscall.SIGCONT)
	r := observe(d, at, o.window)
	r.name = "patroni_etcd_stall"
	after, _ := waitLeader(10 * time.Second)
	r.more = fmt.Sprintf("leader_before=pg%d leader_after=pg%d", leader, after)
	if after != leader {
		r.problem = "a 4 s etcd stall changed the leader"
	}
	results = append(results, r)

	at = time.Now()
	c.logf("fault: patroni_leader_killed (kill -9 of pg%d: Patroni and its PostgreSQL)", after)
	c.killPatroniNode(after)
	r = observe(d, at, window)
	r.name = "patroni_leader_killed"
	newLeader, err := waitLeader(10 * time.Second)
	if err != nil {
		return nil, fmt.Errorf("no leader after the kill: %w", err)
	}
	r.more = fmt.Sprintf("ttl=%v loop_wait=%v retry_timeout=%v new_leader=pg%d", dcs["ttl"], dcs["loop_wait"], dcs["retry_timeout"], newLeader)
	cancel()
	<-done

	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/passkeyd?sslmode=disable", patroniPGBase+newLeader))
	if err != nil {
		return nil, fmt.Errorf("connect to the new leader: %w", err)
	}
	defer conn.Close(context.Background())
	for _, a := range d.acknowledged() {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM passkeys WHERE id = $1`, a.id).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			if a.at.Before(at) {
				results[0].lost++
			} else {
				r.lost++
			}
		}
	}
	return append(results, r), nil
}

// killPatroniNode kills a member as a dying host would: Patroni and its PostgreSQL, both
// with -9 (PostgreSQL may run in a session of its own, out of Patroni's process group).
func (c *cluster) killPatroniNode(i int) {
	pidFile := filepath.Join(c.dir, fmt.Sprintf("patroni-pg%d", i), "postmaster.pid")
	c.kill(fmt.Sprintf("patroni-%d", i))
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])); err == nil && pid > 1 {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// shippedDCS is bootstrap.dcs of deploy/patroni/patroni.yml: the drill tests the settings
// the project ships.
func shippedDCS() (map[string]any, error) {
	b, err := os.ReadFile("deploy/patroni/patroni.yml")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Bootstrap struct {
			DCS map[string]any `yaml:"dcs"`
		} `yaml:"bootstrap"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("deploy/patroni/patroni.yml: %w", err)
	}
	if doc.Bootstrap.DCS == nil {
		return nil, fmt.Errorf("deploy/patroni/patroni.yml has no bootstrap.dcs")
	}
	return doc.Bootstrap.DCS, nil
}

func (c *cluster) startPatroniMember(i int, dcs map[string]any) error {
	name := fmt.Sprintf("pg%d", i)
	cfg := map[string]any{
		"scope": "passkeyd-ha",
		"name":  name,
		"restapi": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", patroniRESTBase+i), "connect_address": fmt.Sprintf("127.0.0.1:%d", patroniRESTBase+i),
		},
		"etcd3": map[string]any{"hosts": fmt.Sprintf("127.0.0.1:%d", etcdClientPort)},
		"bootstrap": map[string]any{
			"dcs":    dcs,
			"initdb": []any{map[string]any{"encoding": "UTF8"}, map[string]any{"auth": "trust"}},
			"pg_hba": []string{"local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"},
		},
		"postgresql": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", patroniPGBase+i), "connect_address": fmt.Sprintf("127.0.0.1:%d", patroniPGBase+i),
			"data_dir": filepath.Join(c.dir, "patroni-"+name), "bin_dir": pgBin, "pgpass": filepath.Join(c.dir, "pgpass-"+name),
			"authentication": map[string]any{
				"superuser":   map[string]any{"username": "postgres"},
				"replication": map[string]any{"username": "postgres"},
				"rewind":      map[string]any{"username": "postgres"},
			},
			"parameters": map[string]any{"unix_socket_directories": c.dir},
		},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	path := filepath.Join(c.dir, "patroni-"+name+".yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	return c.start(fmt.Sprintf("patroni-%d", i), true, "patroni", path)
}

// waitLeader returns the member whose REST API says it is the primary.
func waitLeader(d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		for i := 0; i < 3; i++ {
			if resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/primary", patroniRESTBase+i)); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return i, nil
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return -1, fmt.Errorf("no Patroni member became primary within %v", d)
}

func waitSyncStandby(d time.Duration) error {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		for i := 0; i < 3; i++ {
			if resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/sync", patroniRESTBase+i)); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return nil
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no synchronous standby within %v", d)
}
