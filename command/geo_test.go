package command

import (
	"testing"

	"github.com/titan-kv/titan/resp"
)

// TestGeoReplies checks the coordinate and distance replies in both
// protocols, as redis-server 7.0 writes them (redis-cli -3).
func TestGeoReplies(t *testing.T) {
	for _, c := range []struct {
		r    resp.Reply
		p    resp.Proto
		want string
	}{
		{humanDouble(13.361389338970184), resp.RESP2, "$20\r\n13.36138933897018433\r\n"},
		{humanDouble(13.361389338970184), resp.RESP3, ",13.36138933897018433\r\n"},
		{humanDouble(-0.0), resp.RESP3, ",0\r\n"},
		{humanDouble(2), resp.RESP2, "$1\r\n2\r\n"},
		{geoDistance(166274.15156960033), resp.RESP3, "$11\r\n166274.1516\r\n"},
		{geoDistance(0), resp.RESP2, "$6\r\n0.0000\r\n"},
	} {
		if got := string(c.r.Append(nil, c.p)); got != c.want {
			t.Errorf("%v in RESP%d: %q, want %q", c.r, c.p, got, c.want)
		}
	}
}
