package command

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/titan-kv/titan/acl"
	"github.com/titan-kv/titan/atomicfile"
	"github.com/titan-kv/titan/resp"
)

// ACL SAVE and ACL LOAD move the users between the store, where every
// instance reads them, and the aclfile of the instance that runs the
// command, in Redis's format: one "user <name> <rules>" line per user, as
// ACL LIST shows them. Nothing loads the file at start: the store keeps
// the users across restarts, and an instance starting with an older file
// must not undo another's changes.

// errNoACLFile is Redis's answer to ACL LOAD and SAVE without an aclfile.
const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// aclSave writes every user to the aclfile, replacing it whole.
func aclSave(c *Call) {
	path := c.s.cfg.ACLFile
	if path == "" {
		c.Error(errNoACLFile)
		return
	}
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	var b strings.Builder
	for _, n := range c.s.aclNames() {
		if u := c.s.aclUser(n); u != nil {
			fmt.Fprintf(&b, "user %s %s\n", n, u.Rules())
		}
	}
	if err := atomicfile.Write(path, []byte(b.String())); err != nil {
		slog.Warn("ACL SAVE failed", "file", path, "err", err)
		c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.Reply(resp.OK)
}

// aclLoad replaces the stored users with the aclfile's, all or none: a
// file with any bad line changes nothing and the error lists every bad
// line, as Redis's does. A file without a default user leaves the default
// user of requirepass.
func aclLoad(c *Call) {
	path := c.s.cfg.ACLFile
	if path == "" {
		c.Error(errNoACLFile)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		c.Error(fmt.Sprintf("ERR Error loading ACLs, opening file '%s': %s", path, pathErrText(err)))
		return
	}
	users, errs := parseACLFile(path, string(data))
	if errs != "" {
		c.Error("ERR " + errs)
		return
	}
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	var del []string
	for _, n := range c.s.aclNames() {
		if _, ok := users[n]; !ok {
			del = append(del, n)
		}
	}
	if err := c.s.aclStore(users, del); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	c.Reply(resp.OK)
}

// pathErrText is the system's text of a file error, without the path.
func pathErrText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseACLFile parses an aclfile; errs holds Redis's texts for the bad
// lines, empty when every line is good.
func parseACLFile(path, data string) (users map[string]*acl.User, errs string) {
	users = map[string]*acl.User{}
	var b strings.Builder
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" { // Redis 7.0 has no comments in an aclfile
			continue
		}
		f := strings.Fields(line)
		if f[0] != "user" || len(f) < 2 {
			fmt.Fprintf(&b, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		if _, dup := users[f[1]]; dup {
			fmt.Fprintf(&b, "WARNING: Duplicate user '%s' found on line %d. ", f[1], n)
			continue
		}
		u := acl.NewUser(f[1])
		if err := u.Apply(f[2:]); err != nil {
			if _, ok := err.(acl.UnmatchedError); ok {
				fmt.Fprintf(&b, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
				continue
			}
			msg := err.Error()
			if i := strings.Index(msg, "': "); i >= 0 {
				msg = msg[i+3:]
			}
			fmt.Fprintf(&b, "%s:%d: %s. ", path, n, msg)
			continue
		}
		users[f[1]] = u
	}
	if b.Len() > 0 {
		b.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
	}
	return users, b.String()
}
