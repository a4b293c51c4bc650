// Package checkpoint persists the progress of a backfill (one SCAN cursor
// per source shard) so an interrupted run resumes where it stopped.
package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/titan-kv/titan/atomicfile"
)

// Shard is the progress of one source shard.
type Shard struct {
	Addr string `json:"addr"`
	// Cursor is the SCAN cursor from which scanning resumes: every key
	// returned before it has been copied.
	Cursor string `json:"cursor"`
	Done   bool   `json:"done"`
	Copied int64  `json:"copied"`
}

// State is the content of a checkpoint file.
type State struct {
	Version int       `json:"version"`
	Titan   string    `json:"titan"`
	Shards  []Shard   `json:"shards"`
	Drained bool      `json:"drained"` // the dirty set was drained: the run finished
	Updated time.Time `json:"updated"`
	// CopierIDs name the temporary keys of the runs that wrote the file
	// (the last is the current run's), so that a run resuming it deletes
	// those its predecessors left.
	CopierIDs []string `json:"copier_ids,omitempty"`
}

// New returns the state of a fresh run.
func New(titan string, shards []string) *State {
	s := &State{Version: 1, Titan: titan}
	for _, a := range shards {
		s.Shards = append(s.Shards, Shard{Addr: a, Cursor: "0"})
	}
	return s
}

// Load reads path. It returns (nil, nil) when the file does not exist.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse checkpoint %s: %w", path, err)
	}
	return &s, nil
}

// Matches reports whether s was written for the same titan and shards.
func (s *State) Matches(titan string, shards []string) error {
	var addrs []string
	for _, sh := range s.Shards {
		addrs = append(addrs, sh.Addr)
	}
	if s.Titan != titan || !slices.Equal(addrs, shards) {
		return fmt.Errorf("checkpoint is for titan %s and shards %v, not %s and %v", s.Titan, addrs, titan, shards)
	}
	return nil
}

// Save writes s to path atomically (write to a temporary file, rename).
func Save(path string, s *State) error {
	s.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}
