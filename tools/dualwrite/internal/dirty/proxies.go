package dirty

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// Proxies announce themselves, so that a backfill waits for the proxies
// that are running instead of a fixed settle time:
//
//   - every proxy names itself in the hash ProxiesKey, and after each
//     successful poll of FlagKey sets its key ProxyPrefix+id to the
//     backfill owners it saw, expiring after BeatTTL (by titan's clock);
//   - a proxy whose last successful poll is older than StaleAfter (its
//     view of the flag may be out of date) marks every key it writes, as
//     if a backfill were running. StaleAfter < BeatTTL: while its key
//     lives a proxy either knows the flag or marks anyway;
//   - after raising its flag, a backfill waits (at most its settle time)
//     until every proxy whose key is alive lists it (AwaitProxies);
//     proxies whose key expired mark by themselves.
//
// With no proxy running, a backfill starts at once and its drain does not
// wait for late marks (LiveProxies is 0).
//
// The drain's end is a protocol too (AwaitFlush): after copying a round
// it writes a fresh nonce into its field of FlushKey; a proxy that sees
// it waits until every titan write it had begun by then (replays queued
// or in flight, with their marks, timed-out replays that may still land,
// keys waiting for repair) is done, and then lists "flushed:<owner>:<nonce>" in its
// key. The drain counts the dirty set once every live proxy listed it:
// every mark that a write racing with the round can leave is there.
const (
	ProxiesKey  = copier.ReservedPrefix + "proxies"
	ProxyPrefix = copier.ReservedPrefix + "proxy:"
	FlushKey    = copier.ReservedPrefix + "flush"
	StaleAfter  = 2 * PollInterval
	BeatTTL     = 3 * PollInterval
)

// BeatCmds returns the commands with which proxy id reports that it saw
// the backfill owners owners, and the flushes it completed (FlushAck).
func BeatCmds(id string, owners []string, acks ...string) [][][]byte {
	seen := "seen " + strings.Join(owners, " ")
	if len(acks) > 0 {
		seen += " " + strings.Join(acks, " ")
	}
	return [][][]byte{
		resp.Args("HSET", ProxiesKey, id, "1"),
		resp.Args("SET", ProxyPrefix+id, seen, "PX", strconv.FormatInt(BeatTTL.Milliseconds(), 10)),
	}
}

// FlushAck is the word with which a proxy reports that it finished the
// flush nonce asked for by owner.
func FlushAck(owner, nonce string) string { return "flushed:" + owner + ":" + nonce }

// AwaitFlush asks every live proxy to finish the titan writes it has
// begun (see the protocol above) and waits until each reports it did, at
// most max (then it returns too: the settle time of the old protocol, for
// a proxy stuck on a slow titan). It returns the number of live proxies.
func AwaitFlush(ctx context.Context, titan *resp.Pool, owner string, max time.Duration) (int, error) {
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := do(ctx, titan, "ask proxies to flush", resp.Args("HSET", FlushKey, owner, nonce)...); err != nil {
		return 0, err
	}
	if _, err := do(ctx, titan, "ask proxies to flush", resp.Args("PEXPIRE", FlushKey, strconv.FormatInt(FlagTTL.Milliseconds(), 10))...); err != nil {
		return 0, err
	}
	return awaitViews(ctx, titan, FlushAck(owner, nonce), max)
}

// EndFlush withdraws owner's flush request.
func EndFlush(ctx context.Context, titan *resp.Pool, owner string) error {
	_, err := do(ctx, titan, "end flush requests", resp.Args("HDEL", FlushKey, owner)...)
	return err
}

// FlushRequests returns the nonce each owner asks proxies to flush for.
func FlushRequests(v resp.Value) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out[string(v.Elems[i].Str)] = string(v.Elems[i+1].Str)
	}
	return out
}

// Leave removes proxy id from the registry (a clean shutdown).
func Leave(ctx context.Context, titan *resp.Pool, id string) error {
	_, err := titan.Pipeline(ctx, [][][]byte{resp.Args("HDEL", ProxiesKey, id), resp.Args("DEL", ProxyPrefix+id)})
	return err
}

// proxyViews returns what each live proxy last saw (the owners listed in
// its key), and forgets the registered proxies whose key expired.
func proxyViews(ctx context.Context, titan *resp.Pool) (map[string][]byte, error) {
	v, err := do(ctx, titan, "list proxies", resp.Args("HKEYS", ProxiesKey)...)
	if err != nil || len(v.Elems) == 0 {
		return nil, err
	}
	mget := [][]byte{[]byte("MGET")}
	for _, e := range v.Elems {
		mget = append(mget, append([]byte(ProxyPrefix), e.Str...))
	}
	vals, err := do(ctx, titan, "read proxies", mget...)
	if err != nil {
		return nil, err
	}
	if len(vals.Elems) != len(v.Elems) {
		return nil, fmt.Errorf("read proxies: unexpected reply %v", vals)
	}
	live := map[string][]byte{}
	dead := [][]byte{[]byte("HDEL"), []byte(ProxiesKey)}
	for i, e := range v.Elems {
		if vals.Elems[i].IsNil() {
			dead = append(dead, e.Str)
			continue
		}
		live[string(e.Str)] = vals.Elems[i].Str
	}
	if len(dead) > 2 {
		if _, err := do(ctx, titan, "forget stopped proxies", dead...); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// LiveProxies returns the number of proxies that polled FlagKey within
// BeatTTL.
func LiveProxies(ctx context.Context, titan *resp.Pool) (int, error) {
	live, err := proxyViews(ctx, titan)
	return len(live), err
}

// AwaitProxies waits until every live proxy has seen owner's flag, at most
// max (then it returns nil too: the settle time of the old protocol). It
// returns the number of live proxies.
func AwaitProxies(ctx context.Context, titan *resp.Pool, owner string, max time.Duration) (int, error) {
	return awaitViews(ctx, titan, owner, max)
}

// awaitViews waits until every live proxy lists word in its key, at most
// max, and returns the number of live proxies.
func awaitViews(ctx context.Context, titan *resp.Pool, word string, max time.Duration) (int, error) {
	deadline := time.Now().Add(max)
	for {
		live, err := proxyViews(ctx, titan)
		if err != nil {
			return 0, err
		}
		waiting := 0
		for _, seen := range live {
			if !containsField(seen, word) {
				waiting++
			}
		}
		if waiting == 0 || !time.Now().Before(deadline) {
			return len(live), nil
		}
		t := time.NewTimer(min(100*time.Millisecond, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return len(live), ctx.Err()
		case <-t.C:
		}
	}
}

// containsField reports whether the space-separated list holds f.
func containsField(list []byte, f string) bool {
	for _, x := range bytes.Fields(list) {
		if string(x) == f {
			return true
		}
	}
	return false
}
