package tests

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// respConn sends commands and reads whole replies as raw RESP text, so
// that tests compare reply types byte for byte (status vs bulk, null
// bulk vs null array, error codes).
type respConn struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
}

func dialRESP(t testing.TB, addr string) *respConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{t: t, c: c, rd: bufio.NewReader(c)}
}

// do sends one command and returns its raw reply.
func (r *respConn) do(args ...string) string {
	r.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	r.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := r.c.Write([]byte(b.String())); err != nil {
		r.t.Fatal(err)
	}
	s, err := readRESP(r.rd)
	if err != nil {
		r.t.Fatalf("%q: %v", args, err)
	}
	return s
}

func readRESP(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 {
		return "", fmt.Errorf("short line %q", line)
	}
	switch line[0] {
	case '$', '=':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(rd, buf); err != nil {
			return "", err
		}
		return line + string(buf), nil
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if line[0] == '%' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			s, err := readRESP(rd)
			if err != nil {
				return "", err
			}
			out += s
		}
		return out, nil
	}
	return line, nil
}

func ioReadFull(rd *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := rd.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// scriptCase is one command sent to both servers. prefix, when set,
// compares only the replies' first prefix bytes (gopher-lua's own
// wording after them, such as compile errors).
type scriptCase struct {
	args   []string
	prefix int
}

func ev(script string, numkeysAndArgs ...string) scriptCase {
	if len(numkeysAndArgs) == 0 {
		numkeysAndArgs = []string{"0"}
	}
	return scriptCase{args: append([]string{"EVAL", script}, numkeysAndArgs...)}
}

func cmdc(args ...string) scriptCase { return scriptCase{args: args} }

// scriptCases are the differential cases: every form of EVAL*, the
// conversions both ways, error texts with lines, the libraries, the
// sandbox and the script cache. They run in order on one connection.
var scriptCases = []scriptCase{
	// Lua -> RESP
	ev("return 1"), ev("return -3.7"), ev("return 3.99"), ev("return 1e20"), ev("return 2^53"),
	ev("return 'str'"), ev("return ''"), ev("return true"), ev("return false"), ev("return nil"),
	ev("return {1,2,3.99,'a',false,nil,5}"), ev("return {1,{2,{3,{}}},'x'}"), ev("return {}"),
	ev("return {ok='fine'}"), ev("return {ok='two\\nlines'}"), ev("return {err='bad thing'}"),
	ev("return {err='-bad thing'}"), ev("return {err=''}"), ev("return {ok=''}"),
	ev("return {ok=1}"), ev("return {err={}}"), ev("return {a=1,b=2}"), ev("return {1,2,a=3}"),
	ev("return redis.error_reply('My err')"), ev("return redis.error_reply('boom')"),
	ev("return redis.error_reply('')"), ev("return redis.error_reply(1)"),
	ev("return redis.status_reply('st')"), ev("return redis.status_reply()"),
	ev("return {redis.error_reply('E1 x')}"), ev("return {{ok='nested'}}"),
	ev("return print"), ev("return {print}"),
	ev("return 9007199254740993"), ev("return -0"), ev("return 0/0"), ev("return 1/0"), ev("return -1/0"),
	// KEYS / ARGV
	ev("return KEYS", "2", "k1", "k2", "a1"), ev("return ARGV", "1", "k1", "a1", "a2"),
	ev("return {#KEYS, #ARGV}"), ev("return KEYS[1]", "1", ""),
	// RESP -> Lua
	cmdc("DEL", "s1", "h1", "l1", "n1", "z1"),
	ev("return redis.call('set', KEYS[1], ARGV[1])", "1", "s1", "v1"),
	ev("return redis.call('get', KEYS[1])", "1", "s1"),
	ev("return redis.call('get', 'nokey')"), ev("return type(redis.call('get', 'nokey'))"),
	ev("return tostring(redis.call('get', 'nokey'))"),
	ev("return type(redis.call('set', 's1', 'x'))"), ev("return redis.call('set', 's1', 'x')['ok']"),
	ev("return redis.call('incr', 'n1')"), ev("return type(redis.call('incr', 'n1'))"),
	ev("redis.call('rpush', 'l1', 'a', 'b', 'c'); return redis.call('lrange', 'l1', 0, -1)"),
	ev("return redis.call('lrange', 'nolist', 0, -1)"), ev("return type(redis.call('lrange', 'nolist', 0, -1))"),
	ev("redis.call('hset', 'h1', 'f', 'v'); return redis.call('hgetall', 'h1')"),
	ev("redis.call('zadd', 'z1', 1.5, 'm'); return redis.call('zrange', 'z1', 0, -1, 'withscores')"),
	ev("return redis.call('zscore', 'z1', 'm')"),
	ev("return redis.call('mget', 's1', 'nokey', 'n1')"),
	ev("local r = redis.call('mget', 's1', 'nokey', 'n1'); return {type(r[1]), type(r[2]), type(r[3])}"),
	ev("return redis.call('exists', 's1', 'nokey')"),
	ev("return redis.call('set', 1.5, 2)"), ev("return redis.call('get', 1.5)"),
	ev("return redis.call('set', 'big', 12345678901234)"), ev("return redis.call('get', 'big')"),
	ev("return redis.call('set', 'fl', 0.1)"), ev("return redis.call('get', 'fl')"),
	// errors from commands, with line numbers
	ev("return redis.call('incr', 's1')"), ev("return redis.pcall('incr', 's1')"),
	ev("return type(redis.pcall('incr', 's1'))"), ev("return redis.pcall('incr', 's1')['err']"),
	ev("local a = 1\nlocal b = 2\nreturn redis.call('incr', 's1')"),
	ev("return redis.call('hget', 's1', 'f')"), ev("return redis.pcall('hget', 's1', 'f')"),
	ev("return redis.call('set','k','v','xx','nx')"), ev("return redis.pcall('set','k','v','xx','nx')"),
	ev("return redis.call('nosuch')"), ev("return redis.pcall('nosuch')"),
	ev("return redis.call('get')"), ev("return redis.pcall('get')"),
	ev("return redis.call()"), ev("return redis.pcall()"),
	ev("return redis.call('get', {})"), ev("return redis.pcall('get', {})"), ev("return redis.call('get', nil)"),
	ev("return redis.call('eval', 'return 1', '0')"), ev("return redis.call('multi')"),
	ev("return redis.call('watch', 'x')"), ev("return redis.call('script', 'load', 'return 1')"),
	ev("local t = redis.pcall('nosuch'); return t.err"),
	ev("local ok, e = pcall(redis.call, 'incr', 's1'); return {tostring(ok), e.err}"),
	// script errors
	ev("error('boom')"), ev("error({err='X boom'})"), ev("error({err='boom'})"), ev("error()"),
	ev("error(nil)"), ev("local a = 1\n\nerror('x')"),
	// runtime errors: gopher-lua words them its own way after the line
	{args: []string{"EVAL", "local t = nil\nreturn t.x", "0"}, prefix: len("-ERR user_script:2:")},
	{args: []string{"EVAL", "return 1 + {}", "0"}, prefix: len("-ERR user_script:1:")},
	{args: []string{"EVAL", "return #nil", "0"}, prefix: len("-ERR user_script:1:")},
	ev("local function f() error('deep') end\nf()"),
	ev("local function f()\n  return redis.call('nosuch')\nend\nreturn f()"),
	ev("return redis.sha1hex()"), ev("return redis.log()"), ev("return redis.log('x', 'y')"),
	ev("return redis.log(9, 'y')"), ev("return redis.setresp()"), ev("return redis.setresp(4)"),
	ev("return redis.set_repl()"), ev("return redis.set_repl(99)"),
	// compile errors (gopher-lua words the message itself)
	{args: []string{"EVAL", "return 'a' +", "0"}, prefix: len("-ERR Error compiling script (new function): user_script:1:")},
	{args: []string{"EVAL", "retur 1", "0"}, prefix: len("-ERR Error compiling script (new function): user_script:")},
	// numkeys
	ev("return 1", "-1"), ev("return 1", "3", "a"), ev("return 1", "x"), ev("return 1", "1"),
	cmdc("EVAL", "return 1"), cmdc("EVAL"),
	// redis.* API
	ev("return redis.sha1hex('')"), ev("return redis.sha1hex('abc')"), ev("return redis.sha1hex(12)"),
	ev("return redis.log(redis.LOG_WARNING, 'hello', 'from', 'a script')"),
	ev("return redis.set_repl(redis.REPL_ALL)"), ev("return redis.replicate_commands()"),
	ev("return redis.acl_check_cmd('get', 'x')"), ev("return redis.acl_check_cmd('nosuch')"), ev("return redis.acl_check_cmd()"),
	ev("return redis.acl_check_cmd('GET')"), ev("return redis.acl_check_cmd({})"), ev("return redis.acl_check_cmd('set', 'a')"),
	ev("return {redis.REPL_ALL, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA}"),
	ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
	ev("redis.setresp(3); return redis.call('hgetall', 'h1')"),
	ev("redis.setresp(3); return redis.call('get', 'nokey') == nil"),
	ev("redis.setresp(3); return redis.call('zscore', 'z1', 'm')"),
	ev("redis.setresp(3); return redis.call('zscore', 'z1', 'm').double"),
	ev("redis.setresp(3); return redis.call('smembers', 'noset')"),
	ev("redis.setresp(2); return redis.call('hgetall', 'h1')"),
	ev("return {double=1.5}"), ev("return {big_number='123456789012345678901234567890'}"),
	ev("return {map={a=1}}"), ev("return {set={x=true}}"), ev("return {true, false, {double=1.5}, {map={a={1,2}}}, nil}"),
	ev("return {double='x'}"), ev("return {map=1}"),
	// scripts inside MULTI and pipelines
	cmdc("MULTI"), ev("return redis.call('incr', KEYS[1])", "1", "mx"), cmdc("EVAL", "return 1", "x"),
	ev("return redis.call('incr', KEYS[1])", "1", "mx"), cmdc("EXEC"),
	cmdc("MULTI"), ev("return redis.call('incr', KEYS[1])", "1", "mx"), ev("error('in multi')"), cmdc("EXEC"), cmdc("GET", "mx"),
	// sandbox
	ev("x = 1"), ev("return x"), ev("redis.call = nil"), ev("string.foo = 1"), ev("_G.y = 1"),
	ev("return os.time()"), ev("return io"), ev("return dofile"), ev("return loadfile"),
	ev("return type(loadstring)"), ev("return type(load)"), ev("return require"), ev("return print"),
	ev("return debug"), ev("return type(getfenv)"), ev("return type(newproxy)"),
	ev("local f = loadstring('return 41 + 1'); return f()"),
	ev("return type(_G)"), ev("return _VERSION"), ev("return type(coroutine.create)"),
	ev("return type(gcinfo())"), ev("return {pcall(function() error('inner') end)}"),
	ev("return {select('#', 1, 2, 3), unpack({4, 5})}"),
	ev("local t = {3, 1, 2}; table.sort(t); return t"), ev("return table.concat({'a', 'b'}, ',')"),
	ev("return {string.format('%d-%s-%5.2f', 1, 'x', 3.14159), string.rep('ab', 3), ('x'):upper()}"),
	ev("return {string.find('hello', 'l'), string.gsub('hello', 'l', 'L')}"),
	ev("return {math.floor(3.7), math.max(1, 5, 3), math.huge > 0, math.fmod(7, 3)}"),
	ev("return tonumber('0x10')"), ev("return tonumber('  12  ')"), ev("return tostring(12)"),
	ev("math.randomseed(7); return {math.random(100), math.random(5, 10), math.random(1000000)}"),
	ev("math.randomseed(7); return math.random() * 1000000"),
	ev("return math.random(0)"), ev("return math.random(5, 1)"),
	// cjson
	ev("return cjson.encode({1, 2, {a = 1}})"), ev("return cjson.encode({})"),
	ev("return cjson.encode('a/b\"c\\\\\\1\\127')"), ev("return cjson.encode({1, 2, nil, 4})"),
	ev("return cjson.encode({[1] = 1, [20] = 2})"), ev("return cjson.encode({a = {b = {1.5, true, false}}})"),
	ev("return cjson.encode(0.1)"), ev("return cjson.encode(1e20)"), ev("return cjson.encode(1/0)"),
	ev("return cjson.encode({[true] = 1})"), ev("return cjson.encode(cjson.null)"),
	ev("return cjson.encode(123456789012345678)"), ev("return cjson.encode(-0.0)"),
	ev("return cjson.encode({1, 2, [5] = 3})"), ev("return cjson.encode(function() end)"),
	ev("return cjson.decode('[1,2,null,{\"a\":\"x\"}]')[4].a"), ev("return cjson.decode('{\"a\":')"),
	ev("return cjson.decode('\"\\\\u00e9\\\\n\"')"), ev("return type(cjson.decode('null'))"),
	ev("return cjson.encode(cjson.decode('[1,null,3]'))"), ev("return cjson.decode('1.5e3')"),
	ev("return cjson.decode('[1, 2, 3]')"), ev("return cjson.decode('{\"k\": [true, false]}').k"),
	ev("return cjson.decode('tru')"), ev("return cjson.decode('[1,]')"), ev("return cjson.decode('{1:2}')"),
	ev("return cjson.decode('[1] x')"), ev("return cjson.decode('')"),
	ev("local t = cjson.decode(ARGV[1]); return t.name .. ':' .. t.n", "0", `{"name":"bob","n":3}`),
	// cmsgpack
	ev("return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483649)"),
	ev("return cmsgpack.pack(1.5, 0.1, 'abc', true, false, nil)"),
	ev("return cmsgpack.pack({1, 2, 3}, {a = 1}, {})"),
	ev("return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))"),
	ev("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, 1.5))}"),
	ev("return cmsgpack.unpack(cmsgpack.pack({k = 'v'})).k"),
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}"),
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}"),
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"),
	ev("return cmsgpack.unpack('\\217')"), ev("return cmsgpack.unpack('\\193')"),
	ev("return cmsgpack.pack()"),
	// bit
	ev("return {bit.band(7, 3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.tobit(2^32 + 5)}"),
	ev("return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(1, 33), bit.ror(1, 1)}"),
	ev("return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(255, 2), bit.bswap(0x12345678)}"),
	ev("return bit.band('x', 1)"),
	// struct
	ev("return struct.pack('>I2<i4', 258, -2)"), ev("return struct.pack('bBhHlLi3', -1, 255, -2, 65535, -3, 7, 70000)"),
	ev("return {struct.unpack('>I2<i4', struct.pack('>I2<i4', 258, -2))}"),
	ev("return {struct.unpack('s', struct.pack('s', 'hello'))}"),
	ev("return {struct.unpack('c0', 'x')}"), ev("return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'abc'))}"),
	ev("return {struct.size('>I2i4d'), struct.size('!4bi')}"), ev("return struct.pack('!4bi', 1, 2)"),
	ev("return {struct.unpack('d', struct.pack('d', 1.25))}"), ev("return {struct.unpack('f', struct.pack('f', 0.5))}"),
	ev("return struct.pack('y', 1)"), ev("return struct.unpack('i4', 'ab')"),
	// the script cache
	cmdc("SCRIPT", "FLUSH"),
	cmdc("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"), cmdc("EVALSHA", "abc", "0"),
	cmdc("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffffffffffffffffffffffffffffffffffffffff"),
	cmdc("SCRIPT", "LOAD", "return 'loaded'"), cmdc("EVALSHA", "f4a9ad5b7b8a8c0ec5d0f3a2deb2e4ed4c6ac5b8", "0"),
	cmdc("EVALSHA", "F4A9AD5B7B8A8C0EC5D0F3A2DEB2E4ED4C6AC5B8", "0"),
	ev("return 'cached by eval'"), cmdc("EVALSHA", "7f11c0fa5a86ec0c49c1e6d3b1b8e2b7b8b0f5a4", "0"),
	{args: []string{"SCRIPT", "LOAD", "return 'x' +"}, prefix: len("-ERR Error compiling script (new function): user_script:1:")},
	cmdc("SCRIPT", "LOAD"), cmdc("SCRIPT", "EXISTS"),
	cmdc("SCRIPT", "FLUSH", "ASYNC"), cmdc("SCRIPT", "FLUSH", "SYNC"), cmdc("SCRIPT", "FLUSH", "foo"),
	cmdc("SCRIPT", "KILL"), cmdc("SCRIPT", "foo"), cmdc("SCRIPT", "HELP"),
	cmdc("EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0"),
	// shebang
	ev("#!lua flags=no-writes\nreturn redis.call('set','a','b')"), ev("#!lua\nreturn 1"), ev("#!lua flags=foo\nreturn 1"),
	ev("#!lua name=x\nreturn 1"), ev("#!luax\nreturn 1"), ev("#!lua flags=no-writes,allow-oom\nreturn redis.call('get','a')"),
	ev("#!lua\nerror('x')"), ev("#!lua flags=\nreturn 2"), cmdc("EVAL_RO", "#!lua\nreturn 1", "0"),
	cmdc("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"),
	// read-only scripts
	cmdc("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s1"),
	cmdc("EVAL_RO", "return redis.call('set', KEYS[1], 'v')", "1", "s1"),
	cmdc("EVAL_RO", "return redis.pcall('del', KEYS[1])", "1", "s1"),
	// writes before an error stay
	cmdc("DEL", "w1"), ev("redis.call('set', 'w1', 'kept'); error('after write')"), cmdc("GET", "w1"),
	ev("redis.call('set', 'w1', 'v2'); redis.call('incr', 'w1')"), cmdc("GET", "w1"),
	// SELECT inside a script stays in the script
	ev("redis.call('select', 1); redis.call('set', 'in1', 'x'); return redis.call('get', 'in1')"),
	cmdc("GET", "in1"), cmdc("SELECT", "1"), cmdc("GET", "in1"), cmdc("DEL", "in1"), cmdc("SELECT", "0"),
}

