import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

/**
 * A transaction of the resource store, as the store's write methods take it. The services hold it
 * without knowing what it is: they open it through a repository (`transaction`) and pass it back to
 * repository methods, the outbox (EventsService) and the revocation cascade (auth/deprovision.ts),
 * which is why it is Prisma's interactive transaction under the store's name rather than a wrapper.
 */
export type StoreTransaction = Prisma.TransactionClient;

/** Runs `work` in one transaction, retried whole on a serialization failure or a deadlock (PrismaService.transaction). */
export function storeTransaction<T>(prisma: PrismaService, work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
  return prisma.transaction(work);
}
