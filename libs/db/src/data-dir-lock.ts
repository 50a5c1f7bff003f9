import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * One process per embedded database directory. PGlite keeps no lock of its own: two processes on
 * one `DATA_DIR` each see only their own writes, and the last to stop overwrites the other's.
 *
 * Node has no `flock`, and the npm packages that add one are native addons (install scripts are
 * off here, and the image would need a compiler). So the lock is PostgreSQL's own answer
 * (`postmaster.pid`): a file created atomically (`link(2)` of a complete temporary file, which
 * fails when the lock exists) holding the holder's PID, host and process start time. A lock is
 * stale when its PID is gone, or when the PID now belongs to another process (the start time in
 * `/proc/PID/stat` differs: PID 1 of a restarted container, say). A lock from another host (two
 * containers sharing a volume) cannot be checked that way, so the holder refreshes the file's
 * modification time every few seconds and such a lock is stale once it stops being refreshed.
 */
export const LOCK_FILE = 'roster.lock';

/** How often the holder refreshes the lock, and how old a lock from another host must be to be stale. */
const HEARTBEAT_MS = 10_000;
const FOREIGN_STALE_MS = 60_000;
/** A stale-lock breaker that died mid-way leaves its guard; one this old is abandoned. */
const BREAKER_STALE_MS = 10_000;

export interface LockHolder {
  pid: number;
  hostname: string;
  /** Kernel start time of the process (clock ticks since boot, Linux), to tell a reused PID apart. */
  startTime: string | null;
  startedAt: string;
  /** What holds it: the service or the command line. */
  purpose: string;
  /** Random per acquisition, so that a holder recognises its own lock. */
  nonce: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
    super(
      `The embedded database in ${dir} is in use by another Roster process (${holder.purpose}, PID ${holder.pid}${where}, ` +
        `since ${holder.startedAt}). Only one process may open it at a time: stop that process first, or use the ` +
        `command line (npm run cli), which talks to a running service through its management API.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** The kernel's start time of a process, or null where /proc is not there (macOS) or the PID is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks held by this process, so that a second open in the same process is refused too. */
const heldHere = new Set<string>();

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') {
      return {
        pid: parsed.pid,
        hostname: parsed.hostname,
        startTime: typeof parsed.startTime === 'string' ? parsed.startTime : null,
        startedAt: String(parsed.startedAt ?? 'an unknown time'),
        purpose: String(parsed.purpose ?? 'unknown'),
        nonce: String(parsed.nonce ?? ''),
      };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
  }
  // Unreadable or not ours: written atomically, so it is not half-written; treat as a dead holder.
  return { pid: 0, hostname: '', startTime: null, startedAt: 'an unknown time', purpose: 'unknown', nonce: '' };
}

/** Whether the process a lock names is still the one that took it. */
export function holderIsLive(path: string, holder: LockHolder): boolean {
  if (holder.pid <= 0) {
    return false;
  }
  if (holder.hostname !== hostname()) {
    try {
      return Date.now() - statSync(path).mtimeMs < FOREIGN_STALE_MS;
    } catch {
      return false;
    }
  }
  if (holder.pid === process.pid) {
    // Our own PID but not our lock: a previous incarnation of this PID (a restarted container).
    return heldHere.has(path);
  }
  if (!alive(holder.pid)) {
    return false;
  }
  const now = processStartTime(holder.pid);
  return holder.startTime === null || now === null || now === holder.startTime;
}

/** Who holds the directory's lock now, if a live process does. */
export function lockHolder(dir: string): LockHolder | undefined {
  const path = join(resolve(dir), LOCK_FILE);
  const holder = readHolder(path);
  return holder && holderIsLive(path, holder) ? holder : undefined;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): void;
}

export interface AcquireOptions {
  purpose: string;
  /** Called when the lock file was removed or replaced under us (someone deleted it by hand). */
  onLost?: (message: string) => void;
}

/**
 * Takes the directory's lock or throws DataDirLockedError naming the live holder. A stale lock
 * is broken under a short-lived guard directory, so that two processes starting together after a
 * crash cannot both break it and both win.
 */
export function acquireDataDirLock(dir: string, options: AcquireOptions): DataDirLock {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  const path = join(absolute, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startTime: processStartTime(process.pid),
    startedAt: new Date().toISOString(),
    purpose: options.purpose,
    nonce: randomBytes(12).toString('hex'),
  };
  const content = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; ; attempt++) {
    if (heldHere.has(path)) {
      throw new DataDirLockedError(absolute, readHolder(path) ?? holder);
    }
    const temporary = `${path}.${process.pid}.${holder.nonce}`;
    writeFileSync(temporary, content, { mode: 0o600 });
    try {
      linkSync(temporary, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    } finally {
      unlinkSync(temporary);
    }
    const current = readHolder(path);
    if (current && holderIsLive(path, current)) {
      throw new DataDirLockedError(absolute, current);
    }
    if (attempt >= 20) {
      throw new Error(`Could not take the lock ${path}: it keeps changing hands.`);
    }
    breakStaleLock(path, current);
  }
  heldHere.add(path);

  let released = false;
  const owned = (): boolean => readHolder(path)?.nonce === holder.nonce;
  const heartbeat = setInterval(() => {
    if (!owned()) {
      clearInterval(heartbeat);
      (options.onLost ?? ((m: string) => process.stderr.write(`${m}\n`)))(
        `The lock ${path} was removed or taken over while this process held it; stop this process: another one may be writing the same database.`,
      );
      return;
    }
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // Checked again at the next beat.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const release = (): void => {
    if (released) {
      return;
    }
    released = true;
    clearInterval(heartbeat);
    heldHere.delete(path);
    process.removeListener('exit', release);
    if (owned()) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    }
  };
  // A process that exits without closing (process.exit, an uncaught error) still lets go.
  process.on('exit', release);
  return { path, holder, release };
}

function breakStaleLock(path: string, stale: LockHolder | undefined): void {
  const guard = `${path}.break`;
  try {
    mkdirSync(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
    // Another process is breaking it right now; or a breaker died and left its guard behind.
    try {
      if (Date.now() - statSync(guard).mtimeMs > BREAKER_STALE_MS) {
        rmdirSync(guard);
      }
    } catch {
      // Gone meanwhile.
    }
    sleep(50);
    return;
  }
  try {
    // Only the lock we judged stale is removed, not one a faster process has just taken.
    const now = readHolder(path);
    if (now && stale && now.nonce === stale.nonce && now.pid === stale.pid) {
      unlinkSync(path);
    }
  } catch {
    // Removed by someone else.
  } finally {
    rmdirSync(guard);
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
