// A mixed session through node-redis v5 speaking RESP3, printed as JSON
// lines so that tests/clients_test.go can compare titan with redis-server.
// Usage: node node_redis_session.mjs <node_modules dir> <host:port>
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.argv[2], 'x.js'));
const { createClient } = require('redis');

const client = createClient({ url: `redis://${process.argv[3]}`, RESP: 3 });
client.on('error', (e) => { console.log(JSON.stringify(['client error', String(e)])); });
await client.connect();

const out = [];
const show = (name, v) => {
  const norm = (x) => {
    if (x instanceof Map) return { map: [...x.entries()].map(([k, v]) => [norm(k), norm(v)]).sort() };
    if (x instanceof Set) return { set: [...x].map(norm).sort() };
    if (Array.isArray(x)) return x.map(norm);
    if (Buffer.isBuffer(x)) return x.toString();
    if (x && typeof x === 'object') return { object: Object.entries(x).map(([k, v]) => [k, norm(v)]).sort() };
    return x;
  };
  out.push(JSON.stringify([name, typeof v, norm(v)]));
};
// Sets and random picks come in any order: sorted ones are compared as sets.
const unordered = new Set(['SMEMBERS', 'SINTER', 'SUNION']);
const run = async (...args) => {
  try {
    let v = await client.sendCommand(args);
    if (unordered.has(args[0]) && Array.isArray(v)) v = [...v].sort();
    show(args.join(' '), v);
  } catch (e) {
    show(args.join(' '), 'error: ' + e.message);
  }
};

await run('FLUSHALL');
await run('HELLO');
await run('SET', 's', 'v');
await run('GET', 's');
await run('GET', 'nosuch');
await run('INCRBYFLOAT', 'f', '1.5');
await run('HSET', 'h', 'a', '1', 'b', '2');
await run('HGETALL', 'h');
await run('HGETALL', 'nosuch');
await run('HSET', 'h1', 'only', '1');
await run('HRANDFIELD', 'h1', '-2', 'WITHVALUES');
await run('SADD', 'st', 'x', 'y');
await run('SMEMBERS', 'st');
await run('SINTER', 'st', 'nosuch');
await run('SMISMEMBER', 'st', 'x', 'z');
await run('ZADD', 'z', '1.5', 'a', '2', 'b');
await run('ZSCORE', 'z', 'a');
await run('ZSCORE', 'z', 'nosuch');
await run('ZMSCORE', 'z', 'a', 'nosuch');
await run('ZINCRBY', 'z', '1', 'a');
await run('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
await run('ZPOPMIN', 'z');
await run('ZADD', 'z', '1', 'a', '3', 'c');
await run('ZPOPMAX', 'z', '2');
await run('ZADD', 'z', '4', 'd');
await run('ZRANDMEMBER', 'z', '-2', 'WITHSCORES');
await run('ZADD', 'z', '5', 'e');
await run('CONFIG', 'GET', 'databases');
await run('LPUSH', 'l', 'a', 'b');
await run('LRANGE', 'l', '0', '-1');
await run('LMPOP', '1', 'nosuch', 'LEFT');
// Typed commands.
show('hGetAll', await client.hGetAll('h'));
show('zRangeWithScores', await client.zRangeWithScores('z', 0, -1));
show('sMembers', (await client.sMembers('st')).sort());
show('zScore', await client.zScore('z', 'b'));
// A pipeline (commands sent together) and a transaction.
show('pipeline', await Promise.all([client.incr('n'), client.hGetAll('h'), client.zScore('z', 'nosuch')]));
show('multi', await client.multi().incr('n').hGetAll('h').zScore('z', 'b').exec());
for (const line of out) console.log(line);
await client.quit();
