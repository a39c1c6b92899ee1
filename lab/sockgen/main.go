// Command sockgen fills the TCP socket table of the network namespace it runs
// in, so that netsnap (and the tools it is compared with) can be measured on
// a proxy-sized table. Run it only inside a throw-away namespace:
//
//	ip netns add sg && ip -n sg link set lo up
//	ip netns exec sg sh -c 'echo 1024 65535 > /proc/sys/net/ipv4/ip_local_port_range;
//	                        echo 262144 > /proc/sys/net/ipv4/tcp_max_tw_buckets;
//	                        echo 1 > /proc/sys/net/ipv4/tcp_rfc1337'
//	ip netns exec sg go run ./lab/sockgen -established 40000 -timewait 70000 -addrs 8 -hold 30s
//
// It listens on 127.0.0.1 .. 127.0.0.K (K = -addrs), on -ports ports per
// worker, and connects to itself from 127.0.0.1 .. 127.0.0.K:
//
//   - -established N: N/2 connections held open, so /proc/net/tcp shows N
//     ESTABLISHED rows (the client and the server end of each);
//   - -timewait M: M connections closed by the client first (the server closes
//     after reading EOF), so M client ends stay in TIME_WAIT for 60 s.
//
// Every connection is bound to an explicit source address and port chosen so
// that no two 4-tuples collide (TIME_WAIT ones included), which makes the
// counts exact and independent of the ephemeral port allocator and of
// tcp_tw_reuse. The source ports are spread over 20000-59999 by every worker
// alike (bind() walks the sockets already bound to its port: with all
// workers on the same few hundred ports, a million sockets took minutes).
// The sockets are spread over worker processes (sockgen re-execs itself) so
// that none holds more than 2 x -per-worker descriptors (~14,000).
//
// sockgen changes no sysctl: the caller sets, inside the namespace,
// net.ipv4.tcp_max_tw_buckets (at least M), net.ipv4.tcp_rfc1337=1 (else a
// rare spurious retransmission on a busy loopback draws an RST that kills a
// TIME_WAIT socket) and, if it likes, net.ipv4.ip_local_port_range.
//
// When the table is full it reads the namespace's counts (Tcp CurrEstab in
// /proc/net/snmp, tw in /proc/net/sockstat), fails if fewer than asked are
// there, prints
//
//	ready established=N timewait=M tw_age=S
//
// (the counts seen, a shortfall of at most 0.1% being accepted with a warning
// once the counts stop moving; S is how many seconds ago the first worker
// began closing connections, so the oldest TIME_WAIT socket expires in about
// 60-S seconds: bench/run.sh plans its measurements with it; 0 without
// -timewait) and holds everything until -hold expires or it receives
// SIGTERM/SIGINT; then it stops its workers and exits 0. Setup is bounded by
// -setup-timeout (60 s): past it sockgen stops everything and exits 1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	workerArg     = "--sockgen-worker" // hidden: argv[1] of a worker child
	listenPortLo  = 10000              // listeners: listenPortLo + worker*ports + p
	listenPortHi  = 19999
	srcPortLo     = 20000 // explicit client source ports: srcPortLo .. srcPortLo+srcPortSpan-1 (see tuple)
	srcPortSpan   = 40000
	dialersPerWkr = 8
)

type config struct {
	established   int
	timewait      int
	addrs         int
	ports         int
	perWorker     int
	workers       int
	hold          time.Duration
	setupTimeout  time.Duration
	skipProcCount bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == workerArg {
		os.Exit(workerMain(os.Args[2:]))
	}
	var c config
	fs := flag.NewFlagSet("sockgen", flag.ExitOnError)
	fs.IntVar(&c.established, "established", 1000, "ESTABLISHED rows wanted in /proc/net/tcp (N/2 connections, both ends)")
	fs.IntVar(&c.timewait, "timewait", 0, "TIME_WAIT sockets wanted")
	fs.IntVar(&c.addrs, "addrs", 8, "use 127.0.0.1 .. 127.0.0.K as listen and source addresses")
	fs.IntVar(&c.ports, "ports", 4, "listening ports per worker on each address")
	fs.IntVar(&c.perWorker, "per-worker", 7000, "most connections (2 fds each) a worker holds open")
	fs.IntVar(&c.workers, "workers", 0, "worker processes (0: enough for -per-worker, at least 2 for big tables)")
	fs.DurationVar(&c.hold, "hold", 30*time.Second, "how long to hold the sockets after ready")
	fs.DurationVar(&c.setupTimeout, "setup-timeout", 60*time.Second, "give up if the table is not full after this")
	fs.BoolVar(&c.skipProcCount, "trust", false, "print the counts made instead of reading the kernel's")
	_ = fs.Parse(os.Args[1:])
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "sockgen:", err)
		os.Exit(1)
	}
}

