package command

import "github.com/titan-kv/titan/db"

// stageArgs returns the arguments of a command that stores them as whole
// strings and that are long enough to be written ahead of its transaction
// (db.StageMin, db/strings_stage.go), nil for other commands.
func stageArgs(name string, args [][]byte) [][]byte {
	switch name {
	case "set", "setex", "psetex", "setnx", "getset", "mset", "msetnx":
	default:
		return nil
	}
	var out [][]byte
	for _, a := range args[1:] {
		if len(a) > db.StageMin {
			out = append(out, a)
		}
	}
	return out
}
