package scripting

import (
	"context"
	"testing"

	"github.com/titan-kv/titan/resp"
)

// replies is a Host answering from a table, as a RESP3 server would.
type replies map[string]string

func (r replies) Call(args [][]byte, p resp.Proto) ([]byte, error) {
	return []byte(r[string(args[0])]), nil
}

func (r replies) Known(name []byte) bool { return r[string(name)] != "" }

// TestRESP3Conversions checks both directions against what redis-server
// 7.0 answers a RESP3 client (HELLO 3) for the same scripts.
func TestRESP3Conversions(t *testing.T) {
	host := replies{
		"hgetall":  "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
		"get":      "_\r\n",
		"zscore":   ",1.5\r\n",
		"smembers": "~1\r\n$1\r\na\r\n",
		"exists":   ":1\r\n",
		"big":      "(123\r\n",
		"verb":     "=7\r\ntxt:abc\r\n",
		"bool":     "#f\r\n",
	}
	rt := New(Limits{})
	for _, c := range []struct{ script, want string }{
		{"return {true, false, nil, 1.5}", "*2\r\n:1\r\n_\r\n"},
		{"return true", ":1\r\n"},
		{"return false", "_\r\n"},
		{"return nil", "_\r\n"},
		{"redis.setresp(3); local r = redis.call('hgetall', 'h'); return {r.map.f, type(redis.call('get', 'nokey')), redis.call('zscore', 'z', 'm').double, r}",
			"*4\r\n$1\r\nv\r\n$3\r\nnil\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{"redis.setresp(3); return {redis.call('smembers', 's').set.a, redis.call('exists', 'h')}", "*2\r\n#t\r\n:1\r\n"},
		{"redis.setresp(3); return redis.call('zscore', 'z', 'm')", ",1.5\r\n"},
		{"redis.setresp(3); return redis.call('smembers', 's')", "~1\r\n$1\r\na\r\n"},
		{"redis.setresp(3); return redis.call('get', 'nokey')", "_\r\n"},
		{"redis.setresp(3); return {redis.call('big').big_number, redis.call('verb').verbatim_string.format, redis.call('verb').verbatim_string.string, tostring(redis.call('bool'))}",
			"*4\r\n$3\r\n123\r\n$3\r\ntxt\r\n$3\r\nabc\r\n$5\r\nfalse\r\n"},
		{"redis.setresp(3); return false", "#f\r\n"},
		{"return {big_number='12'}", "(12\r\n"},
	} {
		sc, err := Compile([]byte(c.script))
		if err != nil {
			t.Fatal(err)
		}
		r, err := rt.Eval(context.Background(), sc, Exec{Host: host})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(r.Append(nil, resp.RESP3)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.script, got, c.want)
		}
	}
}
