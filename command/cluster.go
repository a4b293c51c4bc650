package command

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/titan-kv/titan/cluster"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/settings"
)

// ClusterConfig configures cluster mode: CLUSTER SLOTS, SHARDS, NODES...
// describe the live instances in cluster mode as the masters of a
// healthy Redis Cluster, so that cluster clients spread their load over
// them. Every instance serves every key: nothing is refused with MOVED or
// ASK, and multi-key commands across slots keep working.
type ClusterConfig struct {
	// Enabled turns cluster mode on; off, CLUSTER, READONLY, READWRITE
	// and ASKING answer as a standalone redis-server does.
	Enabled bool
	// Announce is the host:port clients are told to reach this instance
	// at, also published in the instance registry for the others.
	Announce string
	// ScanLimit bounds the keys CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT
	// examine: titan keeps no index of keys by slot, so they walk the
	// database, and past this many keys they answer an error instead.
	// 0 means DefaultSlotScanLimit.
	ScanLimit int
}

// DefaultSlotScanLimit is ClusterConfig.ScanLimit's default.
const DefaultSlotScanLimit = 100000

func (s *Engine) slotScanLimit() int {
	if n := s.cfg.Cluster.ScanLimit; n > 0 {
		return n
	}
	return DefaultSlotScanLimit
}

const errClusterDisabled = "ERR This instance has cluster support disabled"

// clusterCommands is the table of CLUSTER and the connection commands of
// cluster clients.
func clusterCommands() []*Command {
	return []*Command{
		cmd("cluster", clusterCmd, subcommands("info", "slots", "shards", "nodes", "myid", "keyslot",
			"countkeysinslot", "getkeysinslot", "replicas", "slaves", "count-failure-reports", "links", "help")),
		cmd("readonly", clusterOK),
		cmd("readwrite", clusterOK),
		cmd("asking", clusterOK),
	}
}

// clusterOK is READONLY, READWRITE and ASKING: there are no replicas and
// no slot migrations, so they change nothing.
func clusterOK(c *Call) {
	if !c.s.cfg.Cluster.Enabled {
		c.Error(errClusterDisabled)
		return
	}
	c.Reply(resp.OK)
}

// redisMode is INFO's redis_mode and HELLO's mode: cluster in cluster
// mode, as Redis reports it.
func (s *Engine) redisMode() string {
	if s.cfg.Cluster.Enabled {
		return "cluster"
	}
	return "standalone"
}

// clusterEnabledFlag is INFO's cluster_enabled: 1 in cluster mode.
func (s *Engine) clusterEnabledFlag() string {
	if s.cfg.Cluster.Enabled {
		return "1"
	}
	return "0"
}

// registerClusterSettings shows cluster mode under Redis's parameter
// names; they apply at start only.
func (s *Engine) registerClusterSettings() {
	const why = "applies at start only: set it with --cluster-mode, --cluster-announce-ip or --cluster-announce-port (or the [cluster] section of the config file) and restart the instance"
	cc := s.cfg.Cluster
	enabled := "no"
	if cc.Enabled {
		enabled = "yes"
	}
	ip, port := "", "0"
	if cc.Enabled {
		ip, port = splitAnnounce(cc.Announce)
	}
	p := func(name, value string) settings.Param {
		return settings.Param{Name: name, Get: func() string { return value }, Immutable: why}
	}
	s.settings.Register(p("cluster-enabled", enabled), p("cluster-announce-ip", ip), p("cluster-announce-port", port))
}

func splitAnnounce(addr string) (ip, port string) {
	ip, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "0"
	}
	return ip, port
}

// registryMembers is what the bus offers besides Peers: the live members
// of the instance registry, with what each published (package bus).
type registryMembers interface{ Members() []db.Member }

// clusterMap is the slot map as this instance sees the registry now:
// itself and the members that published an announce address (cluster
// mode).
func (s *Engine) clusterMap() []cluster.Node {
	var addrs []string
	if rm, ok := s.peers.(registryMembers); ok {
		for _, m := range rm.Members() {
			if m.Info != "" {
				addrs = append(addrs, m.Info)
			}
		}
	}
	return cluster.Map(s.cfg.Cluster.Announce, addrs)
}

func clusterCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	known := c.cmd.Spec.Sub(sub)
	switch {
	case known == nil && (sub != "myshardid" || !c.s.cfg.Cluster.Enabled):
		// MYSHARDID came with Redis 7.2: unknown to a standalone 7.0.
		c.Error(unknownSubcommand(c.Args))
		return
	case known != nil && !known.ArityOK(len(c.Args)), sub == "myshardid" && len(c.Args) != 2:
		c.Error(fmt.Sprintf("ERR wrong number of arguments for 'cluster|%s' command", sub))
		return
	case !c.s.cfg.Cluster.Enabled:
		c.Error(errClusterDisabled)
		return
	}
	switch sub {
	case "info":
		c.Reply(resp.Verbatim(clusterInfo(c.s.clusterMap())))
	case "slots":
		c.Reply(clusterSlots(c.s.clusterMap()))
	case "shards":
		c.Reply(clusterShards(c.s.clusterMap()))
	case "nodes":
		c.Reply(resp.Verbatim(clusterNodes(c.s.clusterMap(), time.Now().UnixMilli())))
	case "myid":
		c.Reply(resp.BulkString(cluster.NodeID(c.s.cfg.Cluster.Announce)))
	case "myshardid":
		c.Reply(resp.BulkString(cluster.ShardID(c.s.cfg.Cluster.Announce)))
	case "keyslot":
		c.Reply(resp.Int(cluster.KeySlot(c.Args[2])))
	case "countkeysinslot":
		countKeysInSlot(c)
	case "getkeysinslot":
		getKeysInSlot(c)
	case "replicas", "slaves", "count-failure-reports":
		// Every node is a master without replicas nor failure reports.
		for _, n := range c.s.clusterMap() {
			if n.ID == string(c.Args[2]) {
				if sub == "count-failure-reports" {
					c.Reply(resp.Int(0))
				} else {
					c.Reply(resp.Array{})
				}
				return
			}
		}
		c.Error("ERR Unknown node " + string(c.Args[2]))
	case "links":
		// Instances talk over the bus, not Redis's cluster bus.
		c.Reply(resp.Array{})
	case "help":
		c.Reply(clusterHelp())
	default:
		c.Error(fmt.Sprintf("ERR CLUSTER %s is not supported: titan divides the slots among its live instances itself", strings.ToUpper(sub)))
	}
}

// clusterInfo is CLUSTER INFO's text, as Redis 7.0 writes it for a
// healthy cluster whose nodes are all masters. There is no cluster bus
// traffic to count.
func clusterInfo(nodes []cluster.Node) string {
	my := 0
	for _, n := range nodes {
		if n.Myself {
			my = n.Epoch
		}
	}
	var b strings.Builder
	b.WriteString("cluster_state:ok\r\n")
	for _, l := range []struct {
		k string
		v int
	}{
		{"cluster_slots_assigned", cluster.Slots}, {"cluster_slots_ok", cluster.Slots},
		{"cluster_slots_pfail", 0}, {"cluster_slots_fail", 0},
		{"cluster_known_nodes", len(nodes)}, {"cluster_size", len(nodes)},
		{"cluster_current_epoch", len(nodes)}, {"cluster_my_epoch", my},
		{"cluster_stats_messages_sent", 0}, {"cluster_stats_messages_received", 0},
		{"total_cluster_links_buffer_limit_exceeded", 0},
	} {
		fmt.Fprintf(&b, "%s:%d\r\n", l.k, l.v)
	}
	return b.String()
}

// clusterSlots is CLUSTER SLOTS: per node, its range and [ip, port, id,
// {}] (no hostname to add as metadata).
func clusterSlots(nodes []cluster.Node) resp.Array {
	out := resp.Array{}
	for _, n := range nodes {
		if n.End < n.Start {
			continue
		}
		out = append(out, resp.Array{resp.Int(n.Start), resp.Int(n.End),
			resp.Array{resp.BulkString(n.IP), resp.Int(n.Port), resp.BulkString(n.ID), resp.Map{}}})
	}
	return out
}

// clusterShards is CLUSTER SHARDS: one shard per node, each a master
// alone, with Redis 7.0's fields.
func clusterShards(nodes []cluster.Node) resp.Array {
	out := resp.Array{}
	for _, n := range nodes {
		slots := resp.Array{}
		if n.End >= n.Start {
			slots = resp.Array{resp.Int(n.Start), resp.Int(n.End)}
		}
		node := resp.Map{
			resp.BulkString("id"), resp.BulkString(n.ID),
			resp.BulkString("port"), resp.Int(n.Port),
			resp.BulkString("ip"), resp.BulkString(n.IP),
			resp.BulkString("endpoint"), resp.BulkString(n.IP),
			resp.BulkString("role"), resp.BulkString("master"),
			resp.BulkString("replication-offset"), resp.Int(0),
			resp.BulkString("health"), resp.BulkString("online"),
		}
		out = append(out, resp.Map{resp.BulkString("slots"), slots, resp.BulkString("nodes"), resp.Array{node}})
	}
	return out
}

