package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// CutoverReport tells what a cut-over did.
type CutoverReport struct {
	// Done is true once titan is the primary.
	Done bool `json:"done"`
	// Paused is how long client writes waited.
	Paused string `json:"writes_paused"`
	// Replayed and Repaired are the writes and keys drained before the
	// switch; Verified the keys compared between the two sides.
	Replayed int `json:"writes_drained"`
	Repaired int `json:"keys_repaired"`
	Verified int `json:"keys_verified"`
	// Differ lists keys that still differ when the cut-over gave up.
	Differ []string `json:"differ,omitempty"`
	// Reverse is true when writes are replayed on Redis afterwards.
	Reverse bool   `json:"reverse_writes"`
	Message string `json:"message"`
}

// Cutover makes titan the primary, safely. First, with writes flowing, it
// waits for titan to catch up (as far as it can) and compares the keys
// repaired during the migration between Redis and titan, copying again any
// that differ. Then it pauses client
// writes (reads go on), waits until every queued write has been replayed
// and every key repaired, compares the keys repaired since the first check,
// and switches writes and reads to titan. With reverse, writes are then
// replayed on Redis so that the move can be rolled back. Writes are never
// paused longer than maxPause: when titan is too far behind to drain in
// that time, or the drain takes longer, nothing is switched, writes resume
// and Redis stays the primary; the same happens when ctx ends first.
func (p *Proxy) Cutover(ctx context.Context, reverse bool, maxPause time.Duration) (rep CutoverReport, err error) {
	if p.titanPrimary.Load() {
		rep.Done, rep.Reverse = true, p.reverse.Load()
		rep.Message = "titan is already the primary"
		return rep, nil
	}
	// Catch up with writes flowing: the pause then only covers the last
	// moments of replay.
	p.log.Info("cut-over: waiting for titan to catch up", "apply_queue", p.titanQ.pending(), "repair_queue", p.repair.len())
	if !p.settleWhileWriting(ctx) {
		return rep, p.abortCutover(&rep, "waiting for titan to catch up", ctx.Err())
	}
	// Never pause clients longer than maxPause: estimate the replay time of
	// the backlog from the replay rate just measured.
	applied0, at0 := p.titanQ.applied.Load(), time.Now()
	if !retry.Sleep(ctx, 200*time.Millisecond) {
		return rep, p.abortCutover(&rep, "waiting for titan to catch up", ctx.Err())
	}
	rate := float64(p.titanQ.applied.Load()-applied0) / time.Since(at0).Seconds()
	if backlog := p.titanQ.pending(); backlog > catchUp {
		if eta := time.Duration(float64(backlog) / max(rate, 1) * float64(time.Second)); eta > maxPause {
			return rep, p.abortCutover(&rep, "waiting for titan to catch up",
				fmt.Errorf("titan is %d writes behind (about %v to replay at %.0f writes/s, more than the %v pause allowed); cut over when dualwrite_proxy_replay_delay_seconds is low", backlog, eta.Round(time.Millisecond), rate, maxPause))
		}
	}
	// Compare what was repaired so far; those that differ are repaired
	// again (and checked once more while paused).
	keys := p.repair.takeRepaired()
	differ, err := p.compareKeys(ctx, keys)
	if err != nil {
		return rep, p.abortCutover(&rep, "verifying repaired keys", err)
	}
	rep.Verified += len(keys)
	for _, k := range differ {
		p.repair.schedule(k, "differs at cut-over")
	}
	if !p.settleWhileWriting(ctx) {
		return rep, p.abortCutover(&rep, "waiting for titan to catch up", ctx.Err())
	}

	start := time.Now()
	p.writes.Lock()
	defer func() {
		p.writes.Unlock()
		rep.Paused = time.Since(start).Round(time.Millisecond).String()
	}()
	p.log.Info("cut-over: client writes paused; draining", "apply_queue", p.titanQ.pending(), "repair_queue", p.repair.len())
	rep.Replayed = p.titanQ.pending()
	pauseCtx, cancel := context.WithTimeout(ctx, maxPause)
	defer cancel()
	if err := p.titanQ.drain(pauseCtx); err != nil {
		return rep, p.abortCutover(&rep, "replaying queued writes", err)
	}
	if err := p.checkRepaired(pauseCtx, &rep); err != nil {
		return rep, p.abortCutover(&rep, "verifying repaired keys", err)
	}
	p.reverse.Store(reverse)
	p.titanPrimary.Store(true)
	p.setReadSide(ReadTitan)
	p.m.Primary.Set(1)
	rep.Done, rep.Reverse = true, reverse
	rep.Message = "titan is the primary: repoint the application to titan (" + p.titan.Addr() + ") at any time"
	if reverse {
		rep.Message += "; writes through this proxy are replayed on Redis until then"
	}
	p.log.Info("cut-over done", "report", fmt.Sprintf("%+v", rep))
	return rep, nil
}