func TestScriptingDifferential(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	a := dialRESP(t, ti.Addr)
	b := dialRESP(t, rd.Options().Addr)
	for _, c := range scriptCases {
		x, y := a.do(c.args...), b.do(c.args...)
		if c.prefix > 0 {
			x, y = x[:min(len(x), c.prefix)], y[:min(len(y), c.prefix)]
		}
		if x != y {
			t.Errorf("%q:\n titan: %q\n redis: %q", c.args, x, y)
		}
	}
}

const lib1 = "#!lua name=lib1\n" +
	"redis.register_function('f1', function(keys, args) return {keys, args} end)\n" +
	"redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='desc'}\n" +
	"redis.register_function{function_name='f3', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-stale'}}\n" +
	"redis.register_function('f4', function(keys, args)\n  local x = 1\n  error('oops')\nend)\n" +
	"redis.register_function('f5', function(keys, args) return redis.call('incr', keys[1]) end)"

const lib2 = "#!lua name=lib2\nredis.register_function('g', function(keys, args) return 'g ' .. #keys .. ' ' .. #args end)"

const lib2v2 = "#!lua name=lib2\nredis.register_function('g', function() return 'v2' end)"

// functionCases are the differential cases of FUNCTION and FCALL.
var functionCases = []scriptCase{
	cmdc("FUNCTION", "FLUSH"), cmdc("DEL", "fk"),
	cmdc("FUNCTION", "LOAD", "return 1"), cmdc("FUNCTION", "LOAD", "#!lua\nreturn 1"),
	cmdc("FUNCTION", "LOAD", "#!lua name=1-x\nreturn 1"), cmdc("FUNCTION", "LOAD", "#!lua name=lib1 foo=bar\nreturn 1"),
	cmdc("FUNCTION", "LOAD", "#!lua2 name=lib1\nreturn 1"), cmdc("FUNCTION", "LOAD", "#!lua name=lib1\nreturn 1"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib1\nredis.call('ping')"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('a-b', function() end)"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('g', function() end)\nredis.register_function('g', function() end)"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function{function_name='g', callback=function() end, flags={'bad'}}"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function{function_name='g', callback=function() end, foo=1}"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('g')"),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nx = 1"), cmdc("FUNCTION", "LOAD", "#!lua name=lib2\nerror('bad')"),
	{args: []string{"FUNCTION", "LOAD", "#!lua name=lib2\nlocal a = 1 +"}, prefix: len("-ERR Error compiling function: user_function:2:")},
	cmdc("FUNCTION", "LOAD", lib1), cmdc("FUNCTION", "LOAD", lib1),
	cmdc("FUNCTION", "LOAD", "#!lua name=lib9\nredis.register_function('f1', function() end)"),
	cmdc("FUNCTION", "LOAD", "REPLACE", "#!lua name=lib9\nredis.register_function('f1', function() end)"),
	cmdc("FUNCTION", "LOAD", lib2), cmdc("FUNCTION", "LOAD", "REPLACE", lib2v2), cmdc("FCALL", "g", "0"),
	cmdc("FUNCTION", "LOAD", "REPLACE", lib2), cmdc("FUNCTION", "LOAD", "FOO", lib2),
	cmdc("FCALL", "f1", "2", "k1", "k2", "a1"), cmdc("FCALL", "g", "1", "k", "a", "b"),
	cmdc("FCALL", "f2", "1", "fk", "v"), cmdc("FCALL_RO", "f1", "0"), cmdc("FCALL_RO", "f3", "1", "fk"),
	cmdc("FCALL", "f3", "1", "fk"), cmdc("FCALL", "f4", "0"), cmdc("FCALL", "f5", "1", "fk"), cmdc("GET", "fk"),
	cmdc("FCALL", "nosuch", "0"), cmdc("FCALL", "f1", "x"), cmdc("FCALL", "f1", "5"), cmdc("FCALL", "f1", "-1"),
	cmdc("FCALL", "F1", "0"), cmdc("FCALL"),
	cmdc("FUNCTION", "LIST", "LIBRARYNAME", "lib2"), cmdc("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib2"),
	cmdc("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"), cmdc("FUNCTION", "LIST", "LIBRARYNAME"),
	cmdc("FUNCTION", "LIST", "foo"),
	cmdc("FUNCTION", "DELETE", "nosuch"), cmdc("FUNCTION", "DELETE", "lib2"), cmdc("FCALL", "g", "0"),
	cmdc("FUNCTION", "LIST", "LIBRARYNAME", "lib2"),
	cmdc("FUNCTION", "FLUSH", "foo"), cmdc("FUNCTION", "KILL"), cmdc("FUNCTION", "FOO"), cmdc("FUNCTION", "HELP"),
	cmdc("FUNCTION", "RESTORE", "garbage"), cmdc("FUNCTION", "RESTORE", "x", "BAD"),
	// Payloads with a right footer: a string's DUMP, a library without
	// metadata, a library cut short.
	cmdc("FUNCTION", "RESTORE", dumpPayload("\x00\x01v")), cmdc("FUNCTION", "RESTORE", dumpPayload("\xf5\x03abc")),
	cmdc("FUNCTION", "RESTORE", dumpPayload("\xf5")),
	cmdc("FUNCTION", "FLUSH", "SYNC"), cmdc("FCALL", "f1", "0"), cmdc("FUNCTION", "LIST"),
	cmdc("FUNCTION", "STATS"),
	cmdc("FUNCTION", "LOAD", lib2), cmdc("FUNCTION", "STATS"), cmdc("FUNCTION", "FLUSH", "ASYNC"),
}

