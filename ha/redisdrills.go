package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd/internal/faultnet"
)

// redisMasterAddr asks the Sentinels where the master is now (a failover drill moves it).
func redisMasterAddr(ctx context.Context) (string, error) {
	var last error
	for i := 0; i < 3; i++ {
		s := goredis.NewSentinelClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", sentinelBase+i), DialTimeout: time.Second, ReadTimeout: time.Second})
		addr, err := s.GetMasterAddrByName(ctx, "hamaster").Result()
		s.Close()
		if err == nil && len(addr) == 2 {
			return addr[0] + ":" + addr[1], nil
		}
		last = err
	}
	return "", fmt.Errorf("no Sentinel names the master: %v", last)
}

// redisLatency puts a faultnet proxy of its own in front of the Redis master and starts two
// more instances whose Redis is that proxy (a single-node URL: the Sentinels must keep
// seeing the master answer, or the latency would become a failover): passkeyd-3 with the
// default PASSKEYD_REDIS_TIMEOUT (1 s), passkeyd-4 with 3 s. Each gets a driver of its own
// (sign-ups and passkey sign-ins straight to the instance). The proxy then delays every
// answer by 2 s for latencyFor: with the default timeout operations must fail, and fail
// within about the timeout (not at the 10 s request deadline); with 3 s none may fail.
func (c *cluster) redisLatency(o options) ([]result, error) {
	const latency, latencyFor = 2 * time.Second, 6 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	master, err := redisMasterAddr(ctx)
	if err != nil {
		return nil, err
	}
	proxy, err := faultnet.Listen(master)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	runs := []struct {
		name    string
		i       int
		timeout time.Duration
		d       *driver
	}{
		{name: "redis_latency_default_timeout", i: 3, timeout: time.Second},
		{name: "redis_latency_raised_timeout", i: 4, timeout: 3 * time.Second},
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for k := range runs {
		r := &runs[k]
		name := fmt.Sprintf("passkeyd-%d", r.i)
		extra := []string{"PASSKEYD_REDIS_URL=redis://" + proxy.Addr() + "/0"}
		if r.timeout != time.Second {
			extra = append(extra, "PASSKEYD_REDIS_TIMEOUT="+r.timeout.String())
		}
		if err := c.startPasskeyd(r.i, extra...); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer c.kill(name)
		r.d = newDriver(instanceURL(r.i), fmt.Sprintf("http://localhost:%d", haproxyPort))
		if err := r.d.warmup(ctx, 3); err != nil {
			return nil, fmt.Errorf("%s warm-up: %w", name, err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); r.d.run(ctx, 3) }()
	}
	time.Sleep(time.Second)
	at := time.Now()
	proxy.Latency(latency)
	time.Sleep(latencyFor)
	proxy.Latency(0)
	end := time.Now()
	// Answers read under latency are still delivered late, and an operation started then
	// takes up to a few of them: give the tail time to drain before judging recovery.
	time.Sleep(2*latency + 3*time.Second)
	to := time.Now()
	cancel()
	wg.Wait()

	var out []result
	for _, r := range runs {
		res := measure(r.d, at, to)
		res.name = r.name
		var failTook, okTook []time.Duration
		r.d.mu.Lock()
		for _, e := range r.d.events {
			// Operations that started while the answers were slow.
			if started := e.at.Add(-e.took); started.Before(at) || !started.Before(end) {
				continue
			}
			if e.ok {
				okTook = append(okTook, e.took)
			} else {
				failTook = append(failTook, e.took)
			}
		}
		r.d.mu.Unlock()
		fp50, fp99, fmax := quantiles(failTook)
		op50, op99, omax := quantiles(okTook)
		res.more = fmt.Sprintf("redis_timeout_s=%.0f latency_s=%.0f latency_for_s=%.0f failed_in_latency=%d fail_p50_s=%.2f fail_p99_s=%.2f fail_max_s=%.2f ok_in_latency=%d ok_p50_s=%.2f ok_p99_s=%.2f ok_max_s=%.2f",
			r.timeout.Seconds(), latency.Seconds(), latencyFor.Seconds(), len(failTook), fp50.Seconds(), fp99.Seconds(), fmax.Seconds(), len(okTook), op50.Seconds(), op99.Seconds(), omax.Seconds())
		switch {
		case r.timeout < latency && len(failTook) == 0:
			res.problem = "Redis answers 2 s late and a 1 s timeout failed nothing: the latency was not applied"
		case r.timeout < latency && (fp50 > 3*r.timeout/2 || fmax > 4*r.timeout):
			// The first Redis call to time out ends the operation; one on a new connection
			// may also wait out its handshake, hence the margin for the slowest.
			res.problem = fmt.Sprintf("failures took %v (p50), %v (max) with a %v Redis timeout; they must fail at about the timeout", fp50, fmax, r.timeout)
		case r.timeout > latency && res.failed > 0:
			res.problem = fmt.Sprintf("%d operations failed with Redis 2 s slow and a %v timeout", res.failed, r.timeout)
		case r.timeout > latency && len(okTook) == 0:
			res.problem = "no operation completed during the latency"
		}
		out = append(out, res)
	}
	return out, nil
}

// quantiles returns p50, p99 and the maximum (0 for none).
func quantiles(ds []time.Duration) (p50, p99, worst time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)], ds[len(ds)-1]
}

