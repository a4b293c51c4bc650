package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/titan-kv/titan/tools/dualwrite/internal/journal"
	"github.com/titan-kv/titan/tools/dualwrite/internal/keyscan"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/progress"
	"github.com/titan-kv/titan/tools/dualwrite/internal/proxy"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/syncer"
	"github.com/titan-kv/titan/tools/dualwrite/internal/verify"
)

// common holds the flags shared by every subcommand.
type common struct {
	redis        []string
	shards       string
	hash         string
	distribution string
	hashTag      string
	cluster      string
	titan        string
	statusListen string
	logLevel     string
	timeout      time.Duration

	stdout, stderr io.Writer
	log            *slog.Logger
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	c := &common{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "dualwrite",
		Short:         "Migrate sharded Redis to titan: dual-write proxy, backfill, verify",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			c.log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: lvl}))
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringArrayVar(&c.redis, "redis", nil, "Redis upstream host:port, repeatable (sidecar mode: one proxy per shard; sync/verify scan each)")
	f.StringVar(&c.shards, "shards", "", "comma separated host:port list sharded like twemproxy (needs --hash and --distribution)")
	f.StringVar(&c.hash, "hash", "fnv1a_64", "twemproxy hash for --shards: fnv1a_64, crc32, crc32a, md5")
	f.StringVar(&c.distribution, "distribution", "ketama", "twemproxy distribution for --shards: ketama, modula")
	f.StringVar(&c.hashTag, "hash-tag", "", `twemproxy hash_tag for --shards, e.g. "{}"`)
	f.StringVar(&c.cluster, "cluster", "", "a Redis Cluster node host:port (slot map from CLUSTER SLOTS)")
	f.StringVar(&c.titan, "titan", "", "titan host:port (required)")
	f.StringVar(&c.statusListen, "status-listen", "", "serve /metrics (and the proxy's admin endpoints) on this address")
	f.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn, error")
	f.DurationVar(&c.timeout, "timeout", 2*time.Second, "timeout of each upstream command")
	root.AddCommand(c.proxyCmd(), c.syncCmd(), c.verifyCmd(), c.cutoverCmd(), c.replicateCmd())
	return root
}

// openSource opens the Redis source and a pool of poolSize connections to
// titan whose round trips time out after titanTimeout.
func (c *common) openSource(ctx context.Context, poolSize int, titanTimeout time.Duration) (source.Source, *resp.Pool, error) {
	if c.titan == "" {
		return nil, nil, errors.New("--titan is required")
	}
	src, err := source.Open(ctx, source.Options{
		Redis:        c.redis,
		Shards:       source.SplitList(c.shards),
		Hash:         c.hash,
		Distribution: c.distribution,
		HashTag:      c.hashTag,
		Cluster:      c.cluster,
		PoolSize:     poolSize,
		Timeout:      c.timeout,
	})
	if err != nil {
		return nil, nil, err
	}
	return src, resp.NewPool(c.titan, poolSize, titanTimeout), nil
}

// runScan opens the source and titan for a subcommand that scans the
// source with workers workers (sync, verify), serves its metrics on
// --status-listen, and runs fn.
func (c *common) runScan(ctx context.Context, part metrics.Part, workers int, titanTimeout time.Duration, fn func(source.Source, *resp.Pool, *metrics.Metrics) error) error {
	src, titan, err := c.openSource(ctx, 2*workers+4, titanTimeout)
	if err != nil {
		return err
	}
	defer src.Close()
	defer titan.Close()
	m := metrics.New(part)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.serveStatus(ctx, m.Handler()); err != nil {
		return err
	}
	return fn(src, titan, m)
}

// serveStatus serves h and /debug/pprof on --status-listen until ctx ends.
func (c *common) serveStatus(ctx context.Context, h http.Handler) error {
	if c.statusListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", c.statusListen)
	if err != nil {
		return fmt.Errorf("status listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("status server", "err", err)
		}
	}()
	c.log.Info("status server listening", "addr", ln.Addr().String())
	return nil
}

