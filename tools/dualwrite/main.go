// Command dualwrite migrates a sharded Redis deployment to titan: a
// dual-write proxy, a resumable backfill (sync), a verifier, and a
// replica mode (replicate) that needs no proxy.
//
//	dualwrite proxy  --listen :6380 --shards a:6379,b:6379 --hash fnv1a_64 --distribution ketama --titan t:7369 --read-from redis
//	dualwrite sync   --shards a:6379,b:6379 --hash fnv1a_64 --distribution ketama --titan t:7369 --checkpoint sync.ckpt
//	dualwrite verify --shards a:6379,b:6379 --hash fnv1a_64 --distribution ketama --titan t:7369 --ttl-tolerance 2s
//	dualwrite replicate --shards a:6379,b:6379 --hash fnv1a_64 --distribution ketama --titan t:7369 --work-dir /var/lib/dualwrite
//
// See docs/MIGRATION.md for the runbook.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRootCmd(os.Stdout, os.Stderr)
	if err := cmd.ExecuteContext(ctx); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "dualwrite:", err)
		os.Exit(2)
	}
}

// exitCode is an error carrying the process exit status (verify's
// "differences found" is 1, not a failure of the tool).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