// plan is one worker's share.
type plan struct {
	id, conns, tw, portBase int
}

func makePlans(c config) ([]plan, error) {
	switch {
	case c.established < 0 || c.timewait < 0:
		return nil, errors.New("-established and -timewait must be >= 0")
	case c.addrs < 1 || c.addrs > 254:
		return nil, errors.New("-addrs must be in 1..254")
	case c.ports < 1:
		return nil, errors.New("-ports must be >= 1")
	case c.perWorker < 1:
		return nil, errors.New("-per-worker must be >= 1")
	case c.hold <= 0 || c.setupTimeout <= 0:
		return nil, errors.New("-hold and -setup-timeout must be > 0")
	}
	conns := c.established / 2
	w := c.workers
	if w <= 0 {
		w = (conns + c.perWorker - 1) / c.perWorker
		if conns+c.timewait >= 5000 {
			w = max(w, min(runtime.NumCPU(), 4))
		}
		w = max(w, 1)
	}
	if (conns+w-1)/w > c.perWorker {
		return nil, fmt.Errorf("%d workers cannot hold %d connections at -per-worker %d", w, conns, c.perWorker)
	}
	if listenPortLo+w*c.ports-1 > listenPortHi {
		return nil, fmt.Errorf("%d workers x %d ports do not fit in listen ports %d-%d", w, c.ports, listenPortLo, listenPortHi)
	}
	plans := make([]plan, w)
	for i := range plans {
		p := plan{id: i, conns: share(conns, w, i), tw: share(c.timewait, w, i), portBase: listenPortLo + i*c.ports}
		// Distinct 4-tuples per worker: dst (K addrs x P ports) x src port span x K src addrs.
		if capacity := c.addrs * c.ports * srcPortSpan * c.addrs; 2*(p.conns+p.tw) > capacity {
			return nil, fmt.Errorf("worker %d needs %d 4-tuples (and as many spares), only %d distinct: raise -addrs or -ports", i, p.conns+p.tw, capacity)
		}
		plans[i] = p
	}
	return plans, nil
}

func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

func raiseNofile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready chan string   // the worker's "ok ..." line
	done  chan struct{} // closed once Wait returned; err is then set
	err   error
}

