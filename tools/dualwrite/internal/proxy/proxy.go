// Package proxy implements the dual-write RESP proxy. Every write goes to
// the primary side (the sharded Redis source until the cut-over) and the
// client gets the primary's reply as soon as the primary answers; the
// write is then replayed on titan in the background, in each key's order
// (apply.go). A key titan missed is recorded in a journal and copied from
// Redis by a pool of repair workers (repair.go). Reads go to one side,
// switchable at run time. Cutover (cutover.go) drains everything and makes
// titan the primary, optionally replaying writes back to Redis.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/tools/dualwrite/internal/cmdtable"
	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/journal"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// Read sides.
const (
	ReadRedis = "redis"
	ReadTitan = "titan"
)

// numStripes is the number of key lock stripes serializing writes to the
// same key, so both sides apply them in the same order.
const numStripes = 4096

// Config configures a Proxy.
type Config struct {
	Source     source.Source
	Titan      *resp.Pool
	ReadFrom   string  // ReadRedis or ReadTitan
	ShadowRate float64 // fraction of reads also sent to the other side
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
	// Timeout bounds each upstream command.
	Timeout time.Duration
	// FenceTimeout bounds how long a key's repair waits for a titan write
	// that timed out but may still land (default 30 s); past it the key
	// is marked dirty on titan (a later backfill's drain copies it again)
	// and repaired at once.
	FenceTimeout time.Duration
	// RepairQueue bounds the number of keys waiting for repair.
	RepairQueue int
	// RepairWorkers is the number of keys repaired at once.
	RepairWorkers int
	// ApplyShards and ApplyDepth size the queues of writes replayed on the
	// secondary side: ApplyShards workers, each with ApplyDepth writes.
	ApplyShards, ApplyDepth int
	// Journal, when set, records the keys waiting for repair so that a
	// restarted proxy repairs them; Pending are the keys it held at start.
	Journal *journal.Journal
	Pending [][]byte
}

// Proxy is a dual-write Redis proxy.
type Proxy struct {
	cfg      Config
	src      source.Source
	titan    *resp.Pool
	m        *metrics.Metrics
	log      *slog.Logger
	readFrom atomic.Bool // true: titan serves reads
	backfill atomic.Bool // a backfill is running: mark written keys dirty
	// id names the proxy in the registry of proxies (dirty.BeatCmds);
	// polledAt is when it last read the backfill flag (Unix ns), and
	// markMu is held shared by applies that decided whether to mark and
	// exclusively when marking starts, so the proxy reports a backfill as
	// seen only once no unmarked write is in flight.
	id       string
	polledAt atomic.Int64
	markMu   sync.RWMutex
	// flagSeen counts the polls that found a backfill running: a copy
	// that spans one marks its key (see markTicket).
	flagSeen atomic.Uint64
	// orphans counts the replays that timed out and may still land.
	orphans atomic.Int64
	// redisM and titanM are the sides' command metrics.
	redisM, titanM *sideMetrics
	breaker        breaker
	repair         *repairer
	titanQ         *applier // replays writes on titan while Redis is primary
	redisQ         *applier // replays writes on Redis after a cut-over (reverse)
	seed           maphash.Seed
	stripes        [numStripes]sync.Mutex
	shadowSem      chan struct{}

	// writes is held shared by every write and exclusively by the
	// cut-over while it drains.
	writes       sync.RWMutex
	titanPrimary atomic.Bool
	reverse      atomic.Bool // after a cut-over: replay writes on Redis

	mu     sync.Mutex
	server *redcon.Server
}

