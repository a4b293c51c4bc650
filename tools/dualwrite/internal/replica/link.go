// Package replica copies a Redis master into titan the way one of its
// replicas would, so that a migration needs no change to the clients'
// path: PSYNC, the RDB snapshot restored key by key, then the command
// stream applied in order.
//
// Exactly once: every applied batch of the stream is one titan
// transaction (MULTI ... EXEC) that also writes the master offset it
// reaches into a checkpoint key, so after any failure (titan down, the
// link cut, this process killed) the next session resumes with PSYNC from
// what titan holds, and no command is applied twice or skipped. A
// transaction or script of the master (MULTI/EXEC in its stream) is never
// split across batches.
package replica

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
)

// CheckpointPrefix starts the name of the titan key (a hash, in db 0)
// holding a master's replication id and applied offset.
const CheckpointPrefix = "__dualwrite:replica:"

// Options configure one link.
type Options struct {
	// Master is the Redis master's host:port.
	Master string
	// Titan is titan's host:port.
	Titan string
	// WorkDir holds the snapshot and the stream spool while they are in use.
	WorkDir string
	// Timeout bounds each titan round trip and the silence of the master
	// (which pings its replicas every 10 s by default).
	Timeout time.Duration
	// RestoreWorkers is the number of snapshot batches restored at once.
	RestoreWorkers int
	// Batch is the most stream commands applied in one titan transaction.
	Batch int
	// ApplyFlush applies FLUSHALL/FLUSHDB of the stream to titan; off by
	// default, because with several masters (shards) one master's flush
	// must not erase the others' keys in titan.
	ApplyFlush bool
	Log        *slog.Logger
	Metrics    *metrics.Metrics
}

// Link replicates one master into titan.
type Link struct {
	o     Options
	shard string

	applied  atomic.Int64 // master offset applied to titan (and checkpointed)
	received atomic.Int64 // master offset received into the spool
	up       atomic.Bool
}

// New returns a link; Run starts it.
func New(o Options) *Link {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.RestoreWorkers <= 0 {
		o.RestoreWorkers = 4
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	return &Link{o: o, shard: o.Master}
}

// Applied returns the master offset applied to titan.
func (l *Link) Applied() int64 { return l.applied.Load() }

// Up reports whether the link is streaming.
func (l *Link) Up() bool { return l.up.Load() }

// Run replicates until ctx ends, reconnecting after every failure.
func (l *Link) Run(ctx context.Context) error {
	b := retry.Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := l.session(ctx)
		l.up.Store(false)
		l.o.Metrics.ReplConnected.WithLabelValues(l.shard).Set(0)
		if ctx.Err() != nil {
			return nil
		}
		l.o.Log.Warn("replicate: link down, reconnecting", "master", l.o.Master, "err", err)
		if !b.Wait(ctx) {
			return nil
		}
	}
}

// checkpoint is what titan holds of a master: replication id, the offset
// applied, and the database the stream had selected at that offset.
type checkpoint struct {
	replID string
	offset int64
	db     int
}

func (l *Link) ckptKey() []byte { return checkpointKey(l.o.Master) }

// checkpointKey is the titan key holding master's checkpoint.
func checkpointKey(master string) []byte { return []byte(CheckpointPrefix + master) }

// readCheckpoint reads master's checkpoint from titan; false when there is
// none.
func readCheckpoint(ctx context.Context, t *resp.Conn, master string) (checkpoint, bool, error) {
	v, err := t.Do(ctx, resp.Args("SELECT", "0")...)
	if err == nil && v.IsError() {
		err = errors.New(v.String())
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("titan: %w", err)
	}
	v, err = t.Do(ctx, []byte("HMGET"), checkpointKey(master), []byte("replid"), []byte("offset"), []byte("db"))
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("titan: read checkpoint: %w", err)
	}
	if v.IsError() || len(v.Elems) != 3 || v.Elems[0].IsNil() {
		return checkpoint{}, false, nil
	}
	off, err1 := strconv.ParseInt(string(v.Elems[1].Str), 10, 64)
	db, err2 := strconv.Atoi(string(v.Elems[2].Str))
	if err1 != nil || err2 != nil {
		return checkpoint{}, false, nil
	}
	return checkpoint{replID: string(v.Elems[0].Str), offset: off, db: db}, true, nil
}

