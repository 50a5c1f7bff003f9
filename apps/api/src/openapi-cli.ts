import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { findMigrationsDir } from '@roster/db';
import { createApp } from './bootstrap';
import { loadConfig } from './config';
import { buildOpenApiDocument } from './openapi';
import { OPENAPI_SERVER } from './openapi-constants';

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: 'memory://',
    PUBLIC_URL: OPENAPI_SERVER,
    SCIM_ADMIN_TOKEN: 'x'.repeat(32),
  });
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
  if (!committed || JSON.stringify(JSON.parse(committed)) !== JSON.stringify(JSON.parse(document))) {
    process.stderr.write('docs/openapi.json is stale: run `npm run openapi:generate` and commit the result.\n');
    process.exit(1);
  }
  process.stdout.write('docs/openapi.json is up to date.\n');
}

void main();
