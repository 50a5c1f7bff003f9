export * from './database';
export * from './errors';
export * from './filter-sql';
export * from './migrator';
export * from './prisma.service';
export * from './repositories/groups.repository';
export * from './repositories/users.repository';
export * from './sql-runner';
export { Prisma, PrismaClient } from './generated/prisma/client';
