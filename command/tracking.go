package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// Client-side caching: CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR
// as Redis 7.0 parses and answers them, and each client's tracking state.
// The tracking table and the invalidation messages are in
// tracking_table.go, their way between instances in tracking_bus.go.

// tracking is one client's CLIENT TRACKING state, under Client.infoMu.
type tracking struct {
	bcast, optin, optout, noloop bool
	// redirect is the client that gets the invalidations (0: this one);
	// remoteRedirect: it is a client of another instance.
	redirect       int64
	remoteRedirect bool
	// prefixes are BCAST's prefixes ("" for every key).
	prefixes []string
	// caching is CLIENT CACHING YES (OPTIN) or NO (OPTOUT), for the next
	// command; lastWasClient tells whether the command before the
	// current one was CLIENT, which keeps it.
	caching, lastWasClient bool
	// brokenRedirect: the client redirected to is gone.
	brokenRedirect bool
}

// trackingCommand keeps CLIENT CACHING's flag for the one command after
// it (CLIENT commands do not count), as Redis does.
func (cl *Client) trackingCommand(name string) {
	t := cl.tracking
	if t == nil || cl.inExec {
		// The commands EXEC runs share its CLIENT CACHING flag.
		return
	}
	if t.caching && !t.lastWasClient && !cl.multi {
		t.caching = false
	}
	t.lastWasClient = name == "client"
}

// clientTracking implements CLIENT TRACKING ON|OFF [REDIRECT id]
// [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP].
func clientTracking(c *Call) {
	var o tracking
	var prefixes []string
	args := c.Args
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case argIs(args[j], "REDIRECT") && more:
			j++
			if o.redirect != 0 {
				c.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parse.Int(args[j])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if !c.s.clientExists(id) {
				if o.remoteRedirect = c.s.remoteClientExists(id); !o.remoteRedirect {
					c.Error("ERR The client ID you want redirect to does not exist")
					return
				}
			}
			o.redirect = id
		case argIs(args[j], "BCAST"):
			o.bcast = true
		case argIs(args[j], "OPTIN"):
			o.optin = true
		case argIs(args[j], "OPTOUT"):
			o.optout = true
		case argIs(args[j], "NOLOOP"):
			o.noloop = true
		case argIs(args[j], "PREFIX") && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.Error(errSyntax)
			return
		}
	}
	cl := c.c
	cl.infoMu.Lock()
	ok := c.setTracking(&o, prefixes)
	t := cl.tracking
	if ok {
		c.s.track.set(cl, t)
	}
	cl.infoMu.Unlock()
	if ok && t != nil && c.s.peers != nil {
		c.s.announceTracking()
	}
}

// setTracking applies CLIENT TRACKING's parsed options o and prefixes to
// the client (under its infoMu) and answers; false when refused.
func (c *Call) setTracking(o *tracking, prefixes []string) bool {
	args, cl := c.Args, c.c
	cur := cl.tracking
	switch {
	case argIs(args[2], "OFF"):
		cl.tracking = nil
		c.Reply(resp.OK)
		return true
	case !argIs(args[2], "ON"):
		c.Error(errSyntax)
		return false
	case !o.bcast && len(prefixes) > 0:
		c.Error("ERR PREFIX option requires BCAST mode to be enabled")
		return false
	case cur != nil && cur.bcast != o.bcast:
		c.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return false
	case o.bcast && (o.optin || o.optout):
		c.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return false
	case o.optin && o.optout:
		c.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return false
	case cur != nil && ((o.optin && cur.optout) || (o.optout && cur.optin)):
		c.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		return false
	}
	if o.bcast {
		var existing []string
		if cur != nil {
			existing = cur.prefixes
		}
		if msg := prefixCollision(existing, prefixes); msg != "" {
			c.Error(msg)
			return false
		}
		if len(prefixes) == 0 {
			// As Redis: the empty prefix, unchecked.
			prefixes = []string{""}
		}
		// Redis keeps them in a radix tree: sorted, once each.
		o.prefixes = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(existing), prefixes...))))
	}
	if cur != nil {
		// As in Redis, ON again adds options and prefixes to the state.
		o.optin, o.optout, o.noloop = o.optin || cur.optin, o.optout || cur.optout, o.noloop || cur.noloop
		o.caching, o.lastWasClient = cur.caching, cur.lastWasClient
	}
	cl.tracking = o
	c.Reply(resp.OK)
	return true
}

// prefixCollision returns Redis's error when a new BCAST prefix overlaps
// an existing one or another new one, or "".
func prefixCollision(existing, added []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range added {
		for _, e := range existing {
			if overlap(p, e) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, e)
			}
		}
		for _, q := range added[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

// clientCaching implements CLIENT CACHING YES|NO.
func clientCaching(c *Call) {
	cl := c.c
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	t := cl.tracking
	switch {
	case t == nil || (!t.optin && !t.optout):
		c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	case argIs(c.Args[2], "YES") && !t.optin:
		c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
	case argIs(c.Args[2], "NO") && !t.optout:
		c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
	case argIs(c.Args[2], "YES"), argIs(c.Args[2], "NO"):
		t.caching = true
		c.Reply(resp.OK)
	default:
		c.Error(errSyntax)
	}
}

// trackingInfo is CLIENT TRACKINGINFO's map: flags (a set), redirect and
// prefixes.
func (cl *Client) trackingInfo() resp.Reply {
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	t := cl.tracking
	if t == nil {
		return resp.Map{
			resp.BulkString("flags"), resp.BulkSet{[]byte("off")},
			resp.BulkString("redirect"), resp.Int(-1),
			resp.BulkString("prefixes"), resp.Strings{},
		}
	}
	flags := resp.BulkSet{[]byte("on")}
	add := func(on bool, name string) {
		if on {
			flags = append(flags, []byte(name))
		}
	}
	add(t.bcast, "bcast")
	add(t.optin, "optin")
	add(t.optout, "optout")
	add(t.caching && t.optin, "caching-yes")
	add(t.caching && t.optout, "caching-no")
	add(t.noloop, "noloop")
	add(t.brokenRedirect, "broken_redirect")
	return resp.Map{
		resp.BulkString("flags"), flags,
		resp.BulkString("redirect"), resp.Int(t.redirect),
		resp.BulkString("prefixes"), resp.Strings(t.prefixes),
	}
}

// getRedir is CLIENT GETREDIR: -1 without tracking, 0 without a redirect.
func (cl *Client) getRedir() int64 {
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	if cl.tracking == nil {
		return -1
	}
	return cl.tracking.redirect
}

// clientExists reports whether a client of this instance has id.
func (s *Engine) clientExists(id int64) bool { return s.clientByID(id) != nil }

// clientByID is this instance's client with id, or nil.
func (s *Engine) clientByID(id int64) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}
