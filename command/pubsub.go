package command

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/titan-kv/titan/glob"
	"github.com/titan-kv/titan/resp"
)

// Pub/Sub. Each instance keeps its own subscribers (hub); PUBLISH delivers
// to the local ones with Client.Push and asks every other instance over
// the bus to deliver to theirs, and answers the total. Messages of one
// publisher reach a subscriber in publish order: PUBLISH waits for the
// other instances' counts, and the bus keeps the order of what one
// instance sends another.

func pubsubCommands() []*Command {
	return []*Command{
		cmd("subscribe", subscribe(subChannel)),
		cmd("psubscribe", subscribe(subPattern)),
		cmd("ssubscribe", subscribe(subShard)),
		cmd("unsubscribe", unsubscribe(subChannel)),
		cmd("punsubscribe", unsubscribe(subPattern)),
		cmd("sunsubscribe", unsubscribe(subShard)),
		cmd("publish", publish(false), barrier),
		cmd("spublish", publish(true), barrier),
		cmd("pubsub", pubsubCmd, subcommands("channels", "numsub", "numpat", "shardchannels", "shardnumsub", "help")),
	}
}

// subKind is one of Redis's three subscription namespaces.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

// names are the push types of a kind: subscribe, unsubscribe, message.
var subNames = [3][3]string{
	{"subscribe", "unsubscribe", "message"},
	{"psubscribe", "punsubscribe", "pmessage"},
	{"ssubscribe", "sunsubscribe", "smessage"},
}

// hub is an instance's subscribers. Clients change their own
// subscriptions; PUBLISH (here or from a peer) reads them.
type hub struct {
	mu   sync.RWMutex
	subs [3]map[string]map[*Client]struct{}
}

func newHub() *hub {
	h := &hub{}
	for i := range h.subs {
		h.subs[i] = make(map[string]map[*Client]struct{})
	}
	return h
}

// clientSubs are one client's subscriptions, under hub.mu.
type clientSubs [3]map[string]struct{}

// count is what (un)subscribe replies report: channels and patterns
// together, shard channels alone.
func (cs *clientSubs) count(k subKind) int64 {
	if k == subShard {
		return int64(len(cs[subShard]))
	}
	return int64(len(cs[subChannel]) + len(cs[subPattern]))
}

// subscribed reports whether the client has any subscription.
func (s *Engine) subscribed(cl *Client) bool {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return len(cl.subs[0])+len(cl.subs[1])+len(cl.subs[2]) > 0
}

// pushes is several push replies sent as one answer ((UN)SUBSCRIBE).
type pushes []resp.Reply

// Append implements resp.Reply.
func (ps pushes) Append(b []byte, p resp.Proto) []byte {
	for _, r := range ps {
		b = r.Append(b, p)
	}
	return b
}

func subscribe(k subKind) func(*Call) {
	return func(c *Call) {
		h, cl := c.s.hub, c.c
		var out pushes
		h.mu.Lock()
		for _, name := range c.Args[1:] {
			ch := string(name)
			if cl.subs[k] == nil {
				cl.subs[k] = make(map[string]struct{})
			}
			if _, ok := cl.subs[k][ch]; !ok {
				cl.subs[k][ch] = struct{}{}
				if h.subs[k][ch] == nil {
					h.subs[k][ch] = make(map[*Client]struct{})
				}
				h.subs[k][ch][cl] = struct{}{}
			}
			out = append(out, resp.Push{resp.BulkString(subNames[k][0]), resp.Bulk(name), resp.Int(cl.subs.count(k))})
		}
		h.mu.Unlock()
		c.Reply(out)
	}
}

// drop removes cl's subscription to ch of kind k. Called under hub.mu.
func (h *hub) drop(cl *Client, k subKind, ch string) {
	delete(cl.subs[k], ch)
	if m := h.subs[k][ch]; m != nil {
		delete(m, cl)
		if len(m) == 0 {
			delete(h.subs[k], ch)
		}
	}
}

func unsubscribe(k subKind) func(*Call) {
	return func(c *Call) {
		h, cl := c.s.hub, c.c
		var out pushes
		h.mu.Lock()
		names := c.Args[1:]
		if len(names) == 0 {
			for ch := range cl.subs[k] {
				names = append(names, []byte(ch))
			}
		}
		for _, name := range names {
			h.drop(cl, k, string(name))
			out = append(out, resp.Push{resp.BulkString(subNames[k][1]), resp.Bulk(name), resp.Int(cl.subs.count(k))})
		}
		if len(out) == 0 {
			out = append(out, resp.Push{resp.BulkString(subNames[k][1]), resp.Null, resp.Int(cl.subs.count(k))})
		}
		h.mu.Unlock()
		c.Reply(out)
	}
}

