// ioredis (v5) Pub/Sub and blocking pops, printed as JSON lines so that
// tests/clients_test.go can compare titan with redis-server.
// Usage: node ioredis_pubsub.js <node_modules dir> <host:port>
const path = require('node:path');
const Redis = require(path.join(process.argv[2], 'ioredis'));

const [host, port] = process.argv[3].split(':');
const open = () => new Redis({ host, port: Number(port), maxRetriesPerRequest: 0 });
const out = (...a) => console.log(JSON.stringify(a));

(async () => {
  const sub = open(), pub = open(), blocker = open();
  const got = [];
  let want = 0;
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const take = (...m) => { got.push(m); if (got.length === want) done(); };
  sub.on('message', (ch, msg) => take('message', ch, msg));
  sub.on('pmessage', (pat, ch, msg) => take('pmessage', pat, ch, msg));
  sub.on('messageBuffer', () => {});

  out('subscribe', await sub.subscribe('news', 'sport'));
  out('psubscribe', await sub.psubscribe('n*'));
  out('numsub', await pub.pubsub('NUMSUB', 'news', 'sport', 'none'));
  out('numpat', await pub.pubsub('NUMPAT'));
  out('channels', (await pub.pubsub('CHANNELS')).sort());
  // A subscribed connection refuses other commands (ioredis checks
  // itself, so send through a raw call).
  try { await sub.call('GET', 'k'); out('get in subscribe mode', 'ok'); } catch (e) { out('get in subscribe mode', String(e.message).split(':')[0]); }
  const counts = [];
  want = 2 * 50 + 20;
  for (let i = 0; i < 50; i++) counts.push(await pub.publish('news', `n${i}`));
  for (let i = 0; i < 20; i++) counts.push(await pub.publish('sport', `s${i}`));
  out('publish counts', counts);
  const timer = setTimeout(() => done(), 10000);
  await all;
  clearTimeout(timer);
  out('received', got.length);
  // Per channel, in publish order.
  out('news', got.filter((m) => m[0] === 'message' && m[1] === 'news').map((m) => m[2]).join(','));
  out('news by pattern', got.filter((m) => m[0] === 'pmessage').map((m) => m[3]).join(','));
  out('sport', got.filter((m) => m[1] === 'sport').map((m) => m[2]).join(','));
  out('unsubscribe', await sub.unsubscribe('news'));
  out('punsubscribe', await sub.punsubscribe('n*'));
  out('publish after', await pub.publish('news', 'late'), await pub.publish('sport', 'still'));
  out('unsubscribe rest', await sub.unsubscribe('sport'));
  out('ping after', await sub.ping());

  // Blocking pops, woken by a push from another connection.
  await pub.del('jobs', 'done', 'delayed');
  setTimeout(() => pub.rpush('jobs', 'j1', 'j2'), 100);
  out('blpop', await blocker.blpop('nosuch', 'jobs', 5));
  out('brpoplpush', await blocker.brpoplpush('jobs', 'done', 5));
  setTimeout(() => pub.zadd('delayed', 2, 'b', 1, 'a'), 100);
  out('bzpopmin', await blocker.bzpopmin('delayed', 5));
  setTimeout(() => pub.lpush('jobs', 'j3'), 100);
  out('blmove', await blocker.blmove('jobs', 'done', 'LEFT', 'RIGHT', 5));
  out('done list', await pub.lrange('done', 0, -1));
  out('blpop timeout', await blocker.blpop('nosuch', 0.1));
  sub.disconnect(); pub.disconnect(); blocker.disconnect();
})().catch((e) => { out('error', String(e)); process.exit(1); });
