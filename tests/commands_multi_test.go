package tests

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/instance/instancetest"
)

// TestIssue15AcrossInstances checks that what the commands of issue 15
// write is seen at once by another titan instance over the same store:
// MOVE, HyperLogLogs (with their cached counts), GEO members, SORT ...
// STORE results and DUMP/RESTORE between instances.
func TestIssue15AcrossInstances(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	ctx := context.Background()
	a := redis.NewClient(&redis.Options{Addr: g.Addr(0)})
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1), DB: 1})
	b0 := redis.NewClient(&redis.Options{Addr: g.Addr(1)})
	defer a.Close()
	defer b.Close()
	defer b0.Close()
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	a.RPush(ctx, "l", "3", "1", "2")
	check("MOVE", a.Move(ctx, "l", 1).Val(), true)
	check("moved list on the other instance", len(b.LRange(ctx, "l", 0, -1).Val()), 3)
	check("source gone on the other instance", b0.Exists(ctx, "l").Val(), int64(0))

	a.PFAdd(ctx, "h", "x", "y", "z")
	check("PFCOUNT on the other instance", b0.PFCount(ctx, "h").Val(), int64(3))
	check("HLL bytes", b0.Get(ctx, "h").Val(), a.Get(ctx, "h").Val())
	a.PFAdd(ctx, "h", "w")
	check("PFCOUNT after a PFADD elsewhere (stale cache)", b0.PFCount(ctx, "h").Val(), int64(4))

	a.GeoAdd(ctx, "g", &redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556})
	check("GEODIST on the other instance", b0.GeoDist(ctx, "g", "Palermo", "Palermo", "m").Val(), 0.0)
	n, _ := b0.Do(ctx, "geosearchstore", "dst", "g", "fromlonlat", 13, 38, "byradius", 100, "km").Int()
	check("GEOSEARCHSTORE", n, 1)
	check("stored on the first instance", a.ZCard(ctx, "dst").Val(), int64(1))

	check("SORT STORE", b.Do(ctx, "sort", "l", "store", "sorted").Val(), int64(3))
	a1 := redis.NewClient(&redis.Options{Addr: g.Addr(0), DB: 1})
	defer a1.Close()
	check("sorted list on the first instance", a1.LIndex(ctx, "sorted", 0).Val(), "1")

	payload := a.Dump(ctx, "h").Val()
	check("RESTORE elsewhere", b0.Restore(ctx, "h2", 0, payload).Val(), "OK")
	check("restored HLL", a.PFCount(ctx, "h2").Val(), int64(4))
	check("BUSYKEY", b0.Restore(ctx, "h2", 0, payload).Err().Error(), "BUSYKEY Target key name already exists.")
}
