package command

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// Stream consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and
// XINFO (stream.go has the entries and XREADGROUP).

// xgroupHelp is Redis 7.0's XGROUP HELP.
var xgroupHelp = resp.Lines{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

// xinfoHelp is Redis 7.0's XINFO HELP.
var xinfoHelp = resp.Lines{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// parseEntriesRead reads ENTRIESREAD's value: >= 0 or -1.
func parseEntriesRead(c *Call, b []byte) (int64, bool) {
	n, ok := parse.Int(b)
	if !ok {
		c.Error(errNotInteger)
		return 0, false
	}
	if n < 0 && n != -1 {
		c.Error("ERR value for ENTRIESREAD must be positive or -1")
		return 0, false
	}
	return n, true
}

func xgroup(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	if sub == "help" {
		c.Reply(xgroupHelp)
		return
	}
	if c.cmd.sub(c.Args) == nil {
		c.Error(unknownSubcommand(c.Args))
		return
	}
	key, group := c.Args[2], c.Args[3]
	entriesRead := int64(-1)
	mkstream := false
	switch sub {
	case "create":
		for i := 5; i < len(c.Args); {
			switch {
			case argIs(c.Args[i], "mkstream"):
				mkstream = true
				i++
			case argIs(c.Args[i], "entriesread") && i+1 < len(c.Args):
				n, ok := parseEntriesRead(c, c.Args[i+1])
				if !ok {
					return
				}
				entriesRead = n
				i += 2
			default:
				c.Error(subcommandSyntax(c.Args))
				return
			}
		}
		if len(c.Args) > 8 {
			c.Error(subcommandSyntax(c.Args))
			return
		}
	case "setid":
		switch len(c.Args) {
		case 5:
		case 7:
			if !argIs(c.Args[5], "entriesread") {
				c.Error(subcommandSyntax(c.Args))
				return
			}
			n, ok := parseEntriesRead(c, c.Args[6])
			if !ok {
				return
			}
			entriesRead = n
		default:
			c.Error(subcommandSyntax(c.Args))
			return
		}
	}
	// The ID is checked after the key and group, as Redis does.
	var gid db.GroupID
	idOK := true
	if sub == "create" || sub == "setid" {
		if raw := c.Args[4]; len(raw) == 1 && raw[0] == '$' {
			gid.Last = true
		} else {
			gid.ID, _, idOK = parseStreamID(raw, 0, sub == "create", false)
		}
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		st := tx.Stream(key)
		needGroup := sub == "setid" || sub == "createconsumer" || sub == "delconsumer"
		if err := st.XGroupCheck(group, needGroup, mkstream); err != nil {
			return nil, err
		}
		if !idOK {
			return nil, db.UserError(errInvalidID)
		}
		switch sub {
		case "create":
			return resp.Of(resp.OK, st.CreateGroup(group, gid, mkstream, entriesRead))
		case "setid":
			return resp.Of(resp.OK, st.SetGroupID(group, gid, entriesRead))
		case "destroy":
			ok, err := st.DestroyGroup(group)
			return resp.Of(resp.Bool(ok), err)
		case "createconsumer":
			ok, err := st.CreateConsumer(group, c.Args[4])
			return resp.Of(resp.Bool(ok), err)
		default:
			return resp.IntOf(st.DelConsumer(group, c.Args[4]))
		}
	})
}

func xack(c *Call) {
	ids := make([]db.StreamID, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		id, ok := c.strictID(a)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Stream(c.Args[1]).Ack(c.Args[2], ids)) })
}

func xpending(c *Call) {
	key, group := c.Args[1], c.Args[2]
	if len(c.Args) == 3 {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			ps, err := tx.Stream(key).Pending(group)
			if err != nil {
				return nil, err
			}
			if ps.Count == 0 {
				return resp.Array{resp.Int(0), resp.Null, resp.Null, resp.NullArray}, nil
			}
			cons := make(resp.Array, len(ps.Consumers))
			for i, cc := range ps.Consumers {
				cons[i] = resp.Array{resp.Bulk(cc.Name), resp.BulkString(fmt.Sprint(cc.Count))}
			}
			return resp.Array{resp.Int(ps.Count), idReply(ps.Min), idReply(ps.Max), cons}, nil
		})
		return
	}
	if len(c.Args) < 6 || len(c.Args) > 9 {
		c.Error(errSyntax)
		return
	}
	a := db.PendingRangeArgs{}
	i := 3
	if argIs(c.Args[i], "idle") && len(c.Args) > i+1 {
		n, ok := parse.Int(c.Args[i+1])
		if !ok {
			c.Error(errNotInteger)
			return
		}
		a.MinIdle = n
		i += 2
	}
	if len(c.Args) < i+3 {
		c.Error(errSyntax)
		return
	}
	n, ok := parse.Int(c.Args[i+2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	a.Count = max(n, 0)
	var msg string
	if a.Start, msg = intervalStart(c.Args[i]); msg != "" {
		c.Error(msg)
		return
	}
	if a.End, msg = intervalEnd(c.Args[i+1]); msg != "" {
		c.Error(msg)
		return
	}
	if len(c.Args) > i+3 {
		a.Consumer = c.Args[i+3]
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		pes, err := tx.Stream(key).PendingRange(group, a)
		if err != nil {
			return nil, err
		}
		out := make(resp.Array, len(pes))
		for j, p := range pes {
			out[j] = resp.Array{idReply(p.ID), resp.Bulk(p.Consumer), resp.Int(p.Idle), resp.Int(p.DeliveryCount)}
		}
		return out, nil
	})
}

