package command

// listCommands returns the list commands. (Being written.)
func listCommands() []*Command { return nil }
