package command

// zsetCommands returns the zset commands. (Being written.)
func zsetCommands() []*Command { return nil }
