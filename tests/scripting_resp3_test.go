package tests

import "testing"

// TestScriptingRESP3 compares, byte for byte, scripts and functions run
// on a RESP3 connection: Lua values converted to RESP3 types, the RESP3
// replies a script sees after redis.setresp(3), and FUNCTION LIST/STATS.
func TestScriptingRESP3(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	a := dialRESP(t, ti.Addr)
	b := dialRESP(t, rd.Options().Addr)
	a.do("HELLO", "3")
	b.do("HELLO", "3")
	for _, c := range []scriptCase{
		cmdc("DEL", "h", "z", "s"), cmdc("HSET", "h", "f", "v"), cmdc("ZADD", "z", "1.5", "m"), cmdc("SADD", "s", "a"),
		ev("return {true, false, nil, 1.5}"), ev("return true"), ev("return false"), ev("return nil"),
		ev("redis.setresp(3); local r = redis.call('hgetall', 'h'); return {r.map.f, type(redis.call('get', 'nokey')), redis.call('zscore', 'z', 'm').double, r}"),
		ev("redis.setresp(3); return {redis.call('smembers', 's').set.a, redis.call('exists', 'h')}"),
		ev("redis.setresp(3); return redis.call('zscore', 'z', 'm')"),
		ev("redis.setresp(3); return redis.call('smembers', 's')"),
		ev("redis.setresp(3); return redis.call('get', 'nokey')"),
		ev("redis.setresp(3); return false"), ev("return {double=1.5}"), ev("return {map={a=1}}"), ev("return {set={x=true}}"),
		ev("return {big_number='12'}"), ev("return redis.call('hgetall', 'h')"), ev("return redis.call('zrange', 'z', 0, -1, 'withscores')"),
		ev("redis.setresp(3); return redis.call('zrange', 'z', 0, -1, 'withscores')"),
		ev("return {err='x'}"), ev("return {ok='fine'}"), cmdc("FUNCTION", "FLUSH"),
		cmdc("FUNCTION", "LOAD", "#!lua name=l\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}, description='d'}"),
		cmdc("FUNCTION", "LIST"), cmdc("FUNCTION", "STATS"),
	} {
		x, y := a.do(c.args...), b.do(c.args...)
		if x != y {
			t.Errorf("%q:\n titan: %q\n redis: %q", c.args, x, y)
		}
	}
}