func (c *common) proxyCmd() *cobra.Command {
	var listen, readFrom, journalPath string
	var shadow float64
	var repairQueue, repairWorkers int
	var fenceTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the dual-write RESP proxy",
		Long: `Run a Redis-protocol proxy that writes to both the Redis source and titan.
Reads go to --read-from; switch at run time with SIGUSR1 (toggle) or
POST /read-from?side=redis|titan on --status-listen.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(c.redis) > 1 {
				return errors.New("proxy takes one --redis (sidecar mode: run one proxy per shard), or --shards/--cluster")
			}
			src, titan, err := c.openSource(ctx, 256, c.timeout)
			if err != nil {
				return err
			}
			defer src.Close()
			defer titan.Close()
			m := metrics.New(metrics.Proxy)
			var jr *journal.Journal
			var pending [][]byte
			if journalPath != "" {
				if jr, pending, err = journal.Open(journalPath); err != nil {
					return err
				}
				defer jr.Close()
			} else {
				c.log.Warn("no --journal: keys waiting for repair are lost if the proxy stops; run verify --fix afterwards")
			}
			p, err := proxy.New(proxy.Config{
				Source: src, Titan: titan, ReadFrom: readFrom, ShadowRate: shadow,
				Metrics: m, Logger: c.log, Timeout: c.timeout, RepairQueue: repairQueue,
				RepairWorkers: repairWorkers, Journal: jr, Pending: pending, FenceTimeout: fenceTimeout,
			})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if err := c.serveStatus(ctx, p.AdminHandler()); err != nil {
				ln.Close()
				return err
			}
			usr1 := make(chan os.Signal, 1)
			signal.Notify(usr1, syscall.SIGUSR1)
			defer signal.Stop(usr1)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-usr1:
						p.ToggleReadSide()
					}
				}
			}()
			c.log.Info("proxy listening", "addr", ln.Addr().String(), "titan", c.titan, "read_from", readFrom, "shards", strings.Join(src.Shards(), ","))
			return p.Serve(ctx, ln)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:6380", "address to accept Redis clients on")
	cmd.Flags().StringVar(&readFrom, "read-from", proxy.ReadRedis, "side serving reads: redis or titan")
	cmd.Flags().Float64Var(&shadow, "shadow-rate", 0, "fraction of reads also sent to the other side and compared (0..1)")
	cmd.Flags().IntVar(&repairQueue, "repair-queue", 1000000, "maximum keys waiting for repair")
	cmd.Flags().IntVar(&repairWorkers, "repair-workers", 8, "keys repaired at once")
	cmd.Flags().StringVar(&journalPath, "journal", "", "file recording keys waiting for repair, so that a restarted proxy repairs them")
	cmd.Flags().DurationVar(&fenceTimeout, "fence-timeout", 30*time.Second, "longest a key's repair waits for a timed-out titan write that may still land; then the key is marked dirty and repaired")
	return cmd
}

func (c *common) cutoverCmd() *cobra.Command {
	var proxies []string
	var reverse bool
	var timeout, maxPause time.Duration
	cmd := &cobra.Command{
		Use:   "cutover",
		Short: "Make titan the primary behind every proxy, safely",
		Long: `Ask each proxy (by its --status-listen address) to cut over: pause client
writes, replay every queued write on titan, repair every queued key, compare
the keys repaired during the migration between Redis and titan, then send
writes and reads to titan. With --reverse, writes are then replayed on Redis
so that the move can be rolled back. When every proxy reports done, the
application may be repointed at titan.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(proxies) == 0 {
				return errors.New("--proxy is required (the status address of each proxy)")
			}
			client := &http.Client{Timeout: timeout + 10*time.Second}
			failed := 0
			for _, addr := range proxies {
				rep, err := proxy.RequestCutover(cmd.Context(), client, addr, reverse, timeout, maxPause)
				if err != nil {
					failed++
					fmt.Fprintf(c.stdout, "%s: FAILED: %v\n", addr, err)
					continue
				}
				fmt.Fprintf(c.stdout, "%s: %s (writes paused %s, %d writes drained, %d keys repaired, %d keys verified)\n",
					addr, rep.Message, rep.Paused, rep.Replayed, rep.Repaired, rep.Verified)
			}
			if failed > 0 {
				fmt.Fprintf(c.stdout, "cut-over incomplete: %d of %d proxies still write to Redis first; fix the cause and run cutover again\n", failed, len(proxies))
				return exitCode(1)
			}
			fmt.Fprintln(c.stdout, "cut-over complete: titan is the primary behind every proxy; repoint the application at titan")
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&proxies, "proxy", nil, "status address (host:port of --status-listen) of a proxy, repeatable")
	cmd.Flags().BoolVar(&reverse, "reverse", false, "after the switch, replay writes on Redis so that the move can be rolled back")
	cmd.Flags().DurationVar(&timeout, "drain-timeout", time.Minute, "give up (and leave Redis the primary) if catching up takes longer")
	cmd.Flags().DurationVar(&maxPause, "max-pause", 2*time.Second, "longest time client writes may wait; when titan is further behind, the cut-over is refused and writes go on")
	return cmd
}

