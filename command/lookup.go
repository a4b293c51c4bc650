package command

import "strings"

// lookup returns the lower-case name of the command name (a request's
// first argument) and the command, nil when unknown. A name of at most
// 32 ASCII bytes in the table, the case of every request a client sends,
// costs no allocation: it is lowered into a buffer on the stack, and the
// name returned is the command's own Name, the table's key. Anything else goes through
// strings.ToLower, as before.
func (s *Engine) lookup(name []byte) (string, *Command) {
	var buf [32]byte
	if len(name) <= len(buf) {
		low := buf[:len(name)]
		for i, c := range name {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		if cmd := s.table[string(low)]; cmd != nil {
			if cmd.Name == string(low) {
				return cmd.Name, cmd
			}
			return string(low), cmd
		}
	}
	n := strings.ToLower(string(name))
	return n, s.table[n]
}