func run(c config) error {
	start := time.Now()
	nofile, err := raiseNofile()
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	if need := uint64(2*c.perWorker + 512); nofile < need && c.established/2 > 0 {
		c.perWorker = max(1, (int(nofile)-512)/2)
	}
	plans, err := makePlans(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	setupCtx, cancelSetup := context.WithTimeout(ctx, c.setupTimeout)
	defer cancelSetup()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var workers []*worker
	defer func() { stopWorkers(workers) }()
	var firstTW atomic.Int64 // UnixNano when a worker first reported "tw-start"
	for _, p := range plans {
		cmd := exec.Command(self, workerArg,
			"-id", strconv.Itoa(p.id), "-conns", strconv.Itoa(p.conns), "-tw", strconv.Itoa(p.tw),
			"-addrs", strconv.Itoa(c.addrs), "-ports", strconv.Itoa(c.ports), "-port-base", strconv.Itoa(p.portBase),
			"-timeout", c.setupTimeout.String())
		cmd.Stderr = os.Stderr
		// The worker dies with us even if we are SIGKILLed; it also exits on stdin EOF.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start worker %d: %w", p.id, err)
		}
		w := &worker{cmd: cmd, stdin: stdin, ready: make(chan string, 1), done: make(chan struct{})}
		workers = append(workers, w)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "ok "):
					select {
					case w.ready <- line:
					default:
					}
				case line == "tw-start":
					now := time.Now().UnixNano()
					for {
						cur := firstTW.Load()
						if (cur != 0 && cur <= now) || firstTW.CompareAndSwap(cur, now) {
							break
						}
					}
				}
			}
			w.err = cmd.Wait()
			close(w.done)
		}()
	}
	for i, w := range workers {
		select {
		case <-w.ready:
		case <-w.done:
			return fmt.Errorf("worker %d exited during setup: %v", i, w.err)
		case <-setupCtx.Done():
			if ctx.Err() != nil {
				return errors.New("interrupted during setup")
			}
			return fmt.Errorf("setup not finished after %v (worker %d not ready)", c.setupTimeout, i)
		}
	}

	wantEst, wantTW := 2*(c.established/2), c.timewait
	est, tw := wantEst, wantTW
	if !c.skipProcCount {
		// The last FINs are processed asynchronously (loopback softirq):
		// poll until the kernel's counts catch up, within the setup deadline.
		// A very few TIME_WAIT sockets can be lost for good: a spurious
		// retransmission draws an RST from the closed server end, which kills
		// the TIME_WAIT socket unless net.ipv4.tcp_rfc1337=1. Once the counts
		// stop moving, accept a shortfall of at most 0.1%.
		lastEst, lastTW, still := -1, -1, time.Now()
		for {
			if est, tw, err = countStates(); err != nil {
				return err
			}
			if (est >= wantEst && tw >= wantTW) || setupCtx.Err() != nil {
				break
			}
			if est != lastEst || tw != lastTW {
				lastEst, lastTW, still = est, tw, time.Now()
			} else if time.Since(still) > 2*time.Second && est >= wantEst-wantEst/1000 && tw >= wantTW-wantTW/1000 {
				fmt.Fprintf(os.Stderr, "sockgen: warning: kernel counts established=%d timewait=%d, wanted %d and %d (set net.ipv4.tcp_rfc1337=1 in the namespace)\n",
					est, tw, wantEst, wantTW)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if est < wantEst-wantEst/1000 || tw < wantTW-wantTW/1000 {
			return fmt.Errorf("kernel counts established=%d timewait=%d, wanted %d and %d (is tcp_max_tw_buckets >= %d in this namespace?)",
				est, tw, wantEst, wantTW, wantTW)
		}
	}
	twAge := 0.0
	if t := firstTW.Load(); t != 0 && c.timewait > 0 {
		twAge = time.Since(time.Unix(0, t)).Seconds()
	}
	fmt.Printf("ready established=%d timewait=%d tw_age=%.1f\n", est, tw, twAge)
	fmt.Fprintf(os.Stderr, "sockgen: ready in %v with %d workers; holding for %v\n", time.Since(start).Round(time.Millisecond), len(workers), c.hold)

	anyExit := make(chan error, len(workers))
	for i, w := range workers {
		go func() {
			<-w.done
			anyExit <- fmt.Errorf("worker %d exited while holding: %v", i, w.err)
		}()
	}
	timer := time.NewTimer(c.hold)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	case err := <-anyExit:
		return err
	}
	return nil
}

// stopWorkers closes their stdin and signals them, then kills the ones that
// are still there after a grace period. Only our own children, by PID.
func stopWorkers(workers []*worker) {
	for _, w := range workers {
		_ = w.stdin.Close()
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(5 * time.Second)
	for _, w := range workers {
		select {
		case <-w.done:
		case <-deadline:
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
}

// countStates returns the namespace's ESTABLISHED and TIME_WAIT counts as
// the kernel keeps them: Tcp CurrEstab in /proc/net/snmp (ESTABLISHED plus
// CLOSE_WAIT, and sockgen leaves no CLOSE_WAIT) and "tw" in
// /proc/net/sockstat. These are exact and cheap, unlike a walk of
// /proc/net/tcp, which iterates the hash table shared by all namespaces and
// can skip a few rows while other namespaces change it.
func countStates() (est, tw int, err error) {
	snmp, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, 0, err
	}
	if est, err = tableField(string(snmp), "Tcp:", "CurrEstab"); err != nil {
		return 0, 0, fmt.Errorf("/proc/net/snmp: %w", err)
	}
	sockstat, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(sockstat), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				tw, err = strconv.Atoi(f[i+1])
				return est, tw, err
			}
		}
	}
	return 0, 0, errors.New("/proc/net/sockstat: no TCP tw count")
}