// batchTimeoutUsage documents --batch-timeout of sync and verify.
const batchTimeoutUsage = "timeout of one round trip to titan; a batch of keys is written in one titan transaction, which titan itself gives up on after its txn.command-timeout (30s), so keep this above it"

func (c *common) syncCmd() *cobra.Command {
	o := syncer.Options{}
	var batchTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Backfill titan with every key of the source (resumable)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return c.runScan(ctx, metrics.Sync, o.Workers, batchTimeout, func(src source.Source, titan *resp.Pool, m *metrics.Metrics) error {
				o.Source, o.Titan, o.TitanAddr, o.Metrics, o.Logger = src, titan, c.titan, m, c.log
				o.Progress = c.stderr
				if f, ok := c.stderr.(*os.File); ok {
					o.TTY = progress.IsTerminal(f)
				}
				st, err := syncer.Run(ctx, o)
				c.log.Info("backfill finished", "scanned", st.Scanned, "copied", st.Copied, "recopied_dirty", st.Recopied,
					"resumed", st.Resumed, "left_dirty", st.LeftDirty, "elapsed", st.Elapsed.Round(time.Millisecond),
					"keys_per_sec", int64(float64(st.Copied)/max(st.Elapsed.Seconds(), 1e-9)), "err", err)
				if err != nil && errors.Is(err, context.Canceled) && o.Checkpoint != "" {
					return fmt.Errorf("interrupted; run the same command again to resume from %s", o.Checkpoint)
				}
				return err
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Workers, "workers", keyscan.DefaultWorkers, "concurrent copy workers")
	fl.Float64Var(&o.Rate, "rate", 0, "maximum keys per second (0: unlimited)")
	fl.IntVar(&o.Batch, "batch", keyscan.DefaultCount, "SCAN COUNT per batch")
	fl.IntVar(&o.Page, "page", 512, "elements per page when copying large collections")
	fl.DurationVar(&batchTimeout, "batch-timeout", time.Minute, batchTimeoutUsage)
	fl.IntVar(&o.DrainRounds, "drain-rounds", 10, "maximum rounds re-copying keys written through the proxy during the backfill")
	fl.StringVar(&o.Checkpoint, "checkpoint", "", "file recording per-shard progress; an interrupted run resumes from it")
	fl.DurationVar(&o.ProgressInterval, "progress-interval", 10*time.Second, "progress log interval when stderr is not a terminal")
	fl.DurationVar(&o.Settle, "settle", 0, "wait for proxies to see the backfill flag (default 3s; must exceed 1s poll + proxy round trip)")
	_ = fl.MarkHidden("settle")
	return cmd
}

func (c *common) verifyCmd() *cobra.Command {
	o := verify.Options{}
	var batchTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Compare every key's type, value and TTL between the source and titan",
		Long: `Compare every key of the source with titan. Prints one DIFF line per
differing key and a summary. Exit status: 0 when nothing differs (or
everything that differed was fixed with --fix), 1 when differences remain,
2 on errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return c.runScan(ctx, metrics.Verify, o.Workers, batchTimeout, func(src source.Source, titan *resp.Pool, m *metrics.Metrics) error {
				o.Source, o.Titan, o.Metrics, o.Logger, o.Out = src, titan, m, c.log, c.stdout
				start := time.Now()
				res, err := verify.Run(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "verify: %d keys checked, %d differ, %d fixed, %d in flight (matched on a re-check) (%v)\n",
					res.Checked, res.Differ, res.Fixed, res.InFlight, time.Since(start).Round(time.Millisecond))
				if res.Differ > res.Fixed {
					return exitCode(1)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.TTLTolerance, "ttl-tolerance", 2*time.Second, "maximum difference between TTLs")
	fl.BoolVar(&o.Fix, "fix", false, "copy the source version of differing keys to titan")
	fl.IntVar(&o.Workers, "workers", keyscan.DefaultWorkers, "concurrent comparison workers")
	fl.IntVar(&o.Batch, "batch", keyscan.DefaultCount, "SCAN COUNT per batch")
	fl.DurationVar(&batchTimeout, "batch-timeout", time.Minute, batchTimeoutUsage)
	fl.DurationVar(&o.Settle, "settle", 0, "wait for proxies to see the backfill flag with --fix (default 3s)")
	_ = fl.MarkHidden("settle")
	return cmd
}
