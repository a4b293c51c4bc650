package db

import "fmt"

// SetBatchOptions changes the write batcher's knobs at run time (CONFIG
// SET batch.*). Batches in flight finish as they were formed; the next
// batch formed follows the new values, and more workers start queued
// batches at once. With batching turned off, queued groups still run in
// batches and new commands go to the store on their own.
func (d *DB) SetBatchOptions(o BatchOptions) error {
	if o.MaxCommands < 1 {
		return fmt.Errorf("batch max-commands %d: want 1 or more", o.MaxCommands)
	}
	if o.Workers < 1 {
		return fmt.Errorf("batch workers %d: want 1 or more", o.Workers)
	}
	b := d.batcher
	b.mu.Lock()
	b.opts = o
	b.on.Store(o.Enabled)
	ready := b.schedule()
	b.mu.Unlock()
	b.start(ready)
	return nil
}

// Batching returns the write batcher's current knobs.
func (d *DB) Batching() BatchOptions {
	b := d.batcher
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opts
}
