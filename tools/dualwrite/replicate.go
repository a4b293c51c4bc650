package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/replica"
)

// replicateCmd is the capture mode without the proxy: one replication link
// per master of the source.
func (c *common) replicateCmd() *cobra.Command {
	o := replica.Options{}
	var check bool
	cmd := &cobra.Command{
		Use:   "replicate",
		Short: "Copy the source into titan as a Redis replica would (PSYNC: snapshot, then the command stream), with no proxy",
		Long: `replicate attaches to every master of the source as a replica: it restores the
master's snapshot into titan, then applies its command stream, each batch in one titan
transaction together with the offset it reaches, so a restarted replicate resumes
(PSYNC) exactly where titan is. It runs until stopped.

With --check it only reports, for every master, how far titan is behind (from titan's
checkpoint and the master's INFO replication), and exits 0 when titan has everything.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, titan, err := c.openSource(ctx, 1, c.timeout)
			if err != nil {
				return err
			}
			masters := src.Shards()
			src.Close()
			titan.Close()
			if check {
				return c.checkReplication(ctx, masters)
			}
			m := metrics.New(metrics.Replicate)
			if err := c.serveStatus(ctx, m.Handler()); err != nil {
				return err
			}
			if o.WorkDir == "" {
				o.WorkDir = filepath.Join(os.TempDir(), "dualwrite-replicate")
			}
			var wg sync.WaitGroup
			for _, addr := range masters {
				lo := o
				lo.Master, lo.Titan, lo.Log, lo.Metrics = addr, c.titan, c.log, m
				if lo.Timeout == 0 {
					lo.Timeout = c.timeout
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					replica.New(lo).Run(ctx)
				}()
			}
			c.log.Info("replicating", "masters", masters, "titan", c.titan)
			wg.Wait()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.WorkDir, "work-dir", "", "directory for the snapshots and stream spools in use (default: $TMPDIR/dualwrite-replicate)")
	fl.IntVar(&o.RestoreWorkers, "restore-workers", 4, "snapshot batches restored into titan at once, per master")
	fl.IntVar(&o.Batch, "batch", 1000, "most stream commands applied in one titan transaction")
	fl.BoolVar(&o.ApplyFlush, "apply-flush", false, "apply the masters' FLUSHALL/FLUSHDB to titan (off: with several shards one master's flush would erase the others' keys)")
	fl.BoolVar(&check, "check", false, "report how far titan is behind each master and exit (0: caught up, 1: behind)")
	return cmd
}

// checkReplication prints each master's lag and fails unless titan has
// caught up with all of them.
func (c *common) checkReplication(ctx context.Context, masters []string) error {
	behind := 0
	for _, addr := range masters {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		g, err := replica.Check(ctx, addr, c.titan, c.timeout)
		cancel()
		switch {
		case err != nil:
			fmt.Fprintf(c.stdout, "%s: %v\n", addr, err)
			behind++
		case g.Applied < 0:
			fmt.Fprintf(c.stdout, "%s: no snapshot restored yet\n", addr)
			behind++
		default:
			fmt.Fprintf(c.stdout, "%s: master offset %d, applied %d, behind %d bytes\n", addr, g.MasterOffset, g.Applied, max(0, g.MasterOffset-g.Applied))
			if !g.CaughtUp() {
				behind++
			}
		}
	}
	if behind > 0 {
		return exitCode(1)
	}
	fmt.Fprintln(c.stdout, "caught up")
	return nil
}