func xclaim(c *Call) {
	minIdle, ok := parse.Int(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	a := db.ClaimArgs{Consumer: c.Args[3], MinIdle: max(minIdle, 0), DeliveryTime: -1, RetryCount: -1}
	j := 5
	for ; j < len(c.Args); j++ {
		id, _, ok := parseStreamID(c.Args[j], 0, true, false)
		if !ok {
			break
		}
		a.IDs = append(a.IDs, id)
	}
	now := time.Now().UnixMilli()
	// The options that take an integer, each with what it sets.
	intOptions := map[string]func(n int64){
		"IDLE":       func(n int64) { a.DeliveryTime = now - n },
		"TIME":       func(n int64) { a.DeliveryTime = n },
		"RETRYCOUNT": func(n int64) { a.RetryCount = n },
	}
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		o := c.Args[j]
		if set, ok := intOptions[strings.ToUpper(string(o))]; ok && more > 0 {
			j++
			n, ok := parse.Int(c.Args[j])
			if !ok {
				c.Error("ERR Invalid " + strings.ToUpper(string(o)) + " option argument for XCLAIM")
				return
			}
			set(n)
			continue
		}
		switch {
		case argIs(o, "force"):
			a.Force = true
		case argIs(o, "justid"):
			a.JustID = true
		case argIs(o, "lastid") && more > 0:
			j++
			id, ok := c.strictID(c.Args[j])
			if !ok {
				return
			}
			a.LastID = &id
		default:
			c.Error(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", o))
			return
		}
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		es, err := tx.Stream(c.Args[1]).Claim(c.Args[2], a)
		if err != nil {
			return nil, err
		}
		if a.JustID {
			return idsReply(es), nil
		}
		return entriesReply(es), nil
	})
}

func idsReply(es []db.StreamEntry) resp.Reply {
	out := make(resp.Array, len(es))
	for i, e := range es {
		out[i] = idReply(e.ID)
	}
	return out
}

func xautoclaim(c *Call) {
	minIdle, ok := parse.Int(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	a := db.AutoClaimArgs{Consumer: c.Args[3], MinIdle: max(minIdle, 0), Count: 100}
	start, msg := intervalStart(c.Args[5])
	if msg != "" {
		c.Error(msg)
		return
	}
	a.Start = start
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case argIs(c.Args[j], "count") && more > 0:
			j++
			n, ok := parse.Int(c.Args[j])
			if !ok || n < 1 || n > math.MaxInt64/10 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			a.Count = n
		case argIs(c.Args[j], "justid"):
			a.JustID = true
		default:
			c.Error(errSyntax)
			return
		}
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		r, err := tx.Stream(c.Args[1]).AutoClaim(c.Args[2], a)
		if err != nil {
			return nil, err
		}
		var claimed resp.Reply = entriesReply(r.Claimed)
		if a.JustID {
			claimed = idsReply(r.Claimed)
		}
		del := make(resp.Array, len(r.Deleted))
		for i, id := range r.Deleted {
			del[i] = idReply(id)
		}
		return resp.Array{idReply(r.Next), claimed, del}, nil
	})
}

// --- XINFO ---

