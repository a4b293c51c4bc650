package command

import (
	"strings"

	"github.com/titan-kv/titan/acl"
)

// Commands called by scripts are checked against the ACL of the user
// running the script, as Redis does: a denial is the command's error
// reply ("The user executing the script can't ..."), logged in ACL LOG
// with context "lua"; redis.acl_check_cmd asks the same question.

// scriptDenial returns Redis's text for why u may not run args from a
// script ("" when it may) and logs the denial.
func (s *Engine) scriptDenial(cl *Client, u *acl.User, cmd *Command, args [][]byte) string {
	reason, object := aclDenied(u, cmd.Spec, args)
	if reason == "" {
		return ""
	}
	if u != nil {
		s.aclLogIn(cl, "lua", reason, object, u.Name)
	}
	switch reason {
	case "command":
		return "can't run this command or subcommand"
	case "key":
		return "can't access at least one of the keys mentioned in the command arguments"
	default:
		return "can't publish to the channel mentioned in the command"
	}
}

// ACLAllows reports whether the script's user may run args
// (redis.acl_check_cmd); args[0] must be a known command.
func (h *scriptHost) ACLAllows(args [][]byte) bool {
	cmd := h.s.table[strings.ToLower(string(args[0]))]
	if cmd == nil {
		return false
	}
	if !cmd.arityOK(len(args)) {
		args = args[:1] // the command alone: its keys cannot be found
	}
	reason, _ := aclDenied(h.s.userOf(h.cl), cmd.Spec, args)
	return reason == ""
}