// clusterNodes is CLUSTER NODES: Redis 7.0's line per node,
// "<id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv>
// <config-epoch> <link-state> <slots>", the bus port being port+10000 as
// Redis prints it by default. Peers answered a ping just now (nowMs):
// they are in the registry.
func clusterNodes(nodes []cluster.Node, nowMs int64) string {
	var b strings.Builder
	for _, n := range nodes {
		flags, pong := "master", nowMs
		if n.Myself {
			flags, pong = "myself,master", 0
		}
		fmt.Fprintf(&b, "%s %s:%d@%d %s - 0 %d %d connected", n.ID, n.IP, n.Port, n.Port+10000, flags, pong, n.Epoch)
		switch {
		case n.End < n.Start:
		case n.Start == n.End:
			fmt.Fprintf(&b, " %d", n.Start)
		default:
			fmt.Fprintf(&b, " %d-%d", n.Start, n.End)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// slotArg parses a slot as Redis does: not an integer, or outside 0 to
// 16383, is an error.
func slotArg(b []byte) (int64, string) {
	n, ok := parse.Int(b)
	if !ok {
		return 0, errNotInteger
	}
	if n < 0 || n >= cluster.Slots {
		return n, "ERR Invalid slot"
	}
	return n, ""
}

// countKeysInSlot is CLUSTER COUNTKEYSINSLOT: a walk over the current
// database (no slot index), refused past the scan limit.
func countKeysInSlot(c *Call) {
	slot, msg := slotArg(c.Args[2])
	if msg != "" {
		c.Error(msg)
		return
	}
	limit := c.s.slotScanLimit()
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		ks := tx.Keyspace()
		if n, err := ks.Counts(); err != nil || n.Keys > int64(limit) {
			return nil, slotScanError(err, "COUNTKEYSINSLOT", limit)
		}
		count := 0
		ended, err := ks.Walk(limit, func(key []byte) bool {
			if cluster.KeySlot(key) == int(slot) {
				count++
			}
			return true
		})
		if err != nil || !ended {
			return nil, slotScanError(err, "COUNTKEYSINSLOT", limit)
		}
		return resp.Int(count), nil
	})
}

// getKeysInSlot is CLUSTER GETKEYSINSLOT: a walk over the current
// database until count keys of the slot are found, refused when the
// scan limit's keys did not find them.
func getKeysInSlot(c *Call) {
	slot, ok := parse.Int(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	count, ok := parse.Int(c.Args[3])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	if slot < 0 || slot >= cluster.Slots || count < 0 {
		c.Error("ERR Invalid slot or number of keys")
		return
	}
	limit := c.s.slotScanLimit()
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		keys := [][]byte{}
		if count == 0 {
			return resp.Bulks(keys), nil
		}
		ended, err := tx.Keyspace().Walk(limit, func(key []byte) bool {
			if cluster.KeySlot(key) == int(slot) {
				keys = append(keys, key)
			}
			return int64(len(keys)) < count
		})
		if err != nil || !ended {
			return nil, slotScanError(err, "GETKEYSINSLOT", limit)
		}
		return resp.Bulks(keys), nil
	})
}

// slotScanError is the error of a slot walk: the store's, or the bound's.
func slotScanError(err error, sub string, limit int) error {
	if err != nil {
		return fmt.Errorf("cluster %s: %w", strings.ToLower(sub), err)
	}
	return db.UserError("ERR titan keeps no index of keys by slot: CLUSTER " + sub +
		" walks the database and gives up past " + strconv.Itoa(limit) + " keys")
}

// clusterHelp is Redis 7.0's CLUSTER HELP.
func clusterHelp() resp.Lines {
	return resp.Lines{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ADDSLOTS <slot> [<slot> ...]",
		"    Assign slots to current node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Assign slots which are between <start-slot> and <end-slot> to current node.",
		"BUMPEPOCH",
		"    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>",
		"    Return number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>",
		"    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]",
		"    Delete slots information from current node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
		"FAILOVER [FORCE|TAKEOVER]",
		"    Promote current replica node to being a master.",
		"FORGET <node-id>",
		"    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>",
		"    Return key names stored by current node in a slot.",
		"FLUSHSLOTS",
		"    Delete current node own slots information.",
		"INFO",
		"    Return information about the cluster.",
		"KEYSLOT <key>",
		"    Return the hash slot for <key>.",
		"MEET <ip> <port> [<bus-port>]",
		"    Connect nodes into a working cluster.",
		"MYID",
		"    Return the node id.",
		"NODES",
		"    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"REPLICATE <node-id>",
		"    Configure current node as replica to <node-id>.",
		"RESET [HARD|SOFT]",
		"    Reset current node (default: soft).",
		"SET-CONFIG-EPOCH <epoch>",
		"    Set config epoch of current node.",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
		"    Set slot state.",
		"REPLICAS <node-id>",
		"    Return <node-id> replicas.",
		"SAVECONFIG",
		"    Force saving cluster configuration on disk.",
		"SLOTS",
		"    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
		"SHARDS",
		"    Return information about slot range mappings and the nodes associated with them.",
		"LINKS",
		"    Return information about all network links between this node and its peers.",
		"    Output format is an array where each array element is a map containing attributes of a link",
		"HELP",
		"    Prints this help.",
	}
}
