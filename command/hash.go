package command

// hashCommands returns the hash commands. (Being written.)
func hashCommands() []*Command { return nil }
