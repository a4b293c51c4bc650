package source

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/hashkit"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
)

const numSlots = 16384

// tryAgainWait is the wait before re-sending a command answered TRYAGAIN.
const tryAgainWait = 50 * time.Millisecond

// cluster is a Redis Cluster source. The slot map comes from CLUSTER SLOTS
// and is patched by MOVED redirections; ASK redirections are followed for
// one command with ASKING.
type cluster struct {
	opts Options

	mu      sync.RWMutex
	slots   [numSlots]string
	masters []string
	pools   map[string]*resp.Pool
}

func openCluster(ctx context.Context, o Options) (*cluster, error) {
	c := &cluster{opts: o, pools: map[string]*resp.Pool{}}
	if err := c.refresh(ctx, o.Cluster); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) pool(addr string) *resp.Pool {
	c.mu.RLock()
	p := c.pools[addr]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p = c.pools[addr]; p == nil {
		p = resp.NewPool(addr, c.opts.PoolSize, c.opts.Timeout)
		c.pools[addr] = p
	}
	return p
}

// refresh loads the slot map from seed (or any known master).
func (c *cluster) refresh(ctx context.Context, seed string) error {
	v, err := c.pool(seed).Do(ctx, []byte("CLUSTER"), []byte("SLOTS"))
	if err != nil {
		return fmt.Errorf("cluster slots from %s: %w", seed, err)
	}
	if v.IsError() {
		return fmt.Errorf("cluster slots from %s: %s", seed, v.Str)
	}
	var slots [numSlots]string
	seen := map[string]bool{}
	var masters []string
	for _, r := range v.Elems {
		if len(r.Elems) < 3 || len(r.Elems[2].Elems) < 2 {
			return fmt.Errorf("cluster slots from %s: malformed entry %v", seed, r)
		}
		host := string(r.Elems[2].Elems[0].Str)
		if host == "" {
			host, _, _ = net.SplitHostPort(seed)
		}
		addr := net.JoinHostPort(host, strconv.FormatInt(r.Elems[2].Elems[1].Int, 10))
		for s := r.Elems[0].Int; s <= r.Elems[1].Int && s < numSlots; s++ {
			slots[s] = addr
		}
		if !seen[addr] {
			seen[addr] = true
			masters = append(masters, addr)
		}
	}
	sort.Strings(masters)
	c.mu.Lock()
	c.slots = slots
	c.masters = masters
	c.mu.Unlock()
	return nil
}

func (c *cluster) Shards() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.masters...)
}

func (c *cluster) Routed() bool { return true }

func (c *cluster) Group(key []byte) int { return hashkit.ClusterSlot(key) }

func (c *cluster) Do(ctx context.Context, slot int, args [][]byte) (resp.Value, error) {
	c.mu.RLock()
	addr := c.slots[slot]
	c.mu.RUnlock()
	if addr == "" {
		return resp.Value{}, fmt.Errorf("cluster: slot %d is not served", slot)
	}
	return c.doAt(ctx, addr, args)
}

// doAt runs args on addr, following up to five redirections.
func (c *cluster) doAt(ctx context.Context, addr string, args [][]byte) (resp.Value, error) {
	asking := false
	for attempt := 0; ; attempt++ {
		var v resp.Value
		var err error
		if asking {
			var vs []resp.Value
			vs, err = c.pool(addr).Pipeline(ctx, [][][]byte{{[]byte("ASKING")}, args})
			if err == nil {
				v = vs[1]
			}
		} else {
			v, err = c.pool(addr).Do(ctx, args...)
		}
		if err != nil || !v.IsError() || attempt >= 5 {
			return v, err
		}
		kind, slot, target := parseRedirect(v.Str)
		switch kind {
		case "MOVED":
			c.mu.Lock()
			c.slots[slot] = target
			c.mu.Unlock()
			addr, asking = target, false
			// The topology changed; reload it in the background.
			go func() {
				rctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
				defer cancel()
				_ = c.refresh(rctx, target)
			}()
		case "ASK":
			addr, asking = target, true
		case "TRYAGAIN":
			// The slot is being migrated: ask again after a moment.
			if !retry.Sleep(ctx, tryAgainWait) {
				return resp.Value{}, fmt.Errorf("cluster: TRYAGAIN from %s: %w", addr, ctx.Err())
			}
		default:
			return v, nil
		}
	}
}

// parseRedirect parses "MOVED 3999 127.0.0.1:6381" / "ASK ..." / "TRYAGAIN".
func parseRedirect(msg []byte) (kind string, slot int, addr string) {
	f := bytes.Fields(msg)
	if len(f) == 0 {
		return "", 0, ""
	}
	kind = string(f[0])
	if (kind == "MOVED" || kind == "ASK") && len(f) == 3 {
		slot, _ = strconv.Atoi(string(f[1]))
		return kind, slot, string(f[2])
	}
	if kind == "TRYAGAIN" {
		return kind, 0, ""
	}
	return "", 0, ""
}

func (c *cluster) GroupPipeline(ctx context.Context, slot int, cmds [][][]byte) ([]resp.Value, error) {
	c.mu.RLock()
	addr := c.slots[slot]
	c.mu.RUnlock()
	if addr == "" {
		return nil, fmt.Errorf("cluster: slot %d is not served", slot)
	}
	return c.pipelineAt(ctx, addr, cmds)
}

func (c *cluster) ShardPipeline(ctx context.Context, shard int, cmds [][][]byte) ([]resp.Value, error) {
	masters := c.Shards()
	if shard < 0 || shard >= len(masters) {
		return nil, fmt.Errorf("cluster: no shard %d", shard)
	}
	return c.pipelineAt(ctx, masters[shard], cmds)
}

// pipelineAt pipelines cmds to addr and re-runs any command that was
// redirected through the slot map.
func (c *cluster) pipelineAt(ctx context.Context, addr string, cmds [][][]byte) ([]resp.Value, error) {
	vs, err := c.pool(addr).Pipeline(ctx, cmds)
	if err != nil {
		return nil, err
	}
	for i, v := range vs {
		if !v.IsError() || len(cmds[i]) < 2 {
			continue
		}
		if kind, _, _ := parseRedirect(v.Str); kind == "" {
			continue
		}
		if vs[i], err = c.Do(ctx, hashkit.ClusterSlot(cmds[i][1]), cmds[i]); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

func (c *cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pools {
		p.Close()
	}
}
