package db

import "github.com/titan-kv/titan/encoding"

// ZSCAN and ZRANDMEMBER: the sorted set commands that read the member
// entries (ZSetMemberSub(member) -> score) rather than the score index,
// with the scan page and the sampler every type shares.

// zMemberDecoder decodes the member entries of m.
func (tx *Tx) zMemberDecoder(m *encoding.Meta) decoder[ScoredMember] {
	return func(k, v []byte) (ScoredMember, bool, error) {
		sm, err := tx.zDecodeMember(m, k, v)
		return sm, err == nil, err
	}
}

// Scan returns up to count members from member start on (in member
// order), matching pattern when it is not nil.
func (z ZSet) Scan(start []byte, count int, pattern []byte) (ScanPage[ScoredMember], error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return ScanPage[ScoredMember]{}, err
	}
	from, to := z.tx.zMemberSpan(m)
	return scanPage(z.tx, from, start, to, count, pattern, z.tx.zMemberDecoder(m), func(sm ScoredMember) []byte { return sm.Member })
}

// RandMember returns random members: up to count distinct members for
// count > 0; -count members that may repeat for count < 0 (ZRANDMEMBER
// without count asks for 1).
func (z ZSet) RandMember(count int64) ([]ScoredMember, error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return nil, err
	}
	from, to := z.tx.zMemberSpan(m)
	return sampleRange(z.tx, sampleSource[ScoredMember]{from: from, to: to, n: m.Count, decode: z.tx.zMemberDecoder(m)}, count)
}
