// Package source models the sharded Redis deployment being migrated: a set
// of independent shards (sidecar mode, or sharded client-side the way
// twemproxy does it) or a Redis Cluster.
package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/hashkit"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// Source is the Redis side of the migration.
type Source interface {
	// Shards returns the address of every shard (cluster: every master) in
	// a stable order; scanning all of them visits the whole keyspace.
	Shards() []string
	// Group returns the routing group of key. Keys of one group can be sent
	// to the source in one multi-key command: a shard index for sharded
	// sources, a hash slot for Redis Cluster.
	Group(key []byte) int
	// Routed reports whether Group locates a key's shard. It is false for
	// several independent --redis shards, whose owner of a key is unknown.
	Routed() bool
	// Do runs a command on the upstream that owns group.
	Do(ctx context.Context, group int, args [][]byte) (resp.Value, error)
	// GroupPipeline runs cmds, whose keys all belong to group, on the
	// upstream owning group in one round trip.
	GroupPipeline(ctx context.Context, group int, cmds [][][]byte) ([]resp.Value, error)
	// ShardPipeline runs cmds on shard i (an index into Shards) in one round
	// trip. Every command's first argument after the name must be a key of
	// that shard; cluster sources follow redirections per command.
	ShardPipeline(ctx context.Context, shard int, cmds [][][]byte) ([]resp.Value, error)
	// Close releases all connections.
	Close()
}

// Options configures how a Source is built from command-line flags.
type Options struct {
	Redis        []string // --redis: independent shards (sidecar mode)
	Shards       []string // --shards: twemproxy-style sharded pool
	Hash         string   // --hash
	Distribution string   // --distribution
	HashTag      string   // --hash-tag
	Cluster      string   // --cluster: one seed node of a Redis Cluster
	PoolSize     int      // connections per upstream
	Timeout      time.Duration
}

// Open builds the Source described by o. Exactly one of Redis, Shards and
// Cluster must be set.
func Open(ctx context.Context, o Options) (Source, error) {
	set := 0
	for _, b := range []bool{len(o.Redis) > 0, len(o.Shards) > 0, o.Cluster != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, errors.New("give exactly one source: --redis (repeatable), --shards, or --cluster")
	}
	if o.PoolSize <= 0 {
		o.PoolSize = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	switch {
	case len(o.Redis) > 0:
		return newStatic(o.Redis, nil, o), nil
	case len(o.Shards) > 0:
		d, err := hashkit.New(hashkit.Config{Servers: o.Shards, Hash: o.Hash, Distribution: o.Distribution, HashTag: o.HashTag})
		if err != nil {
			return nil, fmt.Errorf("shards: %w", err)
		}
		return newStatic(o.Shards, d, o), nil
	default:
		return openCluster(ctx, o)
	}
}

// static is a fixed list of shards with client-side distribution (or a
// single upstream / sidecar list with none).
type static struct {
	addrs []string
	pools []*resp.Pool
	dist  hashkit.Distributor
}

func newStatic(addrs []string, d hashkit.Distributor, o Options) *static {
	s := &static{addrs: append([]string(nil), addrs...), dist: d}
	for _, a := range addrs {
		s.pools = append(s.pools, resp.NewPool(a, o.PoolSize, o.Timeout))
	}
	return s
}

func (s *static) Shards() []string { return s.addrs }

func (s *static) Routed() bool { return s.dist != nil || len(s.pools) == 1 }

func (s *static) Group(key []byte) int {
	if s.dist == nil {
		// Sidecar mode: the application already picked the shard; with
		// several --redis (sync/verify only) keys are read from the shard
		// they were scanned on.
		return 0
	}
	return s.dist.Server(key)
}

func (s *static) Do(ctx context.Context, group int, args [][]byte) (resp.Value, error) {
	return s.pools[group].Do(ctx, args...)
}

func (s *static) GroupPipeline(ctx context.Context, group int, cmds [][][]byte) ([]resp.Value, error) {
	return s.pools[group].Pipeline(ctx, cmds)
}

func (s *static) ShardPipeline(ctx context.Context, shard int, cmds [][][]byte) ([]resp.Value, error) {
	return s.pools[shard].Pipeline(ctx, cmds)
}

func (s *static) Close() {
	for _, p := range s.pools {
		p.Close()
	}
}

// SplitList splits a comma separated flag value, dropping empty items.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ShardPipe runs pipelines on one shard of a source (see ShardPipeline);
// it satisfies copier.Pipeliner.
type ShardPipe struct {
	Source Source
	Shard  int
}

// Pipeline runs cmds on the shard in one round trip.
func (s ShardPipe) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	return s.Source.ShardPipeline(ctx, s.Shard, cmds)
}

// GroupPipe runs pipelines on the upstream owning one routing group (see
// GroupPipeline); it satisfies copier.Pipeliner.
type GroupPipe struct {
	Source Source
	Group  int
}

// Pipeline runs cmds on the group's upstream in one round trip.
func (g GroupPipe) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	return g.Source.GroupPipeline(ctx, g.Group, cmds)
}