// session is one connection to the master: handshake, snapshot when
// needed, then the stream until something fails.
func (l *Link) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	titan, err := resp.Dial(ctx, l.o.Titan, l.o.Timeout)
	if err != nil {
		return err
	}
	defer titan.Close()
	ck, resume, err := readCheckpoint(ctx, titan, l.o.Master)
	if err != nil {
		return err
	}

	d := net.Dialer{Timeout: l.o.Timeout}
	nc, err := d.DialContext(ctx, "tcp", l.o.Master)
	if err != nil {
		return fmt.Errorf("master: %w", err)
	}
	defer nc.Close()
	go func() { <-ctx.Done(); nc.Close() }()
	m := &master{nc: nc, br: bufio.NewReaderSize(nc, 256<<10), timeout: l.o.Timeout}
	for _, args := range [][]string{{"PING"}, {"REPLCONF", "capa", "eof", "capa", "psync2"}} {
		if _, err := m.do(l.o.Timeout, args...); err != nil {
			return fmt.Errorf("master handshake %s: %w", args[0], err)
		}
	}
	psync := []string{"PSYNC", "?", "-1"}
	if resume {
		psync = []string{"PSYNC", ck.replID, strconv.FormatInt(ck.offset+1, 10)}
	}
	// A diskless master answers PSYNC when its snapshot starts, after
	// repl-diskless-sync-delay (5 s by default) or longer.
	reply, err := m.do(l.o.Timeout+60*time.Second, psync...)
	if err != nil {
		return fmt.Errorf("master PSYNC: %w", err)
	}
	f := strings.Fields(reply)
	full := false
	switch {
	case len(f) == 3 && f[0] == "FULLRESYNC":
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("master: bad FULLRESYNC reply %q", reply)
		}
		l.o.Metrics.ReplFullSyncs.WithLabelValues(l.shard).Inc()
		l.o.Log.Info("replicate: full resynchronization", "master", l.o.Master, "replid", f[1], "offset", off, "had_checkpoint", resume)
		ck, full = checkpoint{replID: f[1], offset: off}, true
	case len(f) >= 1 && f[0] == "CONTINUE":
		if len(f) == 2 {
			ck.replID = f[1]
		}
		l.o.Log.Info("replicate: continuing", "master", l.o.Master, "replid", ck.replID, "offset", ck.offset)
	default:
		return fmt.Errorf("master: unexpected PSYNC reply %q", reply)
	}
	var snapshot string
	if full {
		if snapshot, err = l.receiveSnapshot(ctx, m, titan); err != nil {
			return err
		}
		defer os.Remove(snapshot)
	}
	l.applied.Store(ck.offset)
	l.received.Store(ck.offset)
	l.up.Store(true)
	l.o.Metrics.ReplConnected.WithLabelValues(l.shard).Set(1)

	// The stream that follows the snapshot is read into a spool while the
	// snapshot is restored (or the master's output buffer for this replica
	// overflows and it drops the link) and while titan is slow.
	sp, err := newSpool(filepath.Join(l.o.WorkDir, "spool-"+safeName(l.o.Master)), 64<<20)
	if err != nil {
		return err
	}
	defer sp.Remove()
	go l.pump(ctx, m, sp, ck.offset)
	go l.ackLoop(ctx, m)
	if full {
		start := time.Now()
		if err := l.restore(ctx, snapshot); err != nil {
			return err
		}
		if err := l.writeCheckpoint(ctx, titan, ck); err != nil {
			return err
		}
		l.o.Log.Info("replicate: snapshot restored, applying the stream", "master", l.o.Master, "took", time.Since(start).Round(time.Millisecond))
	}
	return l.apply(ctx, sp, titan, ck)
}

