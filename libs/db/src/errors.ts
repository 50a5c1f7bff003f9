/** True for a unique-constraint violation, whichever layer (Prisma, adapter, driver) reports it. */
export function isUniqueViolation(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
      cause?: unknown;
    };
    if (e.code === 'P2002' || e.code === '23505') {
      return true;
    }
    const cause = e.meta?.driverAdapterError?.cause;
    if (cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505') {
      return true;
    }
    current = e.cause;
  }
  return false;
}