// unsubscribeAll drops every subscription of cl (RESET, disconnect).
func (s *Engine) unsubscribeAll(cl *Client) {
	h := s.hub
	h.mu.Lock()
	for k := range cl.subs {
		for ch := range cl.subs[k] {
			h.drop(cl, subKind(k), ch)
		}
	}
	h.mu.Unlock()
}

// deliver pushes a message to this instance's subscribers of ch (and, for
// a plain channel, of the patterns matching it) and counts them.
func (s *Engine) deliver(shard bool, ch, msg []byte) int64 {
	h := s.hub
	var n int64
	h.mu.RLock()
	defer h.mu.RUnlock()
	k := subChannel
	if shard {
		k = subShard
	}
	if subs := h.subs[k][string(ch)]; len(subs) > 0 {
		m := resp.Push{resp.BulkString(subNames[k][2]), resp.Bulk(ch), resp.Bulk(msg)}
		for cl := range subs {
			cl.Push(m)
			n++
		}
	}
	if !shard {
		for pat, subs := range h.subs[subPattern] {
			if !glob.Match([]byte(pat), ch, false) {
				continue
			}
			m := resp.Push{resp.BulkString("pmessage"), resp.BulkString(pat), resp.Bulk(ch), resp.Bulk(msg)}
			for cl := range subs {
				cl.Push(m)
				n++
			}
		}
	}
	if s.m != nil && n > 0 {
		s.m.PubSubOut.Add(float64(n))
	}
	return n
}

// publishMsg encodes a message for the bus: shard flag, channel, message.
func publishMsg(shard bool, ch, msg []byte) []byte {
	b := make([]byte, 0, 5+len(ch)+len(msg))
	if shard {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(ch)))
	b = append(b, ch...)
	return append(b, msg...)
}

// publishFromPeer delivers a message another instance published and
// answers the number of receivers here.
func (s *Engine) publishFromPeer(payload []byte) []byte {
	var n int64
	if len(payload) >= 5 {
		l := binary.BigEndian.Uint32(payload[1:])
		if uint32(len(payload)-5) >= l {
			n = s.deliver(payload[0] == 1, payload[5:5+l], payload[5+l:])
		}
	}
	return binary.BigEndian.AppendUint64(nil, uint64(n))
}

// Publish sends msg on channel ch (a shard channel with shard) to every
// subscriber on every instance and returns how many received it. Keyspace
// notifications and anything else that publishes use it.
func (s *Engine) Publish(shard bool, ch, msg []byte) int64 {
	if s.m != nil {
		s.m.PubSubIn.Inc()
	}
	n := s.deliver(shard, ch, msg)
	if s.peers != nil {
		for _, r := range s.peers.Call(context.Background(), msgPublish, publishMsg(shard, ch, msg)) {
			if len(r) == 8 {
				n += int64(binary.BigEndian.Uint64(r))
			}
		}
	}
	return n
}

func publish(shard bool) func(*Call) {
	return func(c *Call) { c.Reply(resp.Int(c.s.Publish(shard, c.Args[1], c.Args[2]))) }
}

// PUBSUB queries, answered by every instance over the bus and merged.
const (
	queryChannels byte = iota
	queryNumSub
	queryPatterns
	queryShardChannels
	queryShardNumSub
)

// query answers one PUBSUB query for this instance's subscribers: channel
// names, or a count per channel.
func (s *Engine) query(op byte, args [][]byte) [][]byte {
	h := s.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out [][]byte
	switch op {
	case queryChannels, queryShardChannels:
		k := subChannel
		if op == queryShardChannels {
			k = subShard
		}
		for ch := range h.subs[k] {
			if len(args) == 0 || glob.Match(args[0], []byte(ch), false) {
				out = append(out, []byte(ch))
			}
		}
	case queryPatterns:
		for p := range h.subs[subPattern] {
			out = append(out, []byte(p))
		}
	case queryNumSub, queryShardNumSub:
		k := subChannel
		if op == queryShardNumSub {
			k = subShard
		}
		for _, ch := range args {
			out = append(out, []byte(strconv.Itoa(len(h.subs[k][string(ch)]))))
		}
	}
	return out
}