// writeCheckpoint records ck in titan on its own (after a snapshot).
func (l *Link) writeCheckpoint(ctx context.Context, titan *resp.Conn, ck checkpoint) error {
	vs, err := titan.Pipeline(ctx, [][][]byte{resp.Args("SELECT", "0"), l.checkpointCommand(ck)})
	if err == nil && vs[1].IsError() {
		err = errors.New(vs[1].String())
	}
	if err != nil {
		return fmt.Errorf("titan: write checkpoint: %w", err)
	}
	return nil
}

func (l *Link) checkpointCommand(ck checkpoint) [][]byte {
	return [][]byte{[]byte("HSET"), l.ckptKey(), []byte("replid"), []byte(ck.replID),
		[]byte("offset"), strconv.AppendInt(nil, ck.offset, 10), []byte("db"), strconv.AppendInt(nil, int64(ck.db), 10)}
}

// master is the connection to the master.
type master struct {
	nc      net.Conn
	br      *bufio.Reader
	timeout time.Duration
	wmu     sync.Mutex
}

// do sends a command during the handshake and returns its status reply.
func (m *master) do(wait time.Duration, args ...string) (string, error) {
	if err := m.send(args...); err != nil {
		return "", err
	}
	m.nc.SetReadDeadline(time.Now().Add(wait))
	// A master preparing a snapshot keeps the link alive with bare
	// newlines, which may come before a reply.
	for {
		b, err := m.br.Peek(1)
		if err != nil {
			return "", err
		}
		if b[0] != '\n' {
			break
		}
		m.br.ReadByte()
	}
	v, err := resp.ReadValue(m.br)
	if err != nil {
		return "", err
	}
	if v.IsError() {
		return "", errors.New(v.String())
	}
	return string(v.Str), nil
}

func (m *master) send(args ...string) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.nc.SetWriteDeadline(time.Now().Add(m.timeout))
	_, err := m.nc.Write(resp.AppendCommand(nil, resp.Args(args...)))
	return err
}

// receiveSnapshot deletes the checkpoint (so that a failure before the
// snapshot is restored leads to another full synchronization, never to a
// resume) and receives the master's snapshot into a file of the work dir.
func (l *Link) receiveSnapshot(ctx context.Context, m *master, titan *resp.Conn) (string, error) {
	if v, err := titan.Do(ctx, []byte("DEL"), l.ckptKey()); err != nil || v.IsError() {
		return "", fmt.Errorf("titan: delete checkpoint: %v %v", err, v)
	}
	if err := os.MkdirAll(l.o.WorkDir, 0o755); err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	path := filepath.Join(l.o.WorkDir, "snapshot-"+safeName(l.o.Master)+".rdb")
	n, err := m.receiveSnapshot(path)
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("master snapshot: %w", err)
	}
	l.o.Log.Info("replicate: snapshot received", "master", l.o.Master, "bytes", n)
	return path, nil
}

// receiveSnapshot reads the "$<len>" or "$EOF:<mark>" bulk the master
// sends after FULLRESYNC into path, skipping the newlines it sends while
// it prepares the snapshot.
func (m *master) receiveSnapshot(path string) (int64, error) {
	var line []byte
	for {
		m.nc.SetReadDeadline(time.Now().Add(m.timeout + 60*time.Second))
		b, err := m.br.ReadBytes('\n')
		if err != nil {
			return 0, err
		}
		if b = bytes.TrimRight(b, "\r\n"); len(b) > 0 {
			line = b
			break
		}
	}
	if len(line) < 2 || line[0] != '$' {
		return 0, fmt.Errorf("unexpected %q before the snapshot", line)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	r := &deadlineReader{m: m}
	if mark, ok := bytes.CutPrefix(line[1:], []byte("EOF:")); ok {
		if len(mark) != 40 {
			return 0, fmt.Errorf("bad EOF mark %q", line)
		}
		var rest []byte
		n, rest, err = copyUntilMark(w, r, mark)
		if len(rest) > 0 {
			m.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), m.br), 256<<10)
		}
	} else {
		size, perr := strconv.ParseInt(string(line[1:]), 10, 64)
		if perr != nil || size < 0 {
			return 0, fmt.Errorf("bad snapshot length %q", line)
		}
		n, err = io.CopyN(w, r, size)
	}
	if err != nil {
		return n, err
	}
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Sync()
}