// catchUp is the replay backlog under which the cut-over pauses writes.
const catchUp = 100

// settleWhileWriting waits, with client writes flowing, until the replay
// backlog is small and no key waits for repair, or until neither has
// shrunk for a second (titan cannot keep up with the write rate: the pause
// replays what is left, or the cut-over is refused). It reports false when
// ctx ends.
func (p *Proxy) settleWhileWriting(ctx context.Context) bool {
	backlog := func() int { return p.titanQ.pending() + p.repair.len() }
	best, bestAt := backlog(), time.Now()
	for n := best; (p.titanQ.pending() > catchUp || p.repair.len() > 0) && time.Since(bestAt) < time.Second; n = backlog() {
		if n < best {
			best, bestAt = n, time.Now()
		}
		if !retry.Sleep(ctx, 50*time.Millisecond) {
			return false
		}
	}
	return true
}

// checkRepaired waits until no key waits for repair, then compares the
// keys repaired since the last check on both sides, repairing those that
// differ, up to three rounds.
func (p *Proxy) checkRepaired(ctx context.Context, rep *CutoverReport) error {
	for round := 0; ; round++ {
		if err := p.repair.waitIdle(ctx); err != nil {
			return err
		}
		keys := p.repair.takeRepaired()
		rep.Repaired += len(keys)
		differ, err := p.compareKeys(ctx, keys)
		rep.Verified += len(keys)
		if err != nil {
			return err
		}
		if len(differ) == 0 {
			return nil
		}
		if round == 2 {
			rep.Differ = rep.Differ[:0]
			for _, k := range differ {
				rep.Differ = append(rep.Differ, string(k))
			}
			return fmt.Errorf("%d keys still differ", len(differ))
		}
		for _, k := range differ {
			p.repair.schedule(k, "differs at cut-over")
		}
	}
}

func (p *Proxy) abortCutover(rep *CutoverReport, stage string, err error) error {
	rep.Message = "cut-over abandoned while " + stage + "; Redis stays the primary"
	p.log.Error("cut-over abandoned", "stage", stage, "err", err, "apply_queue", p.titanQ.pending(), "repair_queue", p.repair.len())
	return fmt.Errorf("cut-over abandoned while %s: %w", stage, err)
}

// compareKeys reads keys on both sides, a group of the source at a time
// in pipelines, and returns those that differ.
func (p *Proxy) compareKeys(ctx context.Context, keys [][]byte) ([][]byte, error) {
	groups := map[int][][]byte{}
	for _, k := range keys {
		g := p.src.Group(k)
		groups[g] = append(groups[g], k)
	}
	var differ [][]byte
	c := copier.Copier{Page: 1024}
	for g, ks := range groups {
		for lo := 0; lo < len(ks); lo += 256 {
			batch := ks[lo:min(lo+256, len(ks))]
			a, err := c.ReadFull(ctx, source.GroupPipe{Source: p.src, Group: g}, batch)
			if err != nil {
				return nil, err
			}
			b, err := c.ReadFull(ctx, p.titan, batch)
			if err != nil {
				return nil, err
			}
			for i, k := range batch {
				if copier.Diff(a[i], b[i], 2*time.Second) != "" {
					differ = append(differ, k)
				}
			}
		}
	}
	return differ, nil
}
