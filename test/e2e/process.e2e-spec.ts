import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../apps/cli/src/cli';
import { freePort } from '../support/app';
import { templatedDataDir } from '../support/template';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist/api/apps/api/src/main.js');

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the built service as `npm start` does, and waits for its banner. */
async function startProcess(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Generous: a loaded 2-core machine can take long to load Nest, PGlite and migrate.
  const deadline = Date.now() + 150_000;
  while (!output.includes('Roster is listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`The service did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, exited };
}

/**
 * The process as operators run it: the quick start's banner, data that survives a restart,
 * graceful SIGTERM with a request in flight, and configuration errors that name the variable.
 */
describe('The service process', () => {
  let dataDir: string;
  // Real processes (a build, several starts): the few tests here get the time a loaded machine needs.
  jest.setTimeout(300_000);

  beforeAll(() => {
    // What `npm start` does first: build when the sources are newer than the build.
    const build = spawnSync(
      process.execPath,
      ['-e', "import('./scripts/lib/build.mjs').then((m) => m.ensureBuilt())"],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) {
      throw new Error(`Build failed:\n${build.stdout}\n${build.stderr}`);
    }
    dataDir = mkdtempSync(join(tmpdir(), 'roster-process-'));
  }, 600_000);
  afterAll(() => {
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('prints the URLs and a one-time admin token, keeps data across a restart, and drains on SIGTERM', async () => {
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir };
    const base = `http://127.0.0.1:${port}`;

    const first = await startProcess(env);
    const banner = first.output();
    expect(banner).toContain(`${base}/v2`);
    expect(banner).toContain(`${base}/docs`);
    const token = /(roster_admin_[A-Za-z0-9_-]{43})/.exec(banner)?.[1];
    expect(token).toBeDefined();
    const spc = await fetch(`${base}/v2/ServiceProviderConfig`);
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    const created = await fetch(`${base}/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'survivor@example.com',
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // A request in flight when SIGTERM arrives still gets its answer; then the process exits 0.
    const inFlight = fetch(`${base}/v2/Users?count=1000`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    expect(await first.exited).toBe(0);
    // The log has the token nowhere but in the one-time banner line.
    expect(first.output().split(token!).length).toBe(2);

    const second = await startProcess(env);
    try {
      expect(second.output()).not.toContain('roster_admin_');
      const read = await fetch(`${base}/v2/Users/${id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { userName: string }).userName).toBe('survivor@example.com');
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  it("holds DATA_DIR: a second service refuses with the holder's PID, and the CLI goes through the first", async () => {
    const port = await freePort();
    const dir = await templatedDataDir('roster-process-lock-');
    const first = await startProcess({ PORT: String(port), DATA_DIR: dir });
    try {
      const second = spawnSync(process.execPath, [MAIN], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', PORT: String(await freePort()), DATA_DIR: dir },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(second.status).toBe(69);
      expect(second.stderr).toContain(`PID ${first.child.pid}`);
      expect(second.stderr).toContain('npm run cli');

      // The README's step 1, run literally beside the service: the CLI finds it through DATA_DIR.
      let stdout = '';
      const code = await runCli(['tokens', 'create', '--name', 'entra', '--scope', 'scim.read scim.write'], {
        env: { DATA_DIR: dir, LOG_LEVEL: 'silent' },
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
      });
      expect(code).toBe(0);
      const { token } = JSON.parse(stdout) as { token: string };
      const created = await fetch(`http://127.0.0.1:${port}/v2/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'entra@example.com',
        }),
      });
      expect(created.status).toBe(201);
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(first.output()).toContain('Roster stopped.');
  });

  it('refuses to start on bad configuration, naming every bad variable', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'loud' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL']) {
      expect(result.stderr).toContain(name);
    }
  });
});
