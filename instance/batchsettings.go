package instance

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/settings"
)

// batchParams are the write batcher's knobs as runtime parameters under
// their TOML names: CONFIG SET applies them to this instance's batcher at
// once (the next batch formed follows them), CONFIG REWRITE writes them to
// the [batch] table.
func batchParams(d *db.DB) []settings.Param {
	// change applies one knob; the registry serialises CONFIG SET, so the
	// read-modify-write of the options does not race another change.
	change := func(edit func(*db.BatchOptions)) error {
		o := d.Batching()
		edit(&o)
		return d.SetBatchOptions(o)
	}
	enabled := settings.Param{
		Name: "batch.enabled",
		Get:  func() string { return strconv.FormatBool(d.Batching().Enabled) },
		Set: func(v string) error {
			var on bool
			switch strings.ToLower(v) {
			case "yes", "true":
				on = true
			case "no", "false":
			default:
				return errors.New("argument must be 'yes' or 'no'")
			}
			return change(func(o *db.BatchOptions) { o.Enabled = on })
		},
		Save: func(c *conf.Config) { c.Batch.Enabled = d.Batching().Enabled },
	}
	maxCommands := settings.Int("batch.max-commands", 1, math.MaxInt32,
		func() int64 { return int64(d.Batching().MaxCommands) },
		func(n int64) { change(func(o *db.BatchOptions) { o.MaxCommands = int(n) }) })
	maxCommands.Save = func(c *conf.Config) { c.Batch.MaxCommands = d.Batching().MaxCommands }
	workers := settings.Int("batch.workers", 1, 1024,
		func() int64 { return int64(d.Batching().Workers) },
		func(n int64) { change(func(o *db.BatchOptions) { o.Workers = int(n) }) })
	workers.Save = func(c *conf.Config) { c.Batch.Workers = d.Batching().Workers }
	return []settings.Param{enabled, maxCommands, workers}
}