func xinfo(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	if sub == "help" {
		c.Reply(xinfoHelp)
		return
	}
	if c.cmd.sub(c.Args) == nil {
		c.Error(unknownSubcommand(c.Args))
		return
	}
	key := c.Args[2]
	switch sub {
	case "consumers":
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			cs, err := tx.Stream(key).ConsumersInfo(c.Args[3])
			if err != nil {
				return nil, err
			}
			out := make(resp.Array, len(cs))
			for i, ci := range cs {
				out[i] = resp.Map{resp.BulkString("name"), resp.Bulk(ci.Name), resp.BulkString("pending"), resp.Int(ci.Pending),
					resp.BulkString("idle"), resp.Int(ci.Idle)}
			}
			return out, nil
		})
	case "groups":
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			gs, err := tx.Stream(key).GroupsInfo()
			if err != nil {
				return nil, err
			}
			out := make(resp.Array, len(gs))
			for i, g := range gs {
				out[i] = resp.Map{resp.BulkString("name"), resp.Bulk(g.Name), resp.BulkString("consumers"), resp.Int(g.Consumers),
					resp.BulkString("pending"), resp.Int(g.Pending), resp.BulkString("last-delivered-id"), idReply(g.LastID),
					resp.BulkString("entries-read"), entriesRead(g.EntriesRead), resp.BulkString("lag"), lagReply(g.Lag, g.LagKnown)}
			}
			return out, nil
		})
	default:
		xinfoStream(c, key)
	}
}

func entriesRead(n int64) resp.Reply {
	if n < 0 {
		return resp.Null
	}
	return resp.Int(n)
}

func lagReply(n int64, known bool) resp.Reply {
	if !known {
		return resp.Null
	}
	return resp.Int(n)
}

func xinfoStream(c *Call, key []byte) {
	full := false
	count := int64(10)
	args := c.Args[3:]
	if len(args) > 0 {
		if !argIs(args[0], "full") {
			c.Error(subcommandSyntax(c.Args))
			return
		}
		full = true
		switch {
		case len(args) == 1:
		case len(args) == 3 && argIs(args[1], "count"):
			n, ok := parse.Int(args[2])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			count = max(n, 0)
		default:
			c.Error(subcommandSyntax(c.Args))
			return
		}
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		in, err := tx.Stream(key).Info(full, count)
		if err != nil {
			return nil, err
		}
		nodes := (in.Length + 99) / 100
		out := resp.Map{
			resp.BulkString("length"), resp.Int(in.Length),
			resp.BulkString("radix-tree-keys"), resp.Int(nodes),
			resp.BulkString("radix-tree-nodes"), resp.Int(nodes + 1),
			resp.BulkString("last-generated-id"), idReply(in.LastID),
			resp.BulkString("max-deleted-entry-id"), idReply(in.MaxDeletedID),
			resp.BulkString("entries-added"), resp.Int(in.EntriesAdded),
			resp.BulkString("recorded-first-entry-id"), idReply(in.FirstID),
		}
		if !full {
			out = append(out, resp.BulkString("groups"), resp.Int(in.Groups),
				resp.BulkString("first-entry"), entryOrNull(in.First),
				resp.BulkString("last-entry"), entryOrNull(in.Last))
			return out, nil
		}
		out = append(out, resp.BulkString("entries"), entriesReply(in.Entries))
		groups := make(resp.Array, len(in.Full))
		for i, g := range in.Full {
			pel := make(resp.Array, len(g.PEL))
			for j, p := range g.PEL {
				pel[j] = resp.Array{idReply(p.ID), resp.Bulk(p.Consumer), resp.Int(p.Idle), resp.Int(p.DeliveryCount)}
			}
			cons := make(resp.Array, len(g.Consumers))
			for j, ci := range g.Consumers {
				cpel := make(resp.Array, len(ci.PEL))
				for k, p := range ci.PEL {
					cpel[k] = resp.Array{idReply(p.ID), resp.Int(p.Idle), resp.Int(p.DeliveryCount)}
				}
				cons[j] = resp.Map{resp.BulkString("name"), resp.Bulk(ci.Name), resp.BulkString("seen-time"), resp.Int(ci.SeenTime),
					resp.BulkString("pel-count"), resp.Int(ci.Pending), resp.BulkString("pending"), cpel}
			}
			groups[i] = resp.Map{resp.BulkString("name"), resp.Bulk(g.Name), resp.BulkString("last-delivered-id"), idReply(g.LastID),
				resp.BulkString("entries-read"), entriesRead(g.EntriesRead), resp.BulkString("lag"), lagReply(g.Lag, g.LagKnown),
				resp.BulkString("pel-count"), resp.Int(g.Pending), resp.BulkString("pending"), pel,
				resp.BulkString("consumers"), cons}
		}
		out = append(out, resp.BulkString("groups"), groups)
		return out, nil
	})
}

func entryOrNull(e *db.StreamEntry) resp.Reply {
	if e == nil {
		return resp.Null
	}
	return resp.Array{idReply(e.ID), resp.Bulks(e.Fields)}
}
