package db

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/txnkv/transaction"

	"github.com/titan-kv/titan/encoding"
)

// Tx is the view one command (or one batch of commands) has of the store:
// a client-go optimistic transaction plus the database it addresses.
type Tx struct {
	d   *DB
	t   *transaction.KVTxn
	ctx context.Context
	// DB is the physical number of the database the current command
	// addresses (the keys carry it): its logical one (what SELECT names)
	// through the transaction's mapping (dbmap.go).
	DB uint16
	// logical is the logical database the current command addresses.
	logical uint16
	// dbm is the transaction's mapping of logical databases to physical
	// ones: the DB's cached one until verifyMap read the snapshot's
	// (mapOK); mapped is set once a job addressed a logical database.
	dbm           *encoding.DBMap
	mapOK, mapped bool
	// wrote are the physical databases whose metadata the transaction
	// writes (guardWrites); newMap is the mapping a SWAPDB wrote.
	wrote  []uint16
	newMap *encoding.DBMap
	// lazyMap defers reading the mapping to the job's first snapshot
	// read (checkLazy).
	lazyMap bool
	// now is the wall clock in unix milliseconds, fixed per command.
	now int64
	// begun is the wall clock, unix ms, just before the transaction took
	// its start timestamp: a counter shard released before it is free
	// for this transaction (counterSlots).
	begun int64
	// objSeq numbers the objects this transaction creates.
	objSeq uint32
	// cache holds snapshot reads (nil for missing keys).
	cache map[string][]byte
	// stale holds expired metadata found by reads, so that a write that
	// replaces such a key reclaims its elements.
	stale map[string]*encoding.Meta
	// changes are the keys this transaction changed, for the OnCommit
	// hooks.
	changes []Change
	// counter is the key counter shard the transaction writes.
	counter counterClaim
	// planning is set during a batch's planning pass (see plan): reads
	// missing from the cache are recorded in planned and answered as
	// missing, scans fail with errPlanning, and nothing is sent.
	planning bool
	planned  [][]byte
	// staged are the values written ahead for the running job
	// (strings_stage.go).
	staged []staged
	// hotLocked are the keys lockHot locked, released when the
	// transaction ends (hotlock.go); hotLockTook is how long that took.
	hotLocked   [][]byte
	hotLockTook time.Duration
	// lockable are the metadata keys of the transaction's Lock jobs,
	// locked only while contended; a write conflict marks them so
	// (noteConflict).
	lockable [][]byte
}

// errPlanning stops a job at a scan during the planning pass.
var errPlanning = errors.New("scan during the planning pass")

// Now returns the command's wall clock in unix milliseconds.
func (tx *Tx) Now() int64 { return tx.now }

func (d *DB) begin(ctx context.Context) (*Tx, error) {
	begun := time.Now().UnixMilli()
	t, err := d.store.KV().Begin()
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	t.SetRPCInterceptor(d.countRPC)
	if !d.store.Embedded() {
		// The embedded store does not implement 1PC or async commit;
		// enabling them there only makes client-go fall back and log.
		t.SetEnable1PC(d.opts.OnePC)
		t.SetEnableAsyncCommit(d.opts.AsyncCommit)
	}
	return &Tx{d: d, t: t, ctx: ctx, now: time.Now().UnixMilli(), begun: begun, dbm: d.currentMap()}, nil
}

// View runs fn on a snapshot; nothing fn writes is committed. dbIndex is
// a physical database number; a job addresses a logical one with
// Tx.Select.
func (d *DB) View(ctx context.Context, dbIndex uint16, fn func(*Tx) error) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.t.Rollback()
	tx.DB, tx.logical = dbIndex, tx.dbm.Logical(dbIndex)
	return fn(tx)
}

// Update runs fn in one transaction and commits it, retrying the whole of
// fn after write conflicts with a bounded, jittered backoff. fn must be safe
// to run more than once. A UserError from fn is returned without commit.
func (d *DB) Update(ctx context.Context, dbIndex uint16, fn func(*Tx) error) error {
	return d.retry(ctx, func() error {
		tx, err := d.begin(ctx)
		if err != nil {
			return err
		}
		tx.DB, tx.logical = dbIndex, tx.dbm.Logical(dbIndex)
		if err := fn(tx); err != nil {
			tx.t.Rollback()
			tx.releaseCounter()
			tx.releaseHot()
			return err
		}
		return tx.commit()
	})
}