// New returns a proxy; call Serve to run it.
func New(cfg Config) (*Proxy, error) {
	if cfg.ReadFrom != ReadRedis && cfg.ReadFrom != ReadTitan {
		return nil, fmt.Errorf("read side %q: want %s or %s", cfg.ReadFrom, ReadRedis, ReadTitan)
	}
	if cfg.ShadowRate < 0 || cfg.ShadowRate > 1 {
		return nil, fmt.Errorf("shadow rate %v: want 0..1", cfg.ShadowRate)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.FenceTimeout <= 0 {
		cfg.FenceTimeout = 30 * time.Second
	}
	if cfg.RepairQueue <= 0 {
		cfg.RepairQueue = 1000000
	}
	if cfg.RepairWorkers <= 0 {
		cfg.RepairWorkers = 8
	}
	if cfg.ApplyShards <= 0 {
		cfg.ApplyShards = 64
	}
	if cfg.ApplyDepth <= 0 {
		cfg.ApplyDepth = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Proxy{
		cfg:       cfg,
		src:       cfg.Source,
		titan:     cfg.Titan,
		m:         cfg.Metrics,
		log:       cfg.Logger,
		seed:      maphash.MakeSeed(),
		id:        dirty.Owner("proxy"),
		shadowSem: make(chan struct{}, 64),
	}
	p.redisM, p.titanM = newSideMetrics(cfg.Metrics, metrics.SideRedis), newSideMetrics(cfg.Metrics, metrics.SideTitan)
	p.breaker.threshold, p.breaker.cooldown = 3, time.Second
	p.repair = newRepairer(p, cfg.RepairQueue, cfg.RepairWorkers, cfg.Journal)
	p.titanQ = newApplier(p, metrics.SideTitan, cfg.ApplyShards, cfg.ApplyDepth)
	p.titanQ.breaker = &p.breaker
	p.titanQ.apply = (&combiner{send: p.applyTitan, timeout: cfg.Timeout}).do
	p.titanQ.failed = func(key []byte, fence *resp.FencedError) { p.repair.scheduleFenced(key, "write not applied", fence) }
	p.redisQ = newApplier(p, metrics.SideRedis, cfg.ApplyShards, cfg.ApplyDepth)
	p.redisQ.apply = p.applyRedis
	p.redisQ.failed = func(key []byte, _ *resp.FencedError) {
		p.m.ReverseFailed.Inc()
		p.log.Error("write not replayed on Redis after the cut-over (Redis no longer matches titan for this key)", "key", string(key))
	}
	for _, k := range cfg.Pending {
		p.repair.schedule(k, "journal")
	}
	if len(cfg.Pending) > 0 {
		p.log.Info("repairing keys left in the journal", "keys", len(cfg.Pending))
	}
	p.setReadSide(cfg.ReadFrom)
	return p, nil
}

// ReadSide returns the side currently serving reads.
func (p *Proxy) ReadSide() string {
	if p.readFrom.Load() {
		return ReadTitan
	}
	return ReadRedis
}

// SetReadSide switches the side serving reads.
func (p *Proxy) SetReadSide(side string) error {
	if side != ReadRedis && side != ReadTitan {
		return fmt.Errorf("read side %q: want %s or %s", side, ReadRedis, ReadTitan)
	}
	old := p.ReadSide()
	p.setReadSide(side)
	if old != side {
		p.log.Info("read side switched", "from", old, "to", side)
	}
	return nil
}

// ToggleReadSide flips the read side and returns the new one.
func (p *Proxy) ToggleReadSide() string {
	side := ReadTitan
	if p.readFrom.Load() {
		side = ReadRedis
	}
	_ = p.SetReadSide(side)
	return side
}

func (p *Proxy) setReadSide(side string) {
	p.readFrom.Store(side == ReadTitan)
	if p.m != nil {
		t := 0.0
		if side == ReadTitan {
			t = 1
		}
		p.m.ReadSide.WithLabelValues(metrics.SideTitan).Set(t)
		p.m.ReadSide.WithLabelValues(metrics.SideRedis).Set(1 - t)
	}
}

// RepairQueueLen returns the number of keys waiting for repair.
func (p *Proxy) RepairQueueLen() int { return p.repair.len() }

// ApplyQueueLen returns the number of writes waiting to be replayed on
// the secondary side.
func (p *Proxy) ApplyQueueLen() int { return p.titanQ.pending() + p.redisQ.pending() }

// Serve accepts clients on ln until ctx is cancelled.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){
		func(ctx context.Context) {
			dirty.Poll(ctx, p.titan, p.log, p.id, p.setBackfill, func() { p.polledAt.Store(time.Now().UnixNano()) }, p.flushRequests)
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = dirty.Leave(c, p.titan, p.id)
		},
		p.repair.run, p.titanQ.run, p.redisQ.run,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	srv := redcon.NewServer(ln.Addr().String(), p.handle,
		func(c redcon.Conn) bool {
			c.SetContext(&client{})
			p.m.ClientConns.Inc()
			return true
		},
		func(c redcon.Conn, err error) { p.m.ClientConns.Dec() })
	p.mu.Lock()
	p.server = srv
	p.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
		p.log.Info("proxy stopping", "apply_queue", p.ApplyQueueLen(), "repair_queue", p.repair.len())
		srv.Close()
		err = <-errc
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	p.abandonFences()
	p.log.Info("proxy stopped", "keys_left_to_repair", p.repair.len(), "journaled", p.cfg.Journal != nil)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (p *Proxy) setBackfill(on bool) {
	if on {
		p.flagSeen.Add(1)
	}
	if on && !p.backfill.Load() {
		p.markMu.Lock() // wait for the applies that do not mark
		p.backfill.Store(true)
		p.markMu.Unlock()
		p.log.Info("backfill flag changed", "active", on)
	} else if p.backfill.Swap(on) != on {
		p.log.Info("backfill flag changed", "active", on)
	}
	v := 0.0
	if on {
		v = 1
	}
	p.m.BackfillActive.Set(v)
}

// client is per-connection state.
type client struct {
	buf []byte
}

func (p *Proxy) handle(conn redcon.Conn, cmd redcon.Command) {
	cl, _ := conn.Context().(*client)
	if cl == nil {
		cl = &client{}
		conn.SetContext(cl)
	}
	v, closeAfter := p.dispatch(cmd.Args)
	cl.buf = v.Append(cl.buf[:0])
	conn.WriteRaw(cl.buf)
	if closeAfter {
		conn.Close()
	}
}

// dispatch runs one client command and returns its reply.
func (p *Proxy) dispatch(args [][]byte) (resp.Value, bool) {
	if len(args) == 0 {
		return resp.Err("ERR empty command"), false
	}
	spec, ok := cmdtable.Lookup(args[0])
	if !ok {
		p.m.RejectedCommand.WithLabelValues("unknown").Inc()
		return resp.Err(fmt.Sprintf("ERR unknown or unsupported command '%s' (dualwrite proxy)", args[0])), false
	}
	switch spec.Kind {
	case cmdtable.Admin:
		return p.admin(spec.Name, args)
	case cmdtable.Refused:
		p.m.RejectedCommand.WithLabelValues("refused").Inc()
		return resp.Err(fmt.Sprintf("ERR '%s' is not supported by the dualwrite proxy: %s", strings.ToLower(spec.Name), spec.Why)), false
	}
	keys, err := spec.Keys(args)
	if err != nil {
		return resp.Err("ERR " + err.Error()), false
	}
	if spec.Kind == cmdtable.Read {
		// The pools' connections bound the round trip (see write).
		return p.read(context.Background(), spec, args, keys), false
	}
	return p.write(spec, args, keys), false
}

func (p *Proxy) admin(name string, args [][]byte) (resp.Value, bool) {
	switch name {
	case "PING":
		if len(args) > 1 {
			return resp.Bulk(args[1]), false
		}
		return resp.Value{Kind: resp.SimpleString, Str: []byte("PONG")}, false
	case "ECHO":
		if len(args) != 2 {
			return resp.Err("ERR wrong number of arguments for 'echo' command"), false
		}
		return resp.Bulk(args[1]), false
	case "SELECT":
		if len(args) == 2 && string(args[1]) == "0" {
			return resp.OK(), false
		}
		return resp.Err("ERR dualwrite proxy supports only database 0"), false
	case "QUIT":
		return resp.OK(), true
	case "COMMAND", "CONFIG":
		return resp.Arr(nil), false
	case "CLIENT":
		return resp.OK(), false
	case "INFO":
		return resp.Bulk(fmt.Appendf(nil, "# dualwrite\r\nread_from:%s\r\nbackfill_active:%t\r\nrepair_queue:%d\r\n",
			p.ReadSide(), p.backfill.Load(), p.repair.len())), false
	default: // HELLO: RESP3 is not offered; clients fall back to RESP2.
		return resp.Err(fmt.Sprintf("ERR unknown command '%s'", strings.ToLower(name))), false
	}
}

// stripe returns the lock stripe of key.
func (p *Proxy) stripe(key []byte) *sync.Mutex {
	return &p.stripes[maphash.Bytes(p.seed, key)%numStripes]
}

// lockKeys locks the stripes of keys in a fixed order and returns the
// unlock function.
func (p *Proxy) lockKeys(keys [][]byte) func() {
	if len(keys) == 1 {
		mu := p.stripe(keys[0])
		mu.Lock()
		return mu.Unlock
	}
	idx := make([]int, 0, len(keys))
	for _, k := range keys {
		idx = append(idx, int(maphash.Bytes(p.seed, k)%numStripes))
	}
	sort.Ints(idx)
	var held []int
	for i, s := range idx {
		if i > 0 && s == idx[i-1] {
			continue
		}
		p.stripes[s].Lock()
		held = append(held, s)
	}
	return func() {
		for _, s := range held {
			p.stripes[s].Unlock()
		}
	}
}

func (p *Proxy) read(ctx context.Context, spec *cmdtable.Spec, args, keys [][]byte) resp.Value {
	titanSide := p.readFrom.Load()
	if titanSide && !p.titanPrimary.Load() && (p.titanQ.behind(keys) || p.repair.has(keys)) {
		// titan has not caught up with this key's writes yet: Redis
		// answers, so a client always reads its own writes.
		titanSide = false
		p.m.ReadFallbacks.Inc()
	}
	var v resp.Value
	var err error
	if titanSide {
		v, err = p.doTitan(ctx, args)
	} else {
		v, err = p.doSource(ctx, spec, args, keys)
	}
	if err != nil {
		side := "redis"
		if titanSide {
			side = "titan"
		}
		p.log.Warn("read failed", "side", side, "cmd", string(args[0]), "err", err)
		return resp.Err(fmt.Sprintf("ERR dualwrite: %s unavailable: %v", side, err))
	}
	if p.cfg.ShadowRate > 0 && !v.IsError() && rand.Float64() < p.cfg.ShadowRate {
		p.shadow(spec, args, keys, v, titanSide)
	}
	return v
}

// shadow re-runs a read on the side not serving reads, in the background,
// and counts differing replies. Races with concurrent writes can cause
// occasional false positives; mismatching keys are queued for repair when
// Redis is authoritative.
func (p *Proxy) shadow(spec *cmdtable.Spec, args, keys [][]byte, served resp.Value, titanServed bool) {
	select {
	case p.shadowSem <- struct{}{}:
	default:
		return // too many shadow reads in flight; skip this one
	}
	args, keys = cloneArgs(args), cloneArgs(keys)
	p.m.ShadowReads.Inc()
	go func() {
		defer func() { <-p.shadowSem }()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
		defer cancel()
		var other resp.Value
		var err error
		if titanServed {
			other, err = p.doSource(ctx, spec, args, keys)
		} else {
			other, err = p.doTitan(ctx, args)
		}
		if err != nil {
			return
		}
		if !resp.Equal(normalize(spec, served), normalize(spec, other)) {
			p.m.Mismatches.WithLabelValues("shadow_read").Inc()
			p.log.Debug("shadow read mismatch", "cmd", string(args[0]), "served", served.String(), "other", other.String())
			if !titanServed {
				for _, k := range keys {
					p.repair.schedule(k, "shadow read differs")
				}
			}
		}
	}()
}

func (p *Proxy) write(spec *cmdtable.Spec, args, keys [][]byte) resp.Value {
	if reply, ok := p.checkShards(spec, keys); !ok {
		return reply
	}
	p.writes.RLock()
	defer p.writes.RUnlock()
	if len(keys) == 1 { // the common case, without the closure of lockKeys
		mu := p.stripe(keys[0])
		mu.Lock()
		defer mu.Unlock()
	} else {
		unlock := p.lockKeys(keys)
		defer unlock()
	}
	// The pools' connections bound each round trip to the primary by the
	// timeout (cmd.go builds them with --timeout), not the wait for the
	// lock held by earlier writers of the same keys: a hot key must not
	// turn into failed writes. No context timer per command.
	ctx := context.Background()
	if p.titanPrimary.Load() {
		return p.writeTitanPrimary(ctx, spec, args, keys)
	}
	v, err := p.doSource(ctx, spec, args, keys)
	if err != nil {
		// Redis may or may not have applied the write: make titan follow
		// whatever Redis holds once it answers again.
		for _, k := range keys {
			p.repair.schedule(k, "redis write failed")
		}
		p.log.Warn("redis write failed", "cmd", string(args[0]), "key", string(keys[0]), "err", err)
		return resp.Err(fmt.Sprintf("ERR dualwrite: redis unavailable: %v", err))
	}
	if v.IsError() {
		return v // Redis applied nothing; neither does titan
	}
	p.replay(p.titanQ, spec, args, keys, v, func(k []byte, reason string) { p.repair.schedule(k, reason) })
	return v
}

// replay queues the write that the primary answered v to on q. Writes of
// several keys are not replayed (their keys may belong to different
// queues, so their order could not be kept): the keys are handed to
// fallback (copied from the primary) instead.
func (p *Proxy) replay(q *applier, spec *cmdtable.Spec, args, keys [][]byte, v resp.Value, fallback func([]byte, string)) {
	if len(keys) != 1 {
		for _, k := range keys {
			fallback(k, "multi-key write")
		}
		return
	}
	o := &op{key: string(keys[0]), redis: v, compare: true, queued: time.Now()}
	o.args = cloneArgsTo(o.argv[:0], args)
	if spec.Random {
		// SPOP picks members at random: remove the same members.
		if o.args = spopReplay(keys[0], v); o.args == nil {
			return // nothing popped
		}
		o.compare = false
	}
	if !q.enqueue(o) {
		p.m.ApplyOverflow.WithLabelValues(q.name).Inc()
		fallback(keys[0], "replay queue full")
	}
}

// writeTitanPrimary runs a write after the cut-over: titan answers the
// client, and the write is replayed on Redis when reverse writes are on.
func (p *Proxy) writeTitanPrimary(ctx context.Context, spec *cmdtable.Spec, args, keys [][]byte) resp.Value {
	v, err := p.doTitan(ctx, args)
	if err != nil {
		p.log.Warn("titan write failed", "cmd", string(args[0]), "key", string(keys[0]), "err", err)
		return resp.Err(fmt.Sprintf("ERR dualwrite: titan unavailable: %v", err))
	}
	if v.IsError() || !p.reverse.Load() {
		return v
	}
	if len(keys) != 1 || spec.Random {
		p.m.ReverseFailed.Inc()
		p.log.Warn("write not replayed on Redis after the cut-over (several keys or random)", "cmd", string(args[0]), "key", string(keys[0]))
		return v
	}
	p.replay(p.redisQ, spec, args, keys, v, func(k []byte, reason string) { p.redisQ.failed(k, nil) })
	return v
}

// applyTitan replays writes on titan in one pipeline, and records their
// keys as dirty in the same round trip while a backfill runs.
func (p *Proxy) applyTitan(ctx context.Context, ops []*op) ([]resp.Value, error) {
	cmds := make([][][]byte, 0, len(ops)+1)
	for _, o := range ops {
		cmds = append(cmds, o.args)
	}
	p.markMu.RLock()
	defer p.markMu.RUnlock()
	mark := p.marking()
	if mark {
		keys := make([][]byte, len(ops))
		for i, o := range ops {
			keys[i] = []byte(o.key)
		}
		cmds = append(cmds, dirty.MarkCmd(keys))
	}
	start := time.Now()
	// A replay that times out may still run on titan later: fenced, so
	// that its key's repair waits until it can no longer land.
	vs, err := p.titan.PipelineFenced(ctx, cmds)
	if fe := (*resp.FencedError)(nil); errors.As(err, &fe) {
		p.orphaned(fe.Settled)
	}
	p.breaker.record(err)
	p.titanM.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		p.titanM.failed.Add(float64(len(ops)))
		return nil, err
	}
	p.titanM.ok.Add(float64(len(ops)))
	if mark {
		if m := vs[len(vs)-1]; m.IsError() {
			return nil, fmt.Errorf("mark dirty: %s", m.Str)
		}
		p.m.DirtyMarks.Add(float64(len(ops)))
	}
	return vs[:len(ops)], nil
}

// marking reports whether written keys must be marked dirty: a backfill
// runs, or the proxy has not read the flag for dirty.StaleAfter.
func (p *Proxy) marking() bool {
	return p.backfill.Load() || time.Since(time.Unix(0, p.polledAt.Load())) > dirty.StaleAfter
}

// markTicket is what a repair copy knew of the backfill flag when it
// started. A copy can take long (big keys), so unlike a replay it cannot
// hold markMu (a backfill starting would wait for it, and every replay
// behind the backfill); instead it marks its key if a backfill ran at any
// time during the copy: at its start (the flag may be lowered before its
// write lands), at a poll while it ran (a whole backfill may start and
// end within one copy), or at its end.
type markTicket struct {
	mark bool
	seen uint64
}

func (p *Proxy) startCopy() markTicket {
	return markTicket{mark: p.marking(), seen: p.flagSeen.Load()}
}

// mustMark reports whether the copy started with t marks its key.
func (p *Proxy) mustMark(t markTicket) bool {
	return t.mark || p.flagSeen.Load() != t.seen || p.marking()
}

// applyRedis replays writes on Redis after the cut-over, one by one (keys
// may live on different shards).
func (p *Proxy) applyRedis(ctx context.Context, ops []*op) ([]resp.Value, error) {
	vs := make([]resp.Value, len(ops))
	for i, o := range ops {
		spec, _ := cmdtable.Lookup(o.args[0])
		v, err := p.doSource(ctx, spec, o.args, [][]byte{[]byte(o.key)})
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

// checkShards refuses multi-key commands whose keys span shards when they
// cannot be split.
func (p *Proxy) checkShards(spec *cmdtable.Spec, keys [][]byte) (resp.Value, bool) {
	if spec.Multi != cmdtable.SameShard || len(keys) < 2 {
		return resp.Value{}, true
	}
	g := p.src.Group(keys[0])
	for _, k := range keys[1:] {
		if p.src.Group(k) != g {
			p.m.RejectedCommand.WithLabelValues("cross_shard").Inc()
			return resp.Err(fmt.Sprintf("CROSSSLOT keys of '%s' map to different Redis shards; the dualwrite proxy cannot run it atomically (use a hash tag)", strings.ToLower(spec.Name))), false
		}
	}
	return resp.Value{}, true
}

func (p *Proxy) mark(ctx context.Context, keys [][]byte) error {
	v, err := p.titan.Do(ctx, dirty.MarkCmd(keys)...)
	if err == nil && v.IsError() {
		err = fmt.Errorf("%s", v.Str)
	}
	if err != nil {
		return fmt.Errorf("mark dirty: %w", err)
	}
	p.m.DirtyMarks.Add(float64(len(keys)))
	return nil
}

// spopReplay turns an SPOP reply into the SREM that replays it.
func spopReplay(key []byte, v resp.Value) [][]byte {
	var members [][]byte
	switch {
	case v.Kind == resp.Array:
		for _, e := range v.Elems {
			members = append(members, e.Str)
		}
	case v.Kind == resp.BulkString && !v.Null:
		members = append(members, v.Str)
	}
	if len(members) == 0 {
		return nil
	}
	return append([][]byte{[]byte("SREM"), key}, members...)
}

// normalize makes replies whose element order is unspecified comparable.
func normalize(spec *cmdtable.Spec, v resp.Value) resp.Value {
	switch spec.Name {
	case "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS":
	case "HGETALL":
		return sortPairs(v)
	default:
		return v
	}
	if v.Kind != resp.Array {
		return v
	}
	elems := append([]resp.Value(nil), v.Elems...)
	sort.Slice(elems, func(i, j int) bool { return string(elems[i].Str) < string(elems[j].Str) })
	return resp.Arr(elems)
}

func sortPairs(v resp.Value) resp.Value {
	if v.Kind != resp.Array || len(v.Elems)%2 != 0 {
		return v
	}
	n := len(v.Elems) / 2
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return string(v.Elems[2*idx[a]].Str) < string(v.Elems[2*idx[b]].Str) })
	out := make([]resp.Value, 0, len(v.Elems))
	for _, i := range idx {
		out = append(out, v.Elems[2*i], v.Elems[2*i+1])
	}
	return resp.Arr(out)
}

// cloneArgs copies args into one buffer (two allocations per command).
func cloneArgs(args [][]byte) [][]byte {
	return cloneArgsTo(make([][]byte, 0, len(args)), args)
}

// cloneArgsTo appends copies of args, all in one new buffer, to out.
func cloneArgsTo(out [][]byte, args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	for _, a := range args {
		buf = append(buf, a...)
		out = append(out, buf[len(buf)-len(a):len(buf):len(buf)])
	}
	return out
}
