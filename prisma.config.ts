import { defineConfig } from 'prisma/config';

// DATABASE_URL is read by Roster itself at run time; the Prisma CLI only needs it for
// `prisma migrate deploy` on machines where its schema engine can be downloaded.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/roster' },
});
