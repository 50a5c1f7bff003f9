// `npm run conformance`: runs Microsoft's SCIM reference Postman collection (../shared/conformance)
// with newman against a freshly built Roster on a free loopback port and an empty in-memory database,
// then summarises the failed assertions.
//
// Exit code 0 when every failure is a known deviation listed in test/conformance/known-deviations.json,
// 1 otherwise, and 1 as well when a listed deviation no longer fails (so that the list stays true).
// Each entry: { "request": "...", "assertion": "...", "reason": "..." }. `request` is the request's
// name ("Get all users") or its folder and name ("User tests with garbage/Get all users"); `assertion`
// is the test's name as the collection spells it, or "(test-script)" / "(request)" for a script that
// threw or a request that got no answer.
/* global fetch, AbortSignal */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { distEntry, ensureBuilt, root } from './lib/build.mjs';

const RUNNER = resolve(root, '../shared/conformance/run-microsoft-collection.sh');
const RESULTS = join(root, 'test-results');
const REPORT = join(RESULTS, 'newman.json');
const SERVICE_LOG = join(RESULTS, 'conformance-service.log');
const ALLOW_LIST = join(root, 'test/conformance/known-deviations.json');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

const rel = (path) => relative(root, path) || '.';

function fail(message) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(1);
}

/** A port the OS considers free now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Reads and checks the allow-list; a malformed list is an error, not an empty list. */
function readAllowList() {
  if (!existsSync(ALLOW_LIST)) {
    fail(`${rel(ALLOW_LIST)} is missing (it holds the known deviations; start it as [])`);
  }
  let list;
  try {
    list = JSON.parse(readFileSync(ALLOW_LIST, 'utf8'));
  } catch (error) {
    fail(`${rel(ALLOW_LIST)} is not valid JSON: ${error.message}`);
  }
  if (!Array.isArray(list)) {
    fail(`${rel(ALLOW_LIST)} must be a JSON array`);
  }
  list.forEach((entry, index) => {
    for (const key of ['request', 'assertion', 'reason']) {
      if (typeof entry?.[key] !== 'string' || entry[key].trim() === '') {
        fail(`${rel(ALLOW_LIST)}[${index}] needs a non-empty string "${key}"`);
      }
    }
  });
  return list;
}

/** Starts the built service; its output goes to a log file, shown when it fails to start. */
function startService(port, token) {
  mkdirSync(RESULTS, { recursive: true });
  const log = createWriteStream(SERVICE_LOG);
  const child = spawn(process.execPath, [distEntry('main')], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: 'memory://',
      SCIM_ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      log.end();
      resolveExit({ code, signal });
    });
  });
  return { child, exited };
}

async function waitUntilReady(baseUrl, service) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit;
  void service.exited.then((e) => (exit = e));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(`the service exited before it was ready (code ${exit.code}, signal ${exit.signal})`);
    }
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) {
        return;
      }
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(250);
  }
  throw new Error(`GET /ready did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last})`);
}

async function stopService(service) {
  if (service.child.exitCode !== null || service.child.signalCode !== null) {
    return service.exited;
  }
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const exit = await service.exited;
  clearTimeout(timer);
  return exit;
}

function runCollection(port, token) {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', [RUNNER], {
      cwd: root,
      env: { ...process.env, BASE_HOST: '127.0.0.1', BASE_PORT: String(port), SCIM_TOKEN: token, NEWMAN_JSON: REPORT },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolveRun({ code, signal }));
  });
}

/** Folder path of every request in the collection, by item id ("User tests with garbage"). */
function folderOf(collection) {
  const folders = new Map();
  const walk = (items, path) => {
    for (const item of items ?? []) {
      if (Array.isArray(item.item)) {
        walk(item.item, [...path, item.name]);
      } else {
        folders.set(item.id, path.join('/'));
      }
    }
  };
  walk(collection?.item, []);
  return folders;
}

/** Every failure newman saw: failed assertions, test scripts that threw, requests that got no answer. */
function failuresOf(report) {
  const folders = folderOf(report.collection);
  return (report.run?.failures ?? []).map((failure) => {
    const error = failure.error ?? {};
    const request = failure.source?.name ?? '(unknown request)';
    const folder = folders.get(failure.source?.id) ?? '';
    let assertion = error.test;
    if (!assertion) {
      assertion = /script/.test(failure.at ?? '') ? '(test-script)' : '(request)';
    }
    return {
      folder,
      request,
      assertion,
      message: String(error.message ?? error.name ?? 'failed').replace(/\s+/g, ' '),
    };
  });
}

