import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, lockHolder, processStartTime } from './data-dir-lock';

describe('the DATA_DIR lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeLock = (holder: Record<string, unknown>): void =>
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ hostname: hostname(), startedAt: 'then', purpose: 'service', nonce: 'x', ...holder }),
    );

  it('is exclusive within a process and released on release()', () => {
    const lock = acquireDataDirLock(dir, { purpose: 'service' });
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'service' });
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid });
    expect(() => acquireDataDirLock(dir, { purpose: 'cli' })).toThrow(DataDirLockedError);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    expect(lockHolder(dir)).toBeUndefined();
    acquireDataDirLock(dir, { purpose: 'cli' }).release();
  });

  it('refuses while another live process holds it, naming its PID', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      writeLock({ pid: child.pid, startTime: processStartTime(child.pid!) });
      let error: unknown;
      try {
        acquireDataDirLock(dir, { purpose: 'service' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(`PID ${child.pid}`);
      expect((error as Error).message).toContain('stop that process first');
    } finally {
      child.kill();
    }
  });

  it('breaks a lock whose process is gone (a crash), and one whose PID now belongs to another process', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    writeLock({ pid, startTime: '1' });
    const first = acquireDataDirLock(dir, { purpose: 'service' });
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid });
    first.release();
    // PID 1 is alive, but not the process that wrote this lock: its start time differs.
    writeLock({ pid: 1, startTime: 'not-the-same' });
    acquireDataDirLock(dir, { purpose: 'service' }).release();
    // Our own PID in a lock we did not take: a previous incarnation of this PID (a restarted container).
    writeLock({ pid: process.pid, startTime: processStartTime(process.pid) });
    acquireDataDirLock(dir, { purpose: 'service' }).release();
    // A lock file that is not a lock at all.
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    acquireDataDirLock(dir, { purpose: 'service' }).release();
  });

  it('judges a lock from another host by its heartbeat', () => {
    writeLock({ pid: 4242, hostname: 'another-host', startTime: '1' });
    expect(() => acquireDataDirLock(dir, { purpose: 'service' })).toThrow(/on host another-host/);
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    acquireDataDirLock(dir, { purpose: 'service' }).release();
  });

  it('never removes a lock that another process took after it', () => {
    const lock = acquireDataDirLock(dir, { purpose: 'service' });
    writeLock({ pid: 1, startTime: processStartTime(1), nonce: 'someone-else' });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
