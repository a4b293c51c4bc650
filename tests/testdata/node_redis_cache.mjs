// node-redis v5's client-side cache (RESP3, clientSideCache): a client
// reads through its cache on one server while another client writes on a
// second address (another titan instance over the same store, or the same
// redis-server). Prints JSON lines: values read, whether each came from
// the cache, and the invalidations received, so tests/tracking_cluster_test.go
// can compare titan with redis-server.
// Usage: node node_redis_cache.mjs <node_modules dir> <cache host:port> <writer host:port>
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.argv[2], 'x.js'));
const { createClient, BasicClientSideCache } = require('redis');

const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: 'LRU' });
const reader = createClient({ url: `redis://${process.argv[3]}`, RESP: 3, clientSideCache: cache });
const writer = createClient({ url: `redis://${process.argv[4]}`, RESP: 3 });
for (const c of [reader, writer]) {
  c.on('error', (e) => { console.log(JSON.stringify(['client error', String(e)])); });
  await c.connect();
}
const invalidated = [];
cache.on('invalidate', (key) => invalidated.push(key === null ? null : key.toString()));

const out = [];
// read GETs key through the cache and says whether it was a hit.
const read = async (key) => {
  const before = cache.stats().hitCount;
  const v = await reader.get(key);
  out.push(JSON.stringify(['get', key, v, cache.stats().hitCount > before ? 'hit' : 'miss']));
  return v;
};
// fresh waits until the invalidation of key arrived (or 5s).
const fresh = async (key) => {
  const deadline = Date.now() + 5000;
  while (!invalidated.includes(key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  out.push(JSON.stringify(['invalidated', key, invalidated.includes(key)]));
  invalidated.length = 0;
};

await writer.del(['c1', 'c2', 'h']);
await read('c1');
await read('c1');
await writer.set('c1', 'one');
await fresh('c1');
await read('c1');
await read('c1');
await writer.mSet([['c1', 'two'], ['c2', 'x']]);
await fresh('c1');
await read('c1');
await read('c2');
await read('c2');
out.push(JSON.stringify(['hGetAll', await reader.hGetAll('h')]));
await writer.hSet('h', 'f', 'v');
await fresh('h');
out.push(JSON.stringify(['hGetAll', await reader.hGetAll('h')]));
await writer.flushAll();
const deadline = Date.now() + 5000;
while (!invalidated.includes(null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
out.push(JSON.stringify(['flushed', invalidated.includes(null), cache.size()]));
await read('c1');
for (const line of out) console.log(line);
await reader.quit();
await writer.quit();
