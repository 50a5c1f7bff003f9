import { Prisma, revokeEverythingOfUser } from '@roster/db';

/**
 * What deactivating or deleting a user ends, inside the transaction that writes the user: every
 * grant (refresh tokens stop at once; their access tokens within 30 seconds on every instance),
 * remembered consents, pending authorization codes and browser sessions. UsersService calls it,
 * so SCIM PUT/PATCH/DELETE, Bulk and MCP all deprovision the same way.
 */
export function revokeUserAccess(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  return revokeEverythingOfUser(tx, userId, new Date());
}
