import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { findMigrationsDir } from '@roster/db';
import { createApp } from './bootstrap';
import { loadConfig } from './config';
import { buildOpenApiDocument } from './openapi';

/** The committed document names this server, so that it does not depend on who generated it. */
export const OPENAPI_SERVER = 'http://127.0.0.1:3000';

async function main(): Promise<void> {
  const config = loadConfig({ DATABASE_URL: 'memory://', PUBLIC_URL: OPENAPI_SERVER, SCIM_ADMIN_TOKEN: 'x'.repeat(32) });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  const document = JSON.stringify(buildOpenApiDocument(app, config), null, 2) + '\n';
  await app.close();
  const path = join(findMigrationsDir(), '..', '..', 'docs', 'openapi.json');
  if (process.argv[2] === 'write') {
    writeFileSync(path, document);
    process.stdout.write(`Wrote ${path}\n`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (committed !== document) {
    process.stderr.write('docs/openapi.json is stale: run `npm run openapi:generate` and commit the result.\n');
    process.exit(1);
  }
  process.stdout.write('docs/openapi.json is up to date.\n');
}

void main();