// dumpPayload is body with the footer of a DUMP payload (RDB version 10,
// CRC64).
func dumpPayload(body string) string {
	p := binary.LittleEndian.AppendUint16([]byte(body), encoding.RDBVersion)
	return string(binary.LittleEndian.AppendUint64(p, encoding.CRC64(0, p)))
}

func TestFunctionsDifferential(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	a := dialRESP(t, ti.Addr)
	b := dialRESP(t, rd.Options().Addr)
	for _, c := range functionCases {
		x, y := a.do(c.args...), b.do(c.args...)
		if c.prefix > 0 {
			x, y = x[:min(len(x), c.prefix)], y[:min(len(y), c.prefix)]
		}
		if x != y {
			t.Errorf("%q:\n titan: %q\n redis: %q", c.args, x, y)
		}
	}
	// DUMP and RESTORE: titan's payload restores on redis-server and
	// redis-server's on titan (Redis compresses it with LZF).
	for _, c := range [][]*respConn{{a, b}, {b, a}} {
		from, to := c[0], c[1]
		from.do("FUNCTION", "FLUSH")
		to.do("FUNCTION", "FLUSH")
		if r := from.do("FUNCTION", "LOAD", lib1); r != "$4\r\nlib1\r\n" {
			t.Fatalf("load: %q", r)
		}
		dump := from.do("FUNCTION", "DUMP")
		payload := dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
		if r := to.do("FUNCTION", "RESTORE", payload); r != "+OK\r\n" {
			t.Fatalf("RESTORE of a DUMP: %q", r)
		}
		if x, y := from.do("FUNCTION", "LIST", "WITHCODE"), to.do("FUNCTION", "LIST", "WITHCODE"); len(x) != len(y) {
			t.Errorf("after RESTORE: %q vs %q", x, y)
		}
		if r := to.do("FUNCTION", "RESTORE", payload); r != "-ERR Library lib1 already exists\r\n" {
			t.Errorf("RESTORE APPEND of an existing library: %q", r)
		}
		if r := to.do("FUNCTION", "RESTORE", payload, "REPLACE"); r != "+OK\r\n" {
			t.Errorf("RESTORE REPLACE: %q", r)
		}
		if r := to.do("FCALL", "f1", "1", "k", "a"); r != "*2\r\n*1\r\n$1\r\nk\r\n*1\r\n$1\r\na\r\n" {
			t.Errorf("FCALL after RESTORE: %q", r)
		}
	}
}

