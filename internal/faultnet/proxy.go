// Package faultnet is a TCP proxy for tests that need a network fault between passkeyd and a
// real dependency: it forwards connections to a target and, on command, resets every open
// connection, stalls (holds every byte, as a partition or a SIGSTOPped server does), slows
// the target's answers down (latency), or refuses new connections. Tests and the fault test (ha/) put it in front of the real
// PostgreSQL or Redis, so the driver sees the errors a failover or a partition produces.
package faultnet

import (
	"net"
	"sync"
	"time"
)

// Proxy forwards TCP connections from its own address to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	wake     *sync.Cond // signalled when stalled turns false or the proxy closes
	stalled  bool
	refusing bool
	closed   bool
	latency  time.Duration
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 (a free port) in front of target (host:port).
func Listen(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wake = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Reset resets every open connection (an RST to both sides, like a primary killed with -9
// or a load balancer dropping its connections). New connections are accepted as before.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close sends RST, not FIN
		}
		c.Close()
		delete(p.conns, c)
	}
}

// Stall makes the proxy forward nothing while on: open and new connections stay open but
// every byte is held, as across a network partition or to a stopped server. Turning it off
// delivers what was held.
func (p *Proxy) Stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.mu.Unlock()
	p.wake.Broadcast()
}

// Latency delays every byte from the target by d (0: none) on open and new connections, as
// a slow or overloaded server does: each answer arrives d later than it would, and a client
// whose read timeout is below d times out. Bytes read while it is set keep their delay after
// it is turned off. The delay is per chunk, not a queue: pipelined answers are not
// serialised behind each other.
func (p *Proxy) Latency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

func (p *Proxy) currentLatency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

// Refuse makes the proxy reset new connections at once while on (a server that is down:
// "connection refused" or "reset by peer" at connect).
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refusing = on
	p.mu.Unlock()
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wake.Broadcast()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.refusing || p.closed {
			p.mu.Unlock()
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	// While stalled, do not even dial: a partitioned server does not answer the handshake.
	if !p.waitFlowing() {
		client.Close()
		return
	}
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		p.drop(client)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		upstream.Close()
		client.Close()
		return
	}
	p.conns[upstream] = struct{}{}
	p.mu.Unlock()
	var once sync.Once
	done := func() { once.Do(func() { p.drop(client); p.drop(upstream) }) }
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer done(); p.copy(upstream, client) }()
	go func() { defer wg.Done(); defer done(); p.copyDelayed(client, upstream) }()
	wg.Wait()
}

// copy forwards src to dst, holding each chunk while the proxy is stalled.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitFlowing() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or a reset: the other side is closed by serve
			return
		}
	}
}

// copyDelayed forwards the target's answers (src) to the client, each chunk at the time it
// was read plus the latency in force then. A reader queues the chunks so that a held chunk
// does not hold up reading the next one (the delay is latency, not a bandwidth cap).
func (p *Proxy) copyDelayed(dst, src net.Conn) {
	type chunk struct {
		b   []byte
		due time.Time
	}
	q := make(chan chunk, 256)
	stop := make(chan struct{})
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case q <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(p.currentLatency())}:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer close(stop)
	for c := range q {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if !p.waitFlowing() {
			return
		}
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
}

// waitFlowing blocks while the proxy is stalled; false when it closed meanwhile.
func (p *Proxy) waitFlowing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled && !p.closed {
		p.wake.Wait()
	}
	return !p.closed
}

func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}
