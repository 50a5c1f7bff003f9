import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, lockHolder } from './data-dir-lock';
import { migrate, MigrationResult } from './migrator';
import { pgliteRunner } from './sql-runner';

export interface RestoreResult {
  dataDir: string;
  /** Where the directory that was there before went (with --force). */
  previous?: string;
  migrations: MigrationResult;
}

/**
 * Puts a backup (`dumpDataDir` archive) back as the embedded database in `dir`. Refuses while a
 * process holds the directory; refuses a directory that holds a database unless `force`, and then
 * moves it aside rather than deleting it. Migrations newer than the backup are applied.
 */
export async function restoreDataDir(dir: string, archive: Blob, options: { force: boolean }): Promise<RestoreResult> {
  const absolute = resolve(dir);
  const holder = lockHolder(absolute);
  if (holder) {
    throw new DataDirLockedError(absolute, holder);
  }
  let previous: string | undefined;
  if (existsSync(absolute) && readdirSync(absolute).some((name) => !name.startsWith(LOCK_FILE))) {
    if (!options.force) {
      throw Object.assign(
        new Error(`${absolute} already holds a database; pass --force to move it aside and restore in its place.`),
        { code: 'EEXIST' },
      );
    }
    previous = `${absolute}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(absolute, previous);
  }
  mkdirSync(absolute, { recursive: true });
  const lock = acquireDataDirLock(absolute, { purpose: 'cli' });
  try {
    const pglite = await PGlite.create(absolute, { extensions: { citext }, loadDataDir: archive });
    let migrations: MigrationResult;
    try {
      migrations = await migrate(pgliteRunner(pglite));
    } finally {
      await pglite.close();
    }
    // The archive holds the files of the process it was taken from: its lock and its local CLI
    // credential (dead with that process) come out; our own lock goes back; the generated key
    // encryption key, if there is one, gets its private mode back (tar modes are not kept).
    rmSync(join(absolute, 'roster-cli.json'), { force: true });
    writeFileSync(lock.path, `${JSON.stringify(lock.holder)}\n`, { mode: 0o600 });
    for (const [path, mode] of [
      [join(absolute, 'keys'), 0o700],
      [join(absolute, 'keys', 'kek'), 0o600],
    ] as const) {
      if (existsSync(path)) {
        chmodSync(path, mode);
      }
    }
    return { dataDir: absolute, previous, migrations };
  } finally {
    lock.release();
  }
}
