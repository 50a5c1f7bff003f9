#!/usr/bin/env node
// A full walk of the directory, 100 users a page, as Okta's import does it (startIndex=1, 101,
// 201, ...) and as a cursor walk (RFC 9865), one request at a time, on PostgreSQL, through the
// built server with an API token (issue 12 items 7 and 9). Reports the time of each walk and the
// ratio startIndex / cursor; a target of the issue is <= 1.5 at 1M users.
//
//   npm run build
//   node bench/walk.mjs [--users 100000] [--count 100] [--max-seconds 120] [--app-root DIR] [--db NAME] [--label TEXT]
import process from 'node:process';
import { parseArgs } from 'node:util';
import { appRoot, log, machine, report, request, revision, round, run, startServer } from './lib/common.mjs';
import { prepareDatabase } from './seed.mjs';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    count: { type: 'string', default: '100' },
    'max-seconds': { type: 'string', default: '120' },
    'app-root': { type: 'string' },
    db: { type: 'string' },
    label: { type: 'string', default: '' },
  },
});

async function walk(server, next, maxMs) {
  const started = Date.now();
  let pages = 0;
  let users = 0;
  for (let page = await request(server, 'GET', next(undefined)); ;) {
    if (page.status !== 200) {
      throw new Error(`GET answered ${page.status}: ${page.text.slice(0, 200)}`);
    }
    pages++;
    users += page.json.Resources.length;
    const path = next(page.json);
    if (!path) {
      break;
    }
    if (Date.now() - started > maxMs) {
      return { complete: false, pages, users, seconds: round((Date.now() - started) / 1000, 1) };
    }
    page = await request(server, 'GET', path);
  }
  const seconds = (Date.now() - started) / 1000;
  return { complete: true, pages, users, seconds: round(seconds, 1), pagesPerSecond: round(pages / seconds, 1) };
}

await run(async (onCleanup) => {
  const root = appRoot(values['app-root']);
  const users = Number(values.users);
  const count = Number(values.count);
  const maxMs = Number(values['max-seconds']) * 1000;
  const database = values.db ?? `roster_bench_compare_${users}`;
  const startedAt = new Date().toISOString();
  await prepareDatabase({ root, database, users, verify: false });
  const admin = await startServer({ root, database });
  onCleanup(() => admin.stop());
  const created = await request(
    admin,
    'POST',
    '/admin/tokens',
    { name: 'bench-walk', scope: 'scim.read' },
    { 'content-type': 'application/json' },
  );
  const server = { ...admin, token: created.json.token };

  let start = 1;
  const byIndex = await walk(
    server,
    (page) => {
      if (page === undefined) {
        return `/v2/Users?count=${count}&startIndex=1`;
      }
      start += page.Resources.length;
      return page.Resources.length === count ? `/v2/Users?count=${count}&startIndex=${start}` : undefined;
    },
    maxMs,
  );
  log(`startIndex walk: ${JSON.stringify(byIndex)}`);
  const byCursor = await walk(
    server,
    (page) => {
      if (page === undefined) {
        return `/v2/Users?count=${count}&cursor=`;
      }
      return page.nextCursor ? `/v2/Users?count=${count}&cursor=${encodeURIComponent(page.nextCursor)}` : undefined;
    },
    maxMs,
  );
  log(`cursor walk: ${JSON.stringify(byCursor)}`);
  const ratio = byIndex.complete && byCursor.complete ? round(byIndex.seconds / byCursor.seconds, 2) : null;
  process.stderr.write(
    `\n| users | page | startIndex walk | cursor walk | ratio |\n|---:|---:|---:|---:|---:|\n` +
      `| ${users} | ${count} | ${byIndex.seconds} s${byIndex.complete ? '' : ' (stopped)'} | ${byCursor.seconds} s | ${ratio} |\n`,
  );
  report('walk', {
    script: 'bench/walk.mjs',
    label: values.label,
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: revision(root),
    machine: await machine(),
    options: { users, count, maxSeconds: maxMs / 1000, database },
    startIndex: byIndex,
    cursor: byCursor,
    ratio,
  });
});
