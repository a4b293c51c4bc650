package command

// opsCommands is the table of the commands operators use to watch and
// tune an instance: INFO, CONFIG, SLOWLOG, MEMORY, LATENCY.
func opsCommands() []*Command {
	return []*Command{
		cmd("info", info, barrier),
		cmd("config", config, barrier, subcommands("get", "set", "resetstat", "rewrite", "help")),
		cmd("slowlog", slowlogCmd, subcommands("get", "len", "reset", "help")),
		cmd("memory", memoryCmd, subcommands("usage", "stats", "doctor", "malloc-stats", "purge", "help")),
		cmd("latency", latencyCmd, subcommands("latest", "history", "reset", "doctor", "graph", "histogram", "help")),
	}
}
