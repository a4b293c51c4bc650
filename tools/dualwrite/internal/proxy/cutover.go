package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
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

// Cutover makes titan the primary, safely: it pauses client writes (reads
// go on), waits until every write has been replayed on titan and every
// queued key repaired, compares the keys repaired during the migration
// (and those drained now) between Redis and titan, copying again any
// that differ, and then switches writes and reads to titan. With reverse,
// writes are then replayed on Redis so that the move can be rolled back.
// If the drain does not finish within ctx, nothing is switched and writes
// resume on Redis.
func (p *Proxy) Cutover(ctx context.Context, reverse bool) (rep CutoverReport, err error) {
	if p.titanPrimary.Load() {
		rep.Done, rep.Reverse = true, p.reverse.Load()
		rep.Message = "titan is already the primary"
		return rep, nil
	}
	start := time.Now()
	p.writes.Lock()
	defer func() {
		p.writes.Unlock()
		rep.Paused = time.Since(start).Round(time.Millisecond).String()
	}()
	p.log.Info("cut-over: client writes paused; draining")
	rep.Replayed = p.titanQ.pending()
	rep.Repaired = p.repair.len()
	if err := p.titanQ.drain(ctx); err != nil {
		return rep, p.abortCutover(&rep, "replaying queued writes", err)
	}
	checked := p.repair.takeRepaired()
	for round := 0; ; round++ {
		if err := p.repair.waitIdle(ctx); err != nil {
			return rep, p.abortCutover(&rep, "repairing keys", err)
		}
		differ, err := p.compareKeys(ctx, checked)
		rep.Verified += len(checked)
		if err != nil {
			return rep, p.abortCutover(&rep, "verifying repaired keys", err)
		}
		if len(differ) == 0 {
			break
		}
		if round == 2 {
			for _, k := range differ {
				rep.Differ = append(rep.Differ, string(k))
			}
			return rep, p.abortCutover(&rep, "verifying repaired keys", fmt.Errorf("%d keys still differ", len(differ)))
		}
		for _, k := range differ {
			p.repair.schedule(k, "differs at cut-over")
		}
		checked = differ
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

func (p *Proxy) abortCutover(rep *CutoverReport, stage string, err error) error {
	rep.Message = "cut-over abandoned while " + stage + "; Redis stays the primary"
	p.log.Error("cut-over abandoned", "stage", stage, "err", err, "apply_queue", p.titanQ.pending(), "repair_queue", p.repair.len())
	return fmt.Errorf("cut-over abandoned while %s: %w", stage, err)
}

// compareKeys reads keys on both sides and returns those that differ.
func (p *Proxy) compareKeys(ctx context.Context, keys [][]byte) ([][]byte, error) {
	var differ [][]byte
	c := copier.Copier{Page: 512}
	for _, k := range keys {
		src := source.GroupPipe{Source: p.src, Group: p.src.Group(k)}
		a, err := c.ReadFull(ctx, src, [][]byte{k})
		if err != nil {
			return nil, err
		}
		b, err := c.ReadFull(ctx, p.titan, [][]byte{k})
		if err != nil {
			return nil, err
		}
		if copier.Diff(a[0], b[0], 2*time.Second) != "" {
			differ = append(differ, k)
		}
	}
	return differ, nil
}
