package command

import (
	"strconv"
	"strings"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
)

// Keyspace notifications (notify-keyspace-events). A command's job records
// the keys it changed (db.Change, the same changes db.OnCommit reports);
// once it committed, each change is published as Redis names it, on
// __keyspace@<db>__:<key> and __keyevent@<db>__:<event>, to subscribers of
// every instance (without waiting for their counts). Keys removed by the
// expirer are published as "expired" from the commit hook.

// Event classes, as Redis's NOTIFY_* flags.
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZSet                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n
	notifyAll      = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet | notifyExpired | notifyEvicted | notifyStream | notifyModule
)

var notifyChars = []struct {
	c    byte
	flag int
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet}, {'h', notifyHash},
	{'z', notifyZSet}, {'x', notifyExpired}, {'e', notifyEvicted}, {'t', notifyStream}, {'d', notifyModule},
	{'n', notifyNew},
}

// parseNotifyFlags parses a notify-keyspace-events value; false for an
// unknown character.
func parseNotifyFlags(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 'A':
			flags |= notifyAll
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 'm':
			flags |= notifyKeyMiss
		default:
			found := false
			for _, nc := range notifyChars {
				if nc.c == c {
					flags |= nc.flag
					found = true
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return flags, true
}

// notifyFlagsString renders flags as CONFIG GET does.
func notifyFlagsString(flags int) string {
	var b strings.Builder
	if flags&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, nc := range notifyChars {
			if flags&nc.flag != 0 {
				b.WriteByte(nc.c)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&notifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// notify publishes one event of class for key in db.
func (s *Engine) notify(class int, event string, dbi uint16, key []byte) {
	flags := int(s.notifyFlags.Load())
	if flags&class == 0 {
		return
	}
	d := strconv.Itoa(int(dbi))
	if flags&notifyKeyspace != 0 {
		s.publishNoWait([]byte("__keyspace@"+d+"__:"+string(key)), []byte(event))
	}
	if flags&notifyKeyevent != 0 {
		s.publishNoWait([]byte("__keyevent@"+d+"__:"+event), key)
	}
}

// publishNoWait publishes without waiting for the other instances' counts.
func (s *Engine) publishNoWait(ch, msg []byte) {
	if s.m != nil {
		s.m.PubSubIn.Inc()
	}
	s.deliver(false, ch, msg)
	if s.peers != nil {
		s.peers.Broadcast(msgPublish, publishMsg(false, ch, msg))
	}
}

// typeClass is the event class of a type's own events.
func typeClass(t encoding.Type) int {
	switch t {
	case encoding.TypeString:
		return notifyString
	case encoding.TypeList:
		return notifyList
	case encoding.TypeSet:
		return notifySet
	case encoding.TypeHash:
		return notifyHash
	case encoding.TypeZSet:
		return notifyZSet
	case encoding.TypeStream:
		return notifyStream
	}
	return notifyGeneric
}

// commandEvents are the events of commands whose every changed key gets
// the same event name (of the class of the key's type); a key the command
// left empty also gets "del".
var commandEvents = map[string]string{
	"set": "set", "setnx": "set", "getset": "set", "mset": "set", "msetnx": "set",
	"append": "append", "setrange": "setrange", "incr": "incrby", "decr": "incrby", "incrby": "incrby",
	"decrby": "incrby", "incrbyfloat": "incrbyfloat", "setbit": "setbit", "bitop": "set",
	"lpush": "lpush", "lpushx": "lpush", "rpush": "rpush", "rpushx": "rpush", "lpop": "lpop", "rpop": "rpop",
	"blpop": "lpop", "brpop": "rpop", "linsert": "linsert", "lset": "lset", "lrem": "lrem", "ltrim": "ltrim",
	"hset": "hset", "hmset": "hset", "hsetnx": "hset", "hdel": "hdel", "hincrby": "hincrby", "hincrbyfloat": "hincrbyfloat",
	"sadd": "sadd", "srem": "srem", "spop": "spop", "sinterstore": "sinterstore", "sunionstore": "sunionstore",
	"sdiffstore": "sdiffstore",
	"zadd":       "zadd", "zincrby": "zincr", "zrem": "zrem", "zpopmin": "zpopmin", "zpopmax": "zpopmax",
	"bzpopmin": "zpopmin", "bzpopmax": "zpopmax", "zremrangebyscore": "zremrangebyscore",
	"zremrangebyrank": "zremrangebyrank", "zremrangebylex": "zremrangebylex", "zunionstore": "zunionstore",
	"zinterstore": "zinterstore", "zdiffstore": "zdiffstore", "zrangestore": "zrangestore",
	"del": "del", "unlink": "del", "getdel": "del", "persist": "persist",
	"expire": "expire", "pexpire": "expire", "expireat": "expire", "pexpireat": "expire",
	"xadd": "xadd", "xdel": "xdel", "xtrim": "xtrim", "xsetid": "xsetid",
}

// notifyCall publishes the events of a committed command.
func (s *Engine) notifyCall(c *Call, changes []db.Change) {
	if s.notifyFlags.Load() == 0 || len(changes) == 0 {
		return
	}
	name := c.name
	switch name {
	case "rpoplpush", "brpoplpush", "lmove", "blmove":
		s.notifyListMove(c, changes)
		return
	case "smove", "rename", "renamenx", "copy":
	default:
		changes = lastPerKey(changes)
	}
	dbi := changes[0].DB
	emit := func(class int, event string, key []byte) { s.notify(class, event, dbi, key) }
	for i, ch := range changes {
		dbi = ch.DB
		event, class := "", typeClass(ch.Type)
		switch name {
		case "smove", "rename", "renamenx", "copy":
			event, class = moveEvent(c, i, ch)
		case "lmpop", "blmpop", "zmpop", "bzmpop":
			event = mpopEvent(c)
		case "zadd":
			event = "zadd"
			for _, a := range c.Args[2:] {
				if argIs(a, "INCR") {
					event = "zincr"
				}
			}
		case "setex", "psetex":
			emit(notifyString, "set", ch.Key)
			event, class = "expire", notifyGeneric
		case "getex":
			event, class = "expire", notifyGeneric
			for _, a := range c.Args[2:] {
				if argIs(a, "PERSIST") {
					event = "persist"
				}
			}
		default:
			event = commandEvents[name]
			switch name {
			case "del", "unlink", "getdel", "persist", "expire", "pexpire", "expireat", "pexpireat":
				class = notifyGeneric
			}
		}
		if event == "" {
			continue
		}
		if ch.Type == 0 {
			// The key is gone: an expiry in the past deletes; anything
			// else that emptied a collection says so, then "del".
			switch event {
			case "expire":
				emit(notifyGeneric, "del", ch.Key)
				continue
			case "del", "rename_from":
			default:
				emit(class, event, ch.Key)
				event, class = "del", notifyGeneric
			}
		}
		emit(class, event, ch.Key)
		if name == "set" && ch.Type == encoding.TypeString && setHasExpiry(c.Args) {
			emit(notifyGeneric, "expire", ch.Key)
		}
	}
}

func setHasExpiry(args [][]byte) bool {
	for _, a := range args[3:] {
		if argIs(a, "EX") || argIs(a, "PX") || argIs(a, "EXAT") || argIs(a, "PXAT") {
			return true
		}
	}
	return false
}

// moveEvent names the event of the i-th change of a command that moves
// between a source (Args[1]) and a destination (Args[2]).
func moveEvent(c *Call, i int, ch db.Change) (string, int) {
	src := string(ch.Key) == string(c.Args[1]) && (i == 0 || string(c.Args[1]) != string(c.Args[2]))
	switch c.name {
	case "smove":
		if src {
			return "srem", notifySet
		}
		return "sadd", notifySet
	case "rename", "renamenx":
		if src {
			return "rename_from", notifyGeneric
		}
		return "rename_to", notifyGeneric
	case "copy":
		if !src {
			return "copy_to", notifyGeneric
		}
	}
	return "", 0
}

// mpopEvent names the event of LMPOP, BLMPOP, ZMPOP and BZMPOP.
func mpopEvent(c *Call) string {
	for _, a := range c.Args {
		switch {
		case argIs(a, "LEFT"):
			return "lpop"
		case argIs(a, "RIGHT"):
			return "rpop"
		case argIs(a, "MIN"):
			return "zpopmin"
		case argIs(a, "MAX"):
			return "zpopmax"
		}
	}
	return ""
}

// notifyExpired publishes "expired" for the keys the expirer removed.
func (s *Engine) notifyExpired(changes []db.Change) {
	if s.notifyFlags.Load() == 0 {
		return
	}
	for _, ch := range changes {
		if ch.Expired {
			s.notify(notifyExpired, "expired", ch.DB, ch.Key)
		}
	}
}

// lastPerKey keeps the last change of each key, in the order the keys
// were first changed (a command may write a key's metadata twice).
func lastPerKey(changes []db.Change) []db.Change {
	out := make([]db.Change, 0, len(changes))
	at := make(map[string]int, len(changes))
	for _, ch := range changes {
		k := strconv.Itoa(int(ch.DB)) + ":" + string(ch.Key)
		if i, ok := at[k]; ok {
			out[i] = ch
			continue
		}
		at[k] = len(out)
		out = append(out, ch)
	}
	return out
}

// notifyListMove publishes RPOPLPUSH's and LMOVE's events as Redis does:
// the push on the destination, the pop on the source, then "del" if the
// source became empty.
func (s *Engine) notifyListMove(c *Call, changes []db.Change) {
	src, dst := c.Args[1], c.Args[2]
	pop, push := "rpop", "lpush"
	if c.name == "lmove" || c.name == "blmove" {
		pop, push = "rpop", "rpush"
		if argIs(c.Args[3], "LEFT") {
			pop = "lpop"
		}
		if argIs(c.Args[4], "LEFT") {
			push = "lpush"
		}
	}
	dbi := changes[0].DB
	srcGone := false
	for _, ch := range changes {
		if string(ch.Key) == string(src) {
			srcGone = ch.Type == 0
		}
	}
	s.notify(notifyList, push, dbi, dst)
	s.notify(notifyList, pop, dbi, src)
	if srcGone && string(src) != string(dst) {
		s.notify(notifyGeneric, "del", dbi, src)
	}
}
