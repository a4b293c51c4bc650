package store

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/pingcap/goleveldb/leveldb"
	"github.com/pingcap/goleveldb/leveldb/cache"
	"github.com/pingcap/goleveldb/leveldb/opt"
)

// EmbeddedBlockCache is the capacity titan gives the embedded store's
// block cache (goleveldb's cache of decoded table blocks), in place of the
// 600 MB client-go's MVCC store opens it with: that cache filled with
// every block the store read back, a long value's chunks included, and
// held them in titan's heap. The table files stay in the OS's page cache,
// so a smaller cache costs a block decode on a miss, not a disk read.
const EmbeddedBlockCache = 32 << 20

// blockCache returns the block cache of the goleveldb database under
// client-go's MVCC store mvcc.
//
// client-go opens that database with a fixed 600 MB block cache and no
// way to change it. goleveldb's cache can be resized while open
// (cache.Cache.SetCapacity), but the cache sits in unexported fields:
// MVCCLevelDB.dbs["test_cf"] (*leveldb.DB) .s (*session) .tops (*tOps)
// .bcache (*cache.Cache). They are reached by reflection; the versions
// are pinned in go.mod and TestEmbeddedBlockCache fails when an upgrade
// moves them; blockCache then returns an error (the store keeps its
// cache) rather than panicking.
func blockCache(mvcc any) (*cache.Cache, error) {
	return levelDBPointer[cache.Cache](mvcc, "s", "tops", "bcache")
}

// EmbeddedWriteBuffer is the size titan gives the embedded store's
// memtable (goleveldb's write buffer), in place of goleveldb's 4 MB.
// Every flush of a full memtable makes one level-0 table; every
// CompactionL0Trigger (4) of them are merged with all of level 1, since
// writes to random keys overlap every table there. So each write paid
// about size(level 1) / 4.4 MB rewrites of its bytes, and level 1, up to
// 100 MB, holds the live keys and the MVCC history not collected yet: the
// store cost more per write the more it held (tools/bench -aged). With
// 16 MB, level-0 tables are ~4.5 MB instead of ~1.1 MB and level 1 is
// rewritten a quarter as often; the price is two memtables of 16 MB in
// memory at most and a longer journal to replay at open.
const EmbeddedWriteBuffer = 16 << 20

// leveldbOptions returns the options goleveldb reads while the embedded
// store runs: DB.s (*session) .o (*cachedOptions) .Options, an exported
// embedded field of an unexported one, reached as blockCache reaches the
// cache. goleveldb reads WriteBuffer from it each time it makes a
// memtable; the sizes of the levels are cached at open and are not
// changed here.
func leveldbOptions(mvcc any) (*opt.Options, error) {
	return levelDBPointer[opt.Options](mvcc, "s", "o", "Options")
}

// levelDBPointer is levelDBField for a last field that is a non-nil *T.
func levelDBPointer[T any](mvcc any, path ...string) (*T, error) {
	cur, err := levelDBField(mvcc, path...)
	if err != nil {
		return nil, err
	}
	p, ok := cur.Interface().(*T)
	if !ok || p == nil {
		return nil, fmt.Errorf("leveldb: %s is a %s", path[len(path)-1], cur.Type())
	}
	return p, nil
}

// levelDBField follows the fields path from the goleveldb database under
// mvcc, each a pointer to a struct but the last, and returns the last.
func levelDBField(mvcc any, path ...string) (reflect.Value, error) {
	db, err := levelDB(mvcc)
	if err != nil {
		return reflect.Value{}, err
	}
	cur := reflect.ValueOf(db)
	for _, name := range path {
		if cur.Kind() != reflect.Pointer || cur.IsNil() || cur.Elem().Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("leveldb: %s is in a %s", name, cur.Type())
		}
		if cur, err = field(cur.Elem(), name); err != nil {
			return reflect.Value{}, err
		}
	}
	return cur, nil
}

// levelDB returns the goleveldb database under client-go's MVCC store
// mvcc: MVCCLevelDB.dbs["test_cf"], an unexported field read by
// reflection. Only its exported methods are used.
func levelDB(mvcc any) (*leveldb.DB, error) {
	v := reflect.ValueOf(mvcc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("leveldb: MVCC store is a %T", mvcc)
	}
	dbs, err := field(v.Elem(), "dbs")
	if err != nil {
		return nil, err
	}
	m, ok := dbs.Interface().(map[string]*leveldb.DB)
	if !ok || m[mvccCF] == nil {
		return nil, fmt.Errorf("leveldb: MVCC store has no database %q", mvccCF)
	}
	return m[mvccCF], nil
}

// mvccCF is the name client-go's MVCC store gives its one database.
const mvccCF = "test_cf"

// field returns s's field name, readable although unexported.
func field(s reflect.Value, name string) (reflect.Value, error) {
	f := s.FieldByName(name)
	if !f.IsValid() {
		return reflect.Value{}, fmt.Errorf("leveldb: %s has no field %s", s.Type(), name)
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), nil
}
