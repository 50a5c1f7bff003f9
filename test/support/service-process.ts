import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist/api/apps/api/src/main.js');

/** What `npm start` does first: build when the sources are newer than the build. */
export function ensureBuilt(): void {
  const build = spawnSync(process.execPath, ['-e', "import('./scripts/lib/build.mjs').then((m) => m.ensureBuilt())"], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    throw new Error(`Build failed:\n${build.stdout}\n${build.stderr}`);
  }
}

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGKILL: no draining, no shutdown hooks; what a crash or the OOM killer does. */
  kill: () => Promise<void>;
}

/** Starts the built service (as `npm start` runs it) and waits for its banner. */
export async function startServiceProcess(env: Record<string, string>, startupMs = 90_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + startupMs;
  while (!output.includes('Roster is listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The service did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    baseUrl: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
