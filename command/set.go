package command

// setCommands returns the set commands. (Being written.)
func setCommands() []*Command { return nil }