// attempt is one password sign-in of the lockout drill.
type attempt struct {
	at     time.Time
	status int    // 0: transport error
	code   string // the problem's code
	server string // the instance HAProxy sent it to
}

// passwordClient signs in with passwords through HAProxy.
type passwordClient struct {
	base   string
	client *http.Client
}

func (p *passwordClient) post(path string, body any) attempt {
	b, _ := json.Marshal(body)
	resp, err := p.client.Post(p.base+path, "application/json", bytes.NewReader(b))
	a := attempt{at: time.Now()}
	if err != nil {
		return a
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var problem struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(raw, &problem)
	a.status, a.code, a.server = resp.StatusCode, problem.Code, resp.Header.Get("X-Ha-Server")
	return a
}

const lockoutMaxFailures = 5 // account.NewLockout's and redis.Lockouts' policy

// redisFailoverLockout: an account locked in Redis must stay locked through a Sentinel
// failover, when each instance's lockout falls back to its own counts. It signs up two
// password accounts through HAProxy, locks "locked" with five wrong guesses (checking that
// its right password is then refused), gives "guessed" three wrong guesses, and then, from
// 1.5 s before the master is killed until the window ends, tries the right password of
// "locked" and wrong ones of "guessed" every 500 ms each (within the per-account rate
// limit).
//
// The targets: "locked" never signs in (its lock lasts a minute, longer than the drill).
// "guessed": while Redis is down each instance counts on its own, from nothing, so each may
// evaluate MaxFailures (5) wrong guesses before it locks it; the shared count (3 of 5
// before the fault, replicated to the promoted replica) applies again once Redis answers,
// which allows the 2 left. So per instance at most 5 + 2, and in all at most 3×5 + 2.
func (c *cluster) redisFailoverLockout(o options) (result, error) {
	pc := &passwordClient{base: fmt.Sprintf("http://127.0.0.1:%d", haproxyPort), client: &http.Client{Timeout: 15 * time.Second}}
	if _, err := c.ensureRedisReplica(); err != nil {
		return result{}, err
	}
	suffix := randomHex(6)
	locked, guessed := "locked-"+suffix, "guessed-"+suffix
	right := "right-" + randomHex(12)
	for _, u := range []string{locked, guessed} {
		if a := pc.post("/api/v1/password/signup", map[string]string{"username": u, "password": right}); a.status != 201 {
			return result{}, fmt.Errorf("password sign-up of %s: %d %s", u, a.status, a.code)
		}
	}
	wrong := func(u string) attempt {
		return pc.post("/api/v1/password/login", map[string]string{"username": u, "password": "wrong-" + randomHex(8)})
	}
	for i := 0; i < lockoutMaxFailures; i++ {
		if a := wrong(locked); a.status != 401 {
			return result{}, fmt.Errorf("wrong guess %d of %s: %d %s, want 401", i+1, locked, a.status, a.code)
		}
	}
	if a := pc.post("/api/v1/password/login", map[string]string{"username": locked, "password": right}); a.code != "account_locked" {
		return result{}, fmt.Errorf("right password of %s after %d wrong guesses: %d %s, want 429 account_locked", locked, lockoutMaxFailures, a.status, a.code)
	}
	const guessedBefore = 3
	for i := 0; i < guessedBefore; i++ {
		if a := wrong(guessed); a.status != 401 {
			return result{}, fmt.Errorf("wrong guess %d of %s: %d %s, want 401", i+1, guessed, a.status, a.code)
		}
	}

	var mu sync.Mutex
	var lockedTries, guessedTries []attempt
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(try func() attempt, into *[]attempt) {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			a := try()
			mu.Lock()
			*into = append(*into, a)
			mu.Unlock()
		}
	}
	wg.Add(2)
	go loop(func() attempt {
		return pc.post("/api/v1/password/login", map[string]string{"username": locked, "password": right})
	}, &lockedTries)
	go loop(func() attempt { return wrong(guessed) }, &guessedTries)
	time.Sleep(1500 * time.Millisecond)

	master, err := redisMasterAddr(context.Background())
	if err != nil {
		close(stop)
		wg.Wait()
		return result{}, err
	}
	at := time.Now()
	c.kill(redisProcess(master))
	time.Sleep(o.window)
	close(stop)
	wg.Wait()

	r := result{recovered: true}
	var signedIn, lockedRefused, lockedUnavailable int
	var lastFail time.Time
	for _, a := range lockedTries {
		if a.at.Before(at) {
			continue
		}
		r.requests++
		switch {
		case a.status == 200:
			signedIn++
		case a.code == "account_locked":
			lockedRefused++
		default:
			lockedUnavailable++
			r.failed++
			lastFail = a.at
		}
	}
	evaluated := map[string]int{}
	var evaluatedAll, guessedRefused, guessedUnavailable int
	for _, a := range guessedTries {
		if a.at.Before(at) {
			continue
		}
		r.requests++
		switch {
		case a.status == 401:
			evaluated[a.server]++
			evaluatedAll++
		case a.status == 429:
			guessedRefused++
		default:
			guessedUnavailable++
			r.failed++
			lastFail = a.at
		}
	}
	if !lastFail.IsZero() {
		r.rto = lastFail.Sub(at)
		r.recovered = lastFail.Before(at.Add(o.window - 2*time.Second))
	}
	sharedLeft := lockoutMaxFailures - guessedBefore
	perInstance, total := lockoutMaxFailures+sharedLeft, 3*lockoutMaxFailures+sharedLeft
	var byInstance []string
	worst := 0
	for s, n := range evaluated {
		byInstance = append(byInstance, s+":"+strconv.Itoa(n))
		worst = max(worst, n)
	}
	slices.Sort(byInstance)
	r.more = fmt.Sprintf("locked_signed_in=%d locked_refused=%d locked_unavailable=%d guessed_evaluated=%d guessed_evaluated_by_instance=%s guessed_refused=%d guessed_unavailable=%d allowance_per_instance=%d allowance_total=%d",
		signedIn, lockedRefused, lockedUnavailable, evaluatedAll, strings.Join(byInstance, ","), guessedRefused, guessedUnavailable, perInstance, total)
	switch {
	case signedIn > 0:
		r.problem = fmt.Sprintf("a locked account signed in %d times with its password during the failover", signedIn)
	case worst > perInstance || evaluatedAll > total:
		r.problem = fmt.Sprintf("%d wrong guesses evaluated (%s); the fallback allows %d per instance, %d in all", evaluatedAll, strings.Join(byInstance, ","), perInstance, total)
	}
	return r, nil
}

