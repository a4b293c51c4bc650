// Opens n ioredis connections at once (each sends INFO, its ready check,
// before it is ready), waits until all are ready, and prints the time that
// took in milliseconds and the number of keys db0 holds by INFO keyspace.
// Usage: node ioredis_connect.js <node_modules dir> <host:port> <n>
const path = require('path');
const Redis = require(path.join(process.argv[2], 'ioredis'));
const [host, port] = process.argv[3].split(':');
const n = parseInt(process.argv[4], 10);

(async () => {
  const start = process.hrtime.bigint();
  const clients = [];
  const ready = [];
  for (let i = 0; i < n; i++) {
    const c = new Redis({ host, port: parseInt(port, 10), enableReadyCheck: true, lazyConnect: false, maxRetriesPerRequest: 0 });
    clients.push(c);
    ready.push(new Promise((resolve, reject) => { c.once('ready', resolve); c.once('error', reject); }));
  }
  await Promise.all(ready);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const info = await clients[0].info('keyspace');
  const m = /db0:keys=(\d+)/.exec(info);
  console.log(`${ms.toFixed(1)} ${m ? m[1] : 0}`);
  await Promise.all(clients.map((c) => c.quit()));
})().catch((e) => { console.error(e); process.exit(1); });