// tableField reads a value from the header/value line pairs of /proc/net/snmp.
func tableField(text, prefix, name string) (int, error) {
	var header []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		if header == nil {
			header = f
			continue
		}
		for i, h := range header {
			if h == name && i < len(f) {
				return strconv.Atoi(f[i])
			}
		}
		break
	}
	return 0, fmt.Errorf("no %s %s", prefix, name)
}

// ---- worker ----

func workerMain(args []string) int {
	fs := flag.NewFlagSet("sockgen worker", flag.ExitOnError)
	id := fs.Int("id", 0, "")
	conns := fs.Int("conns", 0, "")
	tw := fs.Int("tw", 0, "")
	addrs := fs.Int("addrs", 8, "")
	ports := fs.Int("ports", 4, "")
	portBase := fs.Int("port-base", listenPortLo, "")
	timeout := fs.Duration("timeout", 60*time.Second, "")
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Parent gone or closing our stdin: stop.
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop() }()

	if _, err := raiseNofile(); err != nil {
		fmt.Fprintf(os.Stderr, "sockgen worker %d: raise RLIMIT_NOFILE: %v\n", *id, err)
		return 1
	}
	g := newGen(*id, *addrs, *ports, *portBase)
	setupCtx, cancel := context.WithTimeout(ctx, *timeout)
	err := g.fill(setupCtx, *conns, *tw)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sockgen worker %d: %v\n", *id, err)
		return 1
	}
	fmt.Printf("ok worker=%d conns=%d tw=%d\n", *id, *conns, *tw)
	<-ctx.Done()
	return 0
}

type gen struct {
	addrs, ports, portBase int
	srcOff                 int // where this worker's source ports start in the span

	listeners []*net.TCPListener
	twPhase   atomic.Bool
	accepted  atomic.Int64 // ESTABLISHED-phase connections accepted (and held)
	twClosed  atomic.Int64 // TIME_WAIT-phase server ends closed after EOF
	mu        sync.Mutex
	held      []net.Conn // server ends; client ends are in clients
	acceptErr atomic.Value
	spare     atomic.Int64 // next unused tuple index, past the planned ones
}

func newGen(id, addrs, ports, portBase int) *gen {
	return &gen{addrs: addrs, ports: ports, portBase: portBase, srcOff: id * 7919 % srcPortSpan}
}

func loopback(n int) net.IP { return net.IPv4(127, 0, 0, byte(n)) }

// tuple returns the source and destination of the worker's connection j:
// unique for every j below capacity (checked by makePlans).
//
// The destination varies fastest; the source port is r (the round over all
// destinations) shifted by a per-destination stride and the worker's srcOff,
// so that, for a fixed destination, rounds map one-to-one onto source ports,
// and the source address changes every srcPortSpan rounds. The shifts spread
// the source ports of all workers over the whole span: the kernel's bind()
// walks every socket already bound to the port asked for, and with
// consecutive ports shared by all workers (a few thousand sockets per port at
// a million sockets) filling the table took minutes of system time.
func (g *gen) tuple(j int) (src, dst *net.TCPAddr) {
	combos := g.addrs * g.ports
	d := j % combos
	r := j / combos
	stride := max(1, srcPortSpan/combos)
	dst = &net.TCPAddr{IP: loopback(1 + d%g.addrs), Port: g.portBase + d/g.addrs}
	port := srcPortLo + (r+d*stride+g.srcOff)%srcPortSpan
	src = &net.TCPAddr{IP: loopback(1 + (r/srcPortSpan)%g.addrs), Port: port}
	return src, dst
}

