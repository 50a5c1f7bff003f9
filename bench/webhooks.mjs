#!/usr/bin/env node
// Webhook delivery throughput and lag (issue 14 item 3), on PostgreSQL: the built server, a
// receiver on 127.0.0.1 (node:http, answering 200 at once), N subscriptions to every event, then
// one Bulk of --users creations. Reported: deliveries per second per subscription and in all, and
// the lag from an event's time to its arrival (p50/p99/max), with the machine's load.
//
//   npm run build
//   node bench/webhooks.mjs [--users 1000] [--subscriptions 1] [--label TEXT]
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  appRoot,
  latencySummary,
  log,
  machine,
  migrateDatabase,
  recreateDatabase,
  databaseUrl,
  request,
  RESULTS_DIR,
  round,
  startServer,
  USER_SCHEMA,
} from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    subscriptions: { type: 'string', default: '1' },
    label: { type: 'string', default: 'webhooks' },
    'app-root': { type: 'string' },
  },
});
const USERS = Math.min(Number(values.users), 1000);
const SUBSCRIPTIONS = Math.min(Number(values.subscriptions), 16);
const DB = 'roster_bench_webhooks';

const root = appRoot(values['app-root']);
await recreateDatabase(DB);
await migrateDatabase(root, databaseUrl(DB));

const arrivals = new Map();
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const lag = Date.now() - Date.parse(body.data.time);
    const key = req.url;
    if (!arrivals.has(key)) {
      arrivals.set(key, []);
    }
    arrivals.get(key).push({ at: Date.now(), lag, type: body.type });
    res.writeHead(200).end('ok');
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = receiver.address().port;

const server = await startServer({
  root,
  database: DB,
  env: {
    ROSTER_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
    BULK_MAX_OPERATIONS: '1000',
  },
});
try {
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const created = await request(server, 'POST', '/admin/webhooks', {
      url: `http://127.0.0.1:${port}/s${i}`,
      event_types: ['user.created'],
    });
    if (created.status !== 201) {
      throw new Error(`Could not subscribe: ${created.text}`);
    }
  }
  const started = Date.now();
  const bulk = await request(server, 'POST', '/v2/Bulk', {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: Array.from({ length: USERS }, (_, i) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${i}`,
      data: { schemas: [USER_SCHEMA], userName: `hook-bench-${i}@example.com` },
    })),
  });
  if (bulk.status !== 200) {
    throw new Error(`Bulk failed: ${bulk.text}`);
  }
  const written = Date.now();
  const deadline = Date.now() + 300_000;
  const total = () => [...arrivals.values()].reduce((n, list) => n + list.length, 0);
  while (total() < USERS * SUBSCRIPTIONS) {
    if (Date.now() > deadline) {
      throw new Error(`Only ${total()} of ${USERS * SUBSCRIPTIONS} deliveries arrived`);
    }
    await sleep(50);
  }
  const finished = Math.max(...[...arrivals.values()].flat().map((a) => a.at));
  const all = [...arrivals.values()].flat();
  const result = {
    label: values.label,
    machine: await machine(),
    users: USERS,
    subscriptions: SUBSCRIPTIONS,
    bulkMs: written - started,
    deliveryMs: finished - started,
    deliveriesPerSecond: round((all.length * 1000) / (finished - started), 1),
    perSubscriptionPerSecond: round((USERS * 1000) / (finished - started), 1),
    lagMs: latencySummary(all.map((a) => a.lag)),
    loadAverage1m: round(os.loadavg()[0], 2),
  };
  log(JSON.stringify(result, null, 2));
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${values.label}.json`), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await server.stop();
  receiver.close();
}
