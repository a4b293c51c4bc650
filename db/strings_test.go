package db

import (
	"bytes"
	"fmt"
	"testing"
)

func TestStringIncr(t *testing.T) {
	d := openTest(t, false)
	update(t, d, func(tx *Tx) error {
		s := tx.String([]byte("n"))
		if n, err := s.IncrBy(5); n != 5 || err != nil {
			t.Errorf("incrby on a new key = %d, %v", n, err)
		}
		if n, err := s.IncrBy(-7); n != -2 || err != nil {
			t.Errorf("incrby -7 = %d, %v", n, err)
		}
		if _, err := s.IncrBy(-1 << 63); err != ErrOverflow {
			t.Errorf("overflowing incrby: %v", err)
		}
		if v, err := s.IncrByFloat([]byte("0.5")); string(v) != "-1.5" || err != nil {
			t.Errorf("incrbyfloat = %q, %v", v, err)
		}
		if _, err := s.IncrBy(1); err != ErrNotInteger {
			t.Errorf("incrby on a float: %v", err)
		}
		if _, err := s.IncrByFloat([]byte("nan")); err != ErrNotFloat {
			t.Errorf("incrbyfloat nan: %v", err)
		}
		return nil
	})
}

func TestStringsSetNX(t *testing.T) {
	d := openTest(t, false)
	keys := [][]byte{[]byte("a"), []byte("b")}
	update(t, d, func(tx *Tx) error {
		if ok, err := tx.Strings(keys).Set([][]byte{[]byte("1"), []byte("2")}, true); !ok || err != nil {
			t.Errorf("msetnx on new keys = %v, %v", ok, err)
		}
		if ok, err := tx.Strings(keys[1:]).Set([][]byte{[]byte("3")}, true); ok || err != nil {
			t.Errorf("msetnx on an existing key = %v, %v", ok, err)
		}
		vals, err := tx.Strings(append(keys, []byte("c"))).Get()
		if err != nil || fmt.Sprintf("%q", vals) != `["1" "2" ""]` || vals[2] != nil {
			t.Errorf("mget = %q, %v", vals, err)
		}
		return err
	})
}

func TestKeyRenameCopy(t *testing.T) {
	d := openTest(t, false)
	update(t, d, func(tx *Tx) error {
		if _, err := tx.String([]byte("src")).Set([]byte("v"), SetOptions{ExpireAt: tx.Now() + 100000}); err != nil {
			return err
		}
		if ok, err := tx.Key([]byte("src")).Copy([]byte("cp"), 1, false); !ok || err != nil {
			t.Errorf("copy to db 1 = %v, %v", ok, err)
		}
		if ok, err := tx.Key([]byte("src")).Rename([]byte("dst"), false); !ok || err != nil {
			t.Errorf("rename = %v, %v", ok, err)
		}
		if _, err := tx.Key([]byte("src")).Rename([]byte("x"), false); err != ErrNoSuchKey {
			t.Errorf("rename of a missing key: %v", err)
		}
		if ttl, err := tx.Key([]byte("dst")).PTTL(); ttl <= 0 || ttl > 100000 || err != nil {
			t.Errorf("pttl after rename = %d, %v", ttl, err)
		}
		if typ, err := tx.Key([]byte("src")).Type(); typ != "none" || err != nil {
			t.Errorf("type of the renamed key = %q, %v", typ, err)
		}
		tx.DB = 1
		v, err := tx.String([]byte("cp")).Get()
		if string(v) != "v" || err != nil {
			t.Errorf("copy in db 1 = %q, %v", v, err)
		}
		tx.DB = 0
		return err
	})
}

func TestKeyspaceScan(t *testing.T) {
	d := openTest(t, false)
	update(t, d, func(tx *Tx) error {
		for i := range 25 {
			if _, err := tx.String([]byte(fmt.Sprintf("k%02d", i))).Set([]byte("v"), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		ks := tx.Keyspace()
		var all [][]byte
		var start []byte
		for {
			res, err := ks.Scan(start, 10, nil, 0)
			if err != nil {
				return err
			}
			all = append(all, res.Items...)
			if res.Next == nil {
				break
			}
			start = res.Next
		}
		if len(all) != 25 || !bytes.Equal(all[24], []byte("k24")) {
			t.Errorf("scan found %d keys", len(all))
		}
		keys, err := ks.Keys([]byte("k1*"))
		if len(keys) != 10 || err != nil {
			t.Errorf("keys k1* = %q, %v", keys, err)
		}
		if n, err := ks.Counts(); n.Keys != 25 || n.Expires != 0 || err != nil {
			t.Errorf("counts = %+v, %v", n, err)
		}
		k, err := ks.RandomKey()
		if len(k) != 3 || err != nil {
			t.Errorf("randomkey = %q, %v", k, err)
		}
		return err
	})
}