func (g *gen) fill(ctx context.Context, conns, tw int) error {
	lc := net.ListenConfig{KeepAlive: -1}
	for a := 1; a <= g.addrs; a++ {
		for p := 0; p < g.ports; p++ {
			l, err := lc.Listen(ctx, "tcp4", net.JoinHostPort(loopback(a).String(), strconv.Itoa(g.portBase+p)))
			if err != nil {
				return err
			}
			g.listeners = append(g.listeners, l.(*net.TCPListener))
		}
	}
	for _, l := range g.listeners {
		go g.accept(l)
	}

	g.spare.Store(int64(conns + tw))
	clients := make([]net.Conn, conns)
	if err := g.dialAll(ctx, 0, conns, func(j int, c net.Conn) { clients[j] = c }); err != nil {
		return fmt.Errorf("established phase: %w", err)
	}
	if err := g.waitFor(ctx, func() bool { return g.accepted.Load() >= int64(conns) }); err != nil {
		return fmt.Errorf("established phase: accepted %d of %d: %w", g.accepted.Load(), conns, err)
	}
	g.twPhase.Store(true)
	if tw > 0 {
		fmt.Println("tw-start") // the parent dates the oldest TIME_WAIT socket from this
	}
	if err := g.dialAll(ctx, conns, tw, func(_ int, c net.Conn) { _ = c.Close() }); err != nil {
		return fmt.Errorf("time-wait phase: %w", err)
	}
	if err := g.waitFor(ctx, func() bool { return g.twClosed.Load() >= int64(tw) }); err != nil {
		return fmt.Errorf("time-wait phase: server closed %d of %d: %w", g.twClosed.Load(), tw, err)
	}
	// Keep the held ends reachable for the life of the process.
	g.mu.Lock()
	g.held = append(g.held, clients...)
	g.mu.Unlock()
	// No more connections are expected: stop accepting, the listeners stay open.
	return nil
}

func (g *gen) accept(l *net.TCPListener) {
	for {
		c, err := l.AcceptTCP()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				g.acceptErr.Store(err)
			}
			return
		}
		if !g.twPhase.Load() {
			g.mu.Lock()
			g.held = append(g.held, c)
			g.mu.Unlock()
			g.accepted.Add(1)
			continue
		}
		// TIME_WAIT phase: let the client close first, then close.
		go func() {
			var buf [64]byte
			for {
				if _, err := c.Read(buf[:]); err != nil {
					break
				}
			}
			_ = c.Close()
			g.twClosed.Add(1)
		}()
	}
}

// dialAll makes n connections, worker-local indexes off .. off+n-1, with a
// few concurrent dialers, and hands each to use.
func (g *gen) dialAll(ctx context.Context, off, n int, use func(j int, c net.Conn)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, dialersPerWkr)
	for range dialersPerWkr {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				j := off + i
				for tries := 0; ; tries++ {
					src, dst := g.tuple(j)
					d := net.Dialer{LocalAddr: src, KeepAlive: -1, Control: reuseAddr}
					c, err := d.DialContext(ctx, "tcp4", dst.String())
					if err == nil {
						use(i, c)
						break
					}
					// The 4-tuple is still taken, e.g. by a TIME_WAIT socket of an
					// earlier sockgen in this namespace: use a spare one.
					if (errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EADDRINUSE)) && tries < 1000 && ctx.Err() == nil {
						j = int(g.spare.Add(1)) - 1
						continue
					}
					errc <- fmt.Errorf("dial %v -> %v: %w", src, dst, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// reuseAddr sets SO_REUSEADDR before bind, so a source port already used by
// other connections (to other destinations) or by TIME_WAIT sockets can be
// bound again; the 4-tuples themselves never repeat.
func reuseAddr(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// waitFor polls ok until it holds, an accept failed or ctx is done.
func (g *gen) waitFor(ctx context.Context, ok func() bool) error {
	for !ok() {
		if err, _ := g.acceptErr.Load().(error); err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}