// encodeList and decodeList carry a list of byte strings on the bus.
func encodeList(op byte, items [][]byte) []byte {
	b := []byte{op}
	for _, it := range items {
		b = binary.BigEndian.AppendUint32(b, uint32(len(it)))
		b = append(b, it...)
	}
	return b
}

func decodeList(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		if uint32(len(b)-4) < n {
			break
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// queryAll runs a query here and on every other instance.
func (s *Engine) queryAll(op byte, args [][]byte) [][][]byte {
	all := [][][]byte{s.query(op, args)}
	if s.peers != nil {
		for _, r := range s.peers.Call(context.Background(), msgQuery, encodeList(op, args)) {
			all = append(all, decodeList(r))
		}
	}
	return all
}

func (s *Engine) queryFromPeer(payload []byte) []byte {
	if len(payload) == 0 {
		return nil
	}
	return encodeList(0, s.query(payload[0], decodeList(payload[1:])))[1:]
}

func pubsubCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	union := func(op byte) {
		seen := map[string]bool{}
		var names [][]byte
		for _, list := range c.s.queryAll(op, c.Args[2:]) {
			for _, ch := range list {
				if !seen[string(ch)] {
					seen[string(ch)] = true
					names = append(names, ch)
				}
			}
		}
		slices.SortFunc(names, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
		if op == queryPatterns {
			c.Reply(resp.Int(len(names)))
			return
		}
		c.Reply(resp.Bulks(names))
	}
	sum := func(op byte) {
		chans := c.Args[2:]
		counts := make([]int64, len(chans))
		for _, list := range c.s.queryAll(op, chans) {
			for i := range min(len(list), len(counts)) {
				v, _ := strconv.ParseInt(string(list[i]), 10, 64)
				counts[i] += v
			}
		}
		out := make(resp.Array, 0, 2*len(chans)) // a flat array in RESP3 too, as Redis 7.0
		for i, ch := range chans {
			out = append(out, resp.Bulk(ch), resp.Int(counts[i]))
		}
		c.Reply(out)
	}
	switch {
	case sub == "channels" && n <= 3:
		union(queryChannels)
	case sub == "shardchannels" && n <= 3:
		union(queryShardChannels)
	case sub == "numpat" && n == 2:
		union(queryPatterns)
	case sub == "numsub":
		sum(queryNumSub)
	case sub == "shardnumsub":
		sum(queryShardNumSub)
	case sub == "help" && n == 2:
		c.Reply(pubsubHelp)
	case sub == "numpat" || sub == "help":
		c.Error(fmt.Sprintf("ERR wrong number of arguments for 'pubsub|%s' command", sub))
	case sub == "channels" || sub == "shardchannels":
		c.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP.", c.Args[1]))
	default:
		c.Error(unknownSubcommand(c.Args))
	}
}

var pubsubHelp = resp.Lines{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

// subscribeAllowed are the commands a RESP2 client in subscribe mode may
// send.
var subscribeAllowed = map[string]bool{
	"subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true,
	"ping": true, "reset": true, "quit": true,
}

// subscribeModeError is Redis's refusal of a command in RESP2 subscribe
// mode, or "" when the command may run.
func (s *Engine) subscribeModeError(cl *Client, cmd *Command, args [][]byte) string {
	if cl.proto != resp.RESP2 || subscribeAllowed[cmd.Name] || !s.subscribed(cl) {
		return ""
	}
	name := cmd.Name
	if len(cmd.Subs) > 0 && len(args) > 1 {
		name += "|" + strings.ToLower(string(args[1]))
	}
	return fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", name)
}

// subCounts are the client's channel, pattern and shard channel
// subscription counts (CLIENT LIST).
func (c *Client) subCounts() [3]int {
	// The engine's hub lock guards subs; info() runs under infoMu, which
	// the hub never takes, so the order infoMu -> hub.mu is safe.
	var n [3]int
	if c.hub == nil {
		return n
	}
	c.hub.mu.RLock()
	for i := range n {
		n[i] = len(c.subs[i])
	}
	c.hub.mu.RUnlock()
	return n
}

// Subscribed reports whether the client is subscribed to anything: such
// clients are not closed for idleness (--timeout), as in Redis.
func (c *Client) Subscribed() bool {
	n := c.subCounts()
	return n[0]+n[1]+n[2] > 0
}