// redisProcess names the process listening at a Redis address of the cluster.
func redisProcess(addr string) string {
	if strings.HasSuffix(addr, ":"+strconv.Itoa(redisReplica)) {
		return "redis-replica"
	}
	return "redis-master"
}

// ensureRedisReplica restarts a Redis node that an earlier drill killed, as a replica of the
// current master, and waits until it has synchronised and the Sentinels count it: a
// failover needs a replica to promote. It returns the master's address.
func (c *cluster) ensureRedisReplica() (string, error) {
	ctx := context.Background()
	master, err := redisMasterAddr(ctx)
	if err != nil {
		return "", err
	}
	other, port := "redis-replica", redisReplica
	if redisProcess(master) == "redis-replica" {
		other, port = "redis-master", redisMaster
	}
	if _, running := c.procs[other]; !running {
		host, mport, _ := strings.Cut(master, ":")
		if err := c.start(other, false, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", c.dir,
			"--replicaof", host, mport); err != nil {
			return "", err
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	rc := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer rc.Close()
	for {
		info, _ := rc.Info(ctx, "replication").Result()
		synced := strings.Contains(info, "master_link_status:up")
		known := 0
		for i := 0; i < 3 && synced; i++ {
			s := goredis.NewSentinelClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", sentinelBase+i)})
			replicas, _ := s.Replicas(ctx, "hamaster").Result()
			s.Close()
			for _, r := range replicas {
				if r["port"] == strconv.Itoa(port) && !strings.Contains(r["flags"], "down") {
					known++
				}
			}
		}
		if known == 3 {
			return master, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s did not become a synchronised replica the Sentinels see within 20 s", other)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
