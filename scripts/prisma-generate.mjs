// Runs `prisma generate` without network access. The Prisma CLI tries to download its schema
// engine first, which this project does not need for `generate`; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that download. It is set here only,
// so that `prisma migrate` elsewhere keeps its real engine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: self, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