// retry runs attempt until it succeeds, fails for good, or the retry limit
// is reached.
func (d *DB) retry(ctx context.Context, attempt func() error) error {
	backoff := time.Millisecond
	for i := 0; ; i++ {
		err := attempt()
		var taken errHotLockTaken
		if errors.As(err, &taken) {
			i--
			select {
			case <-time.After(hotLockPause()):
				continue
			case <-ctx.Done():
				return fmt.Errorf("%w: %w", ctx.Err(), err)
			}
		}
		if d.awaitSwap(ctx, err) {
			i-- // waited for a SWAPDB, not a conflict with a peer
			continue
		}
		if err == nil || !retryable(err) || i >= d.opts.MaxRetries {
			if err != nil && retryable(err) {
				return fmt.Errorf("transaction still conflicting after %d retries: %w", i, err)
			}
			return err
		}
		if d.metrics != nil {
			d.metrics.TxnRetries.Inc()
		}
		sleep := backoff/2 + rand.N(backoff)
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return ctx.Err()
		}
		if backoff < 64*time.Millisecond {
			backoff *= 2
		}
	}
}

func retryable(err error) bool {
	var latch *tikverr.ErrWriteConflictInLatch
	var retry *tikverr.ErrRetryable
	return tikverr.IsErrWriteConflict(err) || errors.As(err, &latch) || errors.As(err, &retry) ||
		errors.Is(err, errMapChanged)
}

func (tx *Tx) commit() error {
	defer tx.releaseCounter()
	defer tx.releaseHot()
	if err := tx.checkLazy(); err != nil {
		tx.t.Rollback()
		return err
	}
	if err := tx.guardWrites(); err != nil {
		tx.t.Rollback()
		return err
	}
	if tx.t.Len() == 0 && !tx.hasLocks() {
		tx.t.Rollback()
		return nil
	}
	err := tx.t.Commit(tx.ctx)
	m := tx.d.metrics
	switch {
	case err == nil:
		if m != nil {
			m.TxnCommits.WithLabelValues("ok").Inc()
		}
		if tx.newMap != nil {
			tx.d.noteMap(tx.newMap)
		}
		tx.committed()
		return nil
	case retryable(err):
		tx.noteConflict(err)
		if m != nil {
			m.TxnCommits.WithLabelValues("conflict").Inc()
			m.TxnConflicts.Inc()
		}
		return tx.fenced(err)
	default:
		if m != nil {
			m.TxnCommits.WithLabelValues("error").Inc()
		}
		if tikverr.IsErrorUndetermined(err) {
			return fmt.Errorf("%w: %w", ErrUndetermined, err)
		}
		return fmt.Errorf("commit: %w", err)
	}
}

func (tx *Tx) hasLocks() bool { return tx.t.GetMemBuffer().Len() > 0 }