function matches(deviation, failure) {
  const names = [failure.request, failure.folder ? `${failure.folder}/${failure.request}` : failure.request];
  return names.includes(deviation.request) && deviation.assertion === failure.assertion;
}

function truncate(text, width) {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function table(headers, rows, maxWidths) {
  const widths = headers.map((h, i) =>
    Math.min(maxWidths[i], Math.max(h.length, ...rows.map((row) => String(row[i]).length))),
  );
  const line = (cells) =>
    cells
      .map((cell, i) => truncate(String(cell), widths[i]).padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

async function main() {
  if (!existsSync(RUNNER)) {
    fail(`${RUNNER} not found: the shared conformance material must sit beside the repository (../shared)`);
  }
  const allowList = readAllowList();
  ensureBuilt();

  const port = await freePort();
  const token = randomBytes(30).toString('base64url'); // 40 characters
  const baseUrl = `http://127.0.0.1:${port}`;
  rmSync(REPORT, { force: true });

  process.stdout.write(`Starting Roster on ${baseUrl} (in-memory database; log: ${rel(SERVICE_LOG)})\n`);
  const service = startService(port, token);
  const interrupt = (signal) => {
    service.child.kill('SIGTERM');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let run;
  try {
    await waitUntilReady(baseUrl, service);
    process.stdout.write(`Roster is ready; running ${rel(RUNNER)}\n\n`);
    run = await runCollection(port, token);
  } catch (error) {
    await stopService(service);
    const log = existsSync(SERVICE_LOG)
      ? readFileSync(SERVICE_LOG, 'utf8').trim().split('\n').slice(-30).join('\n')
      : '';
    fail(`${error.message}${log ? `\n--- last lines of ${rel(SERVICE_LOG)} ---\n${log}` : ''}`);
  }
  const exit = await stopService(service);
  if (exit.code !== 0) {
    process.stderr.write(
      `conformance: warning: the service did not stop cleanly on SIGTERM (code ${exit.code}, signal ${exit.signal}); see ${rel(SERVICE_LOG)}\n`,
    );
  }

  // newman exits 1 when assertions fail; anything else (or no report) means it did not run properly.
  if (!existsSync(REPORT)) {
    fail(`newman wrote no report (${rel(REPORT)}); the runner exited with code ${run.code}, signal ${run.signal}`);
  }
  const report = JSON.parse(readFileSync(REPORT, 'utf8'));
  const stats = report.run?.stats ?? {};
  const failures = failuresOf(report);
  const known = failures.map((f) => allowList.find((d) => matches(d, f)));
  const unexpected = failures.filter((_, i) => !known[i]);
  const stale = allowList.filter((d) => !failures.some((f) => matches(d, f)));

  const out = [];
  out.push('', '== Conformance summary (Microsoft SCIM reference collection) ==');
  out.push(`Requests:           ${stats.requests?.total ?? '?'} (${stats.requests?.failed ?? '?'} without an answer)`);
  out.push(`Assertions:         ${stats.assertions?.total ?? '?'}`);
  out.push(`Failed assertions:  ${stats.assertions?.failed ?? '?'}`);
  out.push(`Test-script errors: ${stats.testScripts?.failed ?? '?'}`);
  out.push(
    `Failures:           ${failures.length} (${failures.length - unexpected.length} known deviations, ${unexpected.length} unexpected)`,
  );
  out.push(`Report:             ${rel(REPORT)}`);
  if (failures.length) {
    out.push('', 'Failures:');
    out.push(
      table(
        ['#', 'Folder', 'Request', 'Assertion', 'Error', 'Known'],
        failures.map((f, i) => [i + 1, f.folder, f.request, f.assertion, f.message, known[i] ? 'yes' : 'NO']),
        [4, 24, 44, 40, 90, 5],
      ),
    );
  }
  if (stale.length) {
    out.push('', `Listed in ${rel(ALLOW_LIST)} but no longer failing (remove them):`);
    for (const d of stale) {
      out.push(`  - ${d.request} / ${d.assertion} (${d.reason})`);
    }
  }
  const ok = unexpected.length === 0 && stale.length === 0;
  out.push('', ok ? 'Conformance: OK' : 'Conformance: FAILED', '');
  process.stdout.write(out.join('\n'));
  process.exit(ok ? 0 : 1);
}

main().catch((error) => fail(error?.stack ?? String(error)));