// deadlineReader reads the master connection with a fresh read deadline
// per read, so a big snapshot has no overall time limit but a stalled
// master is noticed.
type deadlineReader struct{ m *master }

func (r *deadlineReader) Read(p []byte) (int, error) {
	r.m.nc.SetReadDeadline(time.Now().Add(r.m.timeout + 60*time.Second))
	return r.m.br.Read(p)
}

// copyUntilMark copies r to w up to the 40-byte mark that ends a
// diskless snapshot (the mark is not copied) and returns the bytes read
// after the mark: the start of the stream.
func copyUntilMark(w io.Writer, r io.Reader, mark []byte) (int64, []byte, error) {
	buf := make([]byte, 256<<10)
	var held []byte // bytes read and not yet written: may hold a part of the mark
	var n int64
	for {
		k, err := r.Read(buf)
		held = append(held, buf[:k]...)
		if i := bytes.Index(held, mark); i >= 0 {
			_, werr := w.Write(held[:i])
			return n + int64(i), held[i+len(mark):], werr
		}
		if keep := len(held) - (len(mark) - 1); keep > 0 {
			if _, werr := w.Write(held[:keep]); werr != nil {
				return n, nil, werr
			}
			n += int64(keep)
			held = append(held[:0], held[keep:]...)
		}
		if err != nil {
			return n, nil, err
		}
	}
}

func safeName(addr string) string {
	return strings.NewReplacer(":", "_", "/", "_", "[", "", "]", "").Replace(addr)
}

// Lag is what Check finds of one master.
type Lag struct {
	Master string
	// Applied is the offset titan's checkpoint holds, -1 when there is
	// none (no snapshot restored yet) or it is of another replication id.
	Applied int64
	// MasterOffset is the master's master_repl_offset.
	MasterOffset int64
}

// CaughtUp reports whether titan holds everything the master has written.
func (g Lag) CaughtUp() bool { return g.Applied >= 0 && g.Applied >= g.MasterOffset }

// Check compares a master's replication offset with titan's checkpoint of
// it. It reads only, so it runs safely beside the replicating process.
func Check(ctx context.Context, masterAddr, titanAddr string, timeout time.Duration) (Lag, error) {
	g := Lag{Master: masterAddr, Applied: -1}
	m, err := resp.Dial(ctx, masterAddr, timeout)
	if err != nil {
		return g, err
	}
	defer m.Close()
	info, err := m.Do(ctx, resp.Args("INFO", "replication")...)
	if err != nil {
		return g, err
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(info.Str), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = v
		}
	}
	if g.MasterOffset, err = strconv.ParseInt(fields["master_repl_offset"], 10, 64); err != nil {
		return g, fmt.Errorf("master %s: no master_repl_offset in INFO replication", masterAddr)
	}
	t, err := resp.Dial(ctx, titanAddr, timeout)
	if err != nil {
		return g, err
	}
	defer t.Close()
	ck, ok, err := readCheckpoint(ctx, t, masterAddr)
	if err != nil {
		return g, err
	}
	if ok && (ck.replID == fields["master_replid"] || ck.replID == fields["master_replid2"]) {
		g.Applied = ck.offset
	}
	return g, nil
}