// get reads one key; a missing key is (nil, nil). Writes of this
// transaction are seen first; snapshot reads are cached, so reading a key
// twice costs one request.
func (tx *Tx) get(k []byte) ([]byte, error) {
	if v, err := tx.t.GetMemBuffer().Get(k); err == nil {
		if len(v) == 0 { // deleted in this transaction
			return nil, nil
		}
		return v, nil
	}
	if v, ok := tx.cache[string(k)]; ok {
		return v, nil
	}
	if tx.planning {
		tx.planned = append(tx.planned, k)
		return nil, nil
	}
	if tx.lazyMap && string(k) != string(tx.d.mapKey()) {
		if err := tx.checkLazy(); err != nil {
			return nil, err
		}
		if v, ok := tx.cache[string(k)]; ok {
			return v, nil
		}
	}
	v, err := tx.t.GetSnapshot().Get(tx.ctx, k)
	if tikverr.IsErrNotFound(err) {
		v, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	tx.remember(k, v)
	return v, nil
}

func (tx *Tx) remember(k, v []byte) {
	if tx.cache == nil {
		tx.cache = make(map[string][]byte)
	}
	tx.cache[string(k)] = v
}

// maxStoreKey is the longest TiKV key a transaction may write: client-go's
// write buffer keeps key lengths in 16 bits, so a longer key would be cut
// and the write would land on another key.
const maxStoreKey = 1<<16 - 1

// ErrKeyTooLong refuses a key, field or member too long for the store.
var ErrKeyTooLong = UserError("ERR key, field or member too long (titan's limit is about 64KB)")

// MaxElementValue bounds one stored value other than a string (a hash
// field's value, a list element): each is one TiKV entry, which must stay
// well below TiKV's raft entry limit (8MB). Strings are chunked instead.
const MaxElementValue = 4 << 20

// ErrValueTooLarge refuses a hash value or list element over
// MaxElementValue.
var ErrValueTooLarge = UserError("ERR value too large (max 4194304 bytes for a hash field value or list element)")

func (tx *Tx) set(k, v []byte) error {
	if len(k) > maxStoreKey {
		return ErrKeyTooLong
	}
	if len(v) > MaxElementValue+16 { // +16: the element's own header bytes
		return ErrValueTooLarge
	}
	if v == nil {
		v = []byte{}
	}
	if len(v) == 0 {
		// client-go treats an empty value as a delete; element keys that
		// carry no value store one placeholder byte instead.
		v = emptyValue
	}
	if err := tx.t.Set(k, v); err != nil {
		return fmt.Errorf("set: %w", err)
	}
	return nil
}

// emptyValue stands for an empty value: TiKV cannot store one.
var emptyValue = []byte{0}

func (tx *Tx) del(k []byte) error {
	if len(k) > maxStoreKey {
		return ErrKeyTooLong
	}
	if err := tx.t.Delete(k); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// lock makes the commit fail with a write conflict if anyone else commits
// a change of k after this transaction started, without writing k.
func (tx *Tx) lock(k []byte) {
	tx.t.GetMemBuffer().UpdateFlags(k, kv.SetKeyLocked)
}

// prefetch reads keys in one request so that later gets hit the cache.
func (tx *Tx) prefetch(keys [][]byte) error {
	var missing [][]byte
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if _, ok := tx.cache[string(k)]; !ok && !seen[string(k)] {
			seen[string(k)] = true
			missing = append(missing, k)
		}
	}
	if tx.planning {
		tx.planned = append(tx.planned, missing...)
		return nil
	}
	if mk := tx.d.mapKey(); tx.lazyMap && !seen[string(mk)] {
		if _, ok := tx.cache[string(mk)]; !ok {
			missing = append(missing, mk)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		if _, err := tx.get(missing[0]); err != nil {
			return err
		}
	default:
		found, err := tx.t.GetSnapshot().BatchGet(tx.ctx, missing)
		if err != nil {
			return fmt.Errorf("batch get: %w", err)
		}
		for _, k := range missing {
			tx.remember(k, found[string(k)])
		}
	}
	return tx.checkLazy()
}

// iterator is the part of client-go's iterator titan uses.
type iterator interface {
	Valid() bool
	Key() []byte
	Value() []byte
	Next() error
	Close()
}

// scan calls fn for each key in [start, end) in order until fn returns
// false, reading at most limit keys (0: no limit).
func (tx *Tx) scan(start, end []byte, limit int, fn func(k, v []byte) (bool, error)) error {
	if tx.planning {
		return errPlanning
	}
	if err := tx.checkLazy(); err != nil {
		return err
	}
	it, err := tx.t.Iter(start, end)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer it.Close()
	return walk(it, limit, func(k []byte) bool { return true }, fn)
}

// scanReverse calls fn for each key in [start, end) from the last down.
func (tx *Tx) scanReverse(start, end []byte, limit int, fn func(k, v []byte) (bool, error)) error {
	if tx.planning {
		return errPlanning
	}
	if err := tx.checkLazy(); err != nil {
		return err
	}
	it, err := tx.t.IterReverse(end)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer it.Close()
	return walk(it, limit, func(k []byte) bool { return string(k) >= string(start) }, fn)
}

func walk(it iterator, limit int, inRange func([]byte) bool, fn func(k, v []byte) (bool, error)) error {
	for n := 1; it.Valid() && inRange(it.Key()); n++ {
		more, err := fn(it.Key(), it.Value())
		if err != nil || !more || (limit > 0 && n >= limit) {
			// Stop before Next: it may fetch another batch for nothing.
			return err
		}
		if err := it.Next(); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	return nil
}
