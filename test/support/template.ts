import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { findMigrationsDir, loadMigrations, migrate, pgliteRunner, restoreDataDir } from '@roster/db';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: Blob | undefined;

/**
 * A migrated, empty embedded database as a `dumpDataDir` archive, made once per set of
 * migrations and kept in the system's temporary directory. A fresh in-memory PGlite runs initdb
 * and every migration (seconds per test server on a busy machine); one loaded from this archive
 * skips both. The file name carries a hash of the migrations and of PGlite's version, so a
 * changed migration or an upgrade makes a new template; workers that race to make it write the
 * same bytes and rename atomically.
 */
export async function migratedTemplate(): Promise<Blob> {
  if (cached) {
    return cached;
  }
  const hash = createHash('sha256');
  for (const migration of loadMigrations(findMigrationsDir(__dirname))) {
    hash.update(migration.name).update(migration.checksum);
  }
  hash.update(readFileSync(join(__dirname, '../../node_modules/@electric-sql/pglite/package.json')));
  const file = join(tmpdir(), `roster-test-template-${hash.digest('hex').slice(0, 16)}.tar`);
  if (!existsSync(file)) {
    const db = await PGlite.create('memory://', { extensions: { citext } });
    try {
      await migrate(pgliteRunner(db));
      const dump = await db.dumpDataDir('none');
      const temporary = `${file}.${process.pid}`;
      writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
      renameSync(temporary, file);
    } finally {
      await db.close();
    }
  }
  cached = new Blob([readFileSync(file)]);
  return cached;
}

/**
 * A new DATA_DIR holding the migrated template (restored the way `npm run cli -- restore` does),
 * for tests of the embedded database on disk that are not about its first initialisation.
 */
export async function templatedDataDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await restoreDataDir(dir, await migratedTemplate(), { force: true });
  return dir;
}
