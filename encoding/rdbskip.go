package encoding

// Skipping values of an RDB file without decoding them: replicate needs a
// key's raw bytes (its DUMP payload), not its elements, so WalkRDBRaw
// only finds where each value ends. The structure is still checked (every
// length must fit in the file); the elements themselves are checked by
// RESTORE on the receiving side.

// skipStr steps over one string of any encoding.
func (r *rdbReader) skipStr() {
	n, enc := r.length()
	if r.err != nil {
		return
	}
	if !enc {
		r.take(n)
		return
	}
	switch n {
	case 0:
		r.take(1)
	case 1:
		r.take(2)
	case 2:
		r.take(4)
	case 3:
		clen, e1 := r.length()
		if _, e2 := r.length(); e1 || e2 {
			r.fail()
			return
		}
		r.take(clen)
	default:
		r.fail()
	}
}

// skipValue steps over the encoding of a value of RDB type t; it reports
// false for a type value does not read either (module values). A stream
// is decoded to find its end: its layout has no skip-only path yet.
func (r *rdbReader) skipValue(t byte) bool {
	switch t {
	case rdbString, rdbSetIntset, rdbSetListpack, rdbListZiplist,
		rdbHashListpack, rdbZSetListpack, rdbHashZiplist, rdbZSetZiplist:
		r.skipStr()
	case rdbList, rdbSet:
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			r.skipStr()
		}
	case rdbHash:
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			r.skipStr()
			r.skipStr()
		}
	case rdbZSet, rdbZSet2:
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			r.skipStr()
			if t == rdbZSet2 {
				r.take(8)
			} else if l := r.byte(); l < 253 {
				r.take(uint64(l))
			}
		}
	case rdbListQuicklist, rdbListQuicklist2:
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			if t == rdbListQuicklist2 {
				r.length() // container
			}
			r.skipStr()
		}
	case rdbStreamListpacks, rdbStreamListpacks2, rdbStreamListpacks3:
		if _, err := r.value(t); err != nil {
			return false
		}
	default:
		return false
	}
	return r.err == nil
}
