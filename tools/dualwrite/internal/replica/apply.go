package replica

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// pump reads the master's stream from offset on into the spool, counting
// its bytes as the master does, and answers REPLCONF GETACK.
func (l *Link) pump(ctx context.Context, m *master, sp *spool, offset int64) {
	var buf []byte
	for ctx.Err() == nil {
		// The master pings its replicas every 10 s (repl-ping-replica-period).
		m.nc.SetReadDeadline(time.Now().Add(l.o.Timeout + 60*time.Second))
		v, err := resp.ReadValue(m.br)
		if err == nil && (v.Kind != resp.Array || len(v.Elems) == 0) {
			err = fmt.Errorf("master sent %s, not a command", v.String())
		}
		if err != nil {
			sp.CloseWrite(fmt.Errorf("master stream: %w", err))
			return
		}
		args := make([][]byte, len(v.Elems))
		for i, e := range v.Elems {
			args[i] = e.Str
		}
		buf = resp.AppendCommand(buf[:0], args)
		if _, err := sp.Write(buf); err != nil {
			sp.CloseWrite(err)
			return
		}
		offset += int64(len(buf))
		l.received.Store(offset)
		if len(args) >= 2 && strings.EqualFold(string(args[0]), "REPLCONF") && strings.EqualFold(string(args[1]), "GETACK") {
			l.ack(m)
		}
	}
}

// ack tells the master the offset applied to titan.
func (l *Link) ack(m *master) {
	m.send("REPLCONF", "ACK", strconv.FormatInt(l.applied.Load(), 10))
}

// ackLoop acknowledges once a second, as Redis replicas do.
func (l *Link) ackLoop(ctx context.Context, m *master) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.ack(m)
			l.o.Metrics.ReplLag.WithLabelValues(l.shard).Set(float64(l.received.Load() - l.applied.Load()))
		}
	}
}

// streamCmd is one command of the stream and the offset after it.
type streamCmd struct {
	args [][]byte
	end  int64
}

// apply reads the spooled stream and applies it to titan in batches, each
// one titan transaction that also moves the checkpoint.
func (l *Link) apply(ctx context.Context, sp *spool, titan *resp.Conn, ck checkpoint) error {
	br := bufio.NewReaderSize(sp, 256<<10)
	offset, db := ck.offset, ck.db
	for {
		// A batch: what is already there, up to Batch commands, and never
		// ending inside a MULTI of the master.
		var batch []streamCmd
		startDB, inMulti := db, false
		safe, safeDB, safeOffset := 0, db, offset
		var readErr error
		for {
			v, err := resp.ReadValue(br)
			if err != nil {
				readErr = err
				break
			}
			args := make([][]byte, len(v.Elems))
			for i, e := range v.Elems {
				args[i] = e.Str
			}
			offset += int64(resp.CommandLen(args))
			switch name := strings.ToLower(string(args[0])); {
			case name == "multi":
				inMulti = true
			case name == "exec":
				inMulti = false
			case name == "ping" || name == "replconf":
			case name == "select":
				if len(args) == 2 {
					if n, err := strconv.Atoi(string(args[1])); err == nil {
						db = n
					}
				}
				batch = append(batch, streamCmd{args, offset})
			case (name == "flushall" || name == "flushdb") && !l.o.ApplyFlush:
				l.o.Log.Warn("replicate: the master flushed; not applied to titan (see --apply-flush)", "master", l.o.Master, "command", name)
				l.o.Metrics.ReplCommands.WithLabelValues(l.shard, "skipped").Inc()
			case name == "publish" || name == "spublish":
				l.o.Metrics.ReplCommands.WithLabelValues(l.shard, "skipped").Inc()
			default:
				batch = append(batch, streamCmd{args, offset})
			}
			if !inMulti {
				safe, safeDB, safeOffset = len(batch), db, offset
				if len(batch) >= l.o.Batch || (br.Buffered() == 0 && !sp.Ready()) {
					break
				}
			}
		}
		batch = batch[:safe]
		if safeOffset > ck.offset {
			next := checkpoint{replID: ck.replID, offset: safeOffset, db: safeDB}
			if err := l.applyBatch(ctx, titan, startDB, batch, next); err != nil {
				return err
			}
			ck = next
			l.applied.Store(ck.offset)
			l.o.Metrics.ReplOffset.WithLabelValues(l.shard).Set(float64(ck.offset))
		}
		if readErr != nil {
			return readErr
		}
		offset, db = safeOffset, safeDB
	}
}

// applyBatch runs batch in one titan transaction with the checkpoint
// update. Commands titan refuses when queued (an unknown command, say)
// are logged, counted and left out, and the rest is sent again.
func (l *Link) applyBatch(ctx context.Context, titan *resp.Conn, startDB int, batch []streamCmd, ck checkpoint) error {
	for {
		cmds := make([][][]byte, 0, len(batch)+5)
		cmds = append(cmds, resp.Args("MULTI"), resp.Args("SELECT", strconv.Itoa(startDB)))
		for _, c := range batch {
			cmds = append(cmds, c.args)
		}
		cmds = append(cmds, resp.Args("SELECT", "0"), l.checkpointCommand(ck), resp.Args("EXEC"))
		vs, err := titan.Pipeline(ctx, cmds)
		if err != nil {
			return fmt.Errorf("titan: %w", err)
		}
		exec := vs[len(vs)-1]
		if exec.IsError() && strings.HasPrefix(string(exec.Str), "EXECABORT") {
			kept := batch[:0:0]
			for i, c := range batch {
				if v := vs[2+i]; v.IsError() {
					l.refused(c.args, v)
					continue
				}
				kept = append(kept, c)
			}
			if len(kept) == len(batch) {
				return fmt.Errorf("titan: %s", exec.String())
			}
			batch = kept
			continue
		}
		if exec.IsError() || len(exec.Elems) != len(batch)+3 {
			return fmt.Errorf("titan: EXEC: %s", exec.String())
		}
		for i, c := range batch {
			if v := exec.Elems[1+i]; v.IsError() {
				l.refused(c.args, v)
			}
		}
		l.o.Metrics.ReplCommands.WithLabelValues(l.shard, "applied").Add(float64(len(batch)))
		return nil
	}
}

// refused logs a command titan answered with an error: the two sides may
// differ from here on for its key (verify finds it).
func (l *Link) refused(args [][]byte, v resp.Value) {
	key := ""
	if len(args) > 1 {
		key = string(args[1])
	}
	l.o.Log.Error("replicate: titan refused a command of the stream", "master", l.o.Master, "command", string(args[0]), "key", key, "err", v.String())
	l.o.Metrics.ReplCommands.WithLabelValues(l.shard, "refused").Inc()
}
