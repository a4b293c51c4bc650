package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pingcap/goleveldb/leveldb"
	"github.com/pingcap/goleveldb/leveldb/util"
	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/util/codec"
)

// A key written over and over gets slower to read on the embedded store
// until its history leaves the memtable: every write puts the key's lock
// record at prewrite and deletes it at commit, goleveldb's memtable keeps
// each put and delete as an entry of its own until it is flushed, and
// every read, prewrite and commit of the key seeks to its lock record and
// steps over all of them (dbIter.next). After 8,500 SETs of one key, a GET
// of it cost 253 µs of CPU against 25 before (77% of it stepping); a 16 MB
// memtable holds ~50k such writes. Once flushed, the level-0 table is
// merged into level 1 within ~100 writes (seek compaction) and the pairs
// collapse to one entry. So when one key took hotFlushWrites prewrites
// since the counts last started over, the memtable is flushed (goleveldb's
// CompactRange over the key, which flushes first), at most once per
// hotFlushEvery: one flush and level-1 merge, what a memtable's worth of
// writes costs anyway. The same GET after 20 s of SETs to the key (c=1)
// cost 74 µs with the flush at 2,048 writes and 137 µs at 1,024 (what
// remains: the writes since the last flush, up to hotFlushEvery's worth,
// ~50 ns per entry stepped over), against 253 without; random keys (100k
// of them) never reach it.

// hotFlushWrites is how many prewrites of one key make it hot.
const hotFlushWrites = 1024

// hotFlushEvery is the least time between two flushes for hot keys.
const hotFlushEvery = 5 * time.Second

// hotResetWrites is how many prewritten keys in all (about a memtable's
// worth) make the counts start over: the memtable was flushed anyway.
const hotResetWrites = 1 << 16

// hotKeys counts the prewrites of each key and flushes the memtable for
// a hot one.
type hotKeys struct {
	db      *leveldb.DB
	limit   int // hotFlushWrites; lower in tests
	every   time.Duration
	mu      sync.Mutex
	counts  map[string]int
	total   int
	last    time.Time
	running atomic.Bool
	flushes atomic.Int64
}

func newHotKeys(db *leveldb.DB) *hotKeys {
	return &hotKeys{db: db, limit: hotFlushWrites, every: hotFlushEvery, counts: map[string]int{}}
}

// prewritten counts the keys of a Prewrite's mutations and starts a flush
// when one of them is hot.
func (h *hotKeys) prewritten(muts []*kvrpcpb.Mutation) {
	h.mu.Lock()
	var hot []byte
	for _, m := range muts {
		n := h.counts[string(m.Key)] + 1
		h.counts[string(m.Key)] = n
		if n >= h.limit {
			hot = m.Key
		}
	}
	h.total += len(muts)
	if h.total >= hotResetWrites {
		clear(h.counts)
		h.total = 0
	}
	if hot == nil || time.Since(h.last) < h.every || h.running.Load() {
		h.mu.Unlock()
		return
	}
	h.last = time.Now()
	clear(h.counts)
	h.total = 0
	h.running.Store(true)
	h.mu.Unlock()
	start := codec.EncodeBytes(nil, hot)
	go func() {
		defer h.running.Store(false)
		if err := h.db.CompactRange(util.Range{Start: start, Limit: append(start, 0xff)}); err != nil {
			slog.Warn("embedded store: flush for a hot key", "err", err)
			return
		}
		h.flushes.Add(1)
	}()
}

// hotClient counts the prewrites the embedded store serves.
type hotClient struct {
	tikv.Client
	h *hotKeys
}

// SendRequest implements tikv.Client.
func (c hotClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if req.Type == tikvrpc.CmdPrewrite {
		c.h.prewritten(req.Prewrite().GetMutations())
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}