// TestScriptPipeline: scripts in a pipeline with other commands answer in
// order and see each other's writes, as on redis-server.
func TestScriptPipeline(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	cmds := [][]string{
		{"SET", "pk", "1"},
		{"EVAL", "return redis.call('incr', KEYS[1])", "1", "pk"},
		{"EVAL", "return redis.call('get', KEYS[1])", "1", "pk"},
		{"INCR", "pk"},
		{"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"},
		{"EVAL", "redis.call('incr', KEYS[1]); error('x')", "1", "pk"},
		{"EVAL", "return redis.call('get', 'pk')", "0"},
		{"GET", "pk"},
	}
	var req strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&req, "*%d\r\n", len(c))
		for _, a := range c {
			fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	var out [2][]string
	for i, addr := range []string{ti.Addr, rd.Options().Addr} {
		c := dialRESP(t, addr)
		if _, err := c.c.Write([]byte(req.String())); err != nil {
			t.Fatal(err)
		}
		for range cmds {
			s, err := readRESP(c.rd)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], s)
		}
	}
	for i := range cmds {
		if out[0][i] != out[1][i] {
			t.Errorf("%q: titan %q, redis %q", cmds[i], out[0][i], out[1][i])
		}
	}
	// Three scripts ran well, one answered an error (EVALSHA of a missing
	// script never ran); each run has its duration.
	ok, failed := ti.Metric(`titan_script_runs_total{result="ok"}`), ti.Metric(`titan_script_runs_total{result="error"}`)
	if ok != 3 || failed != 1 || ti.Metric("titan_script_duration_seconds_count") != 4 {
		t.Errorf("script metrics: ok %v, error %v, durations %v", ok, failed, ti.Metric("titan_script_duration_seconds_count"))
	}
}
